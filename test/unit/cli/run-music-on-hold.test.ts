/**
 * `sbc-agent run` reads agent.media.musicOnHold before anything binds: a file in another format
 * or missing stops the start with exit 3 naming the field, the file and its format; a good one
 * lets the start go on (here to the "not enrolled" exit, 18, with nothing bound).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProgram } from '../../../src/program.js';
import { encodeWav } from '../../../src/media/index.js';
import { captureIo } from '../../support/cli-io.js';

test('run: agent.media.musicOnHold in another format or missing is exit 3 naming the field and the file; a good one starts', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'run-moh-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const prompts = join(dir, 'state', 'agent', 'prompts');
  await mkdir(prompts, { recursive: true });
  const alaw = encodeWav(new Int16Array(80));
  alaw.writeUInt16LE(6, 20);
  alaw.writeUInt16LE(8, 34);
  await writeFile(join(prompts, 'alaw.wav'), alaw);
  await writeFile(join(prompts, 'good.wav'), encodeWav(new Int16Array(800).fill(500)));
  const rows: Array<[string, number, RegExp]> = [
    ['alaw', 3, /configuration error: agent\.media\.musicOnHold: .*alaw\.wav: is A-law, 8000 Hz, 8-bit, mono; .*sox/],
    ['missing', 3, /configuration error: agent\.media\.musicOnHold: cannot read .*missing\.wav \(ENOENT\)/],
    ['good', 18, /not enrolled|enroll/i],
  ];
  for (const [name, code, message] of rows) {
    const config = join(dir, `${name}.yaml`);
    await writeFile(config, `log:\n  level: silent\nagent:\n  lan: 127.0.0.1\n  calls: local\n  media:\n    musicOnHold: ${name}\n`);
    const io = captureIo();
    assert.equal(await runProgram(['run', '--config', config, '--state-dir', join(dir, 'state')], io.io), code, `${name}: ${io.err()}`);
    assert.match(io.err(), message, name);
  }
});
