/**
 * `hub.builtinPbx.media.musicOnHold`: the built-in PBX reads its music before it opens anything;
 * a file in another format or missing is a ConfigError naming the field, the file and its format.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, ManualClock, silentLogger } from '../../../src/core/index.js';
import { encodeWav } from '../../../src/media/index.js';
import { HubBuiltinPbx } from '../../../src/hub-pbx.js';

test('built-in PBX: music on hold in another format or missing stops its start with the field named', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pbx-moh-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'prompts'));
  const stereo = encodeWav(new Int16Array(160));
  stereo.writeUInt16LE(2, 22);
  await writeFile(join(dir, 'prompts', 'stereo.wav'), stereo);
  const rows: Array<[string, RegExp]> = [
    ['stereo', /stereo\.wav: is PCM, 8000 Hz, 16-bit, 2 channels/],
    ['missing', /cannot read .*missing\.wav \(ENOENT\)/],
  ];
  for (const [name, message] of rows) {
    const pbx = new HubBuiltinPbx({
      config: { sip: { listen: '127.0.0.1', port: 0 }, media: { address: '127.0.0.1', ports: { min: 31000, max: 31099 }, musicOnHold: name } },
      dir, routing: () => undefined, sharedFlow: () => false, clock: new ManualClock(), logger: silentLogger,
    });
    await assert.rejects(pbx.start(), (error: unknown) => {
      assert.ok(error instanceof ConfigError, name);
      assert.equal(error.path, 'hub.builtinPbx.media.musicOnHold', name);
      assert.match(error.message, message, name);
      return true;
    });
    await pbx.close();
  }
});
