import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REGISTRATIONS_FILE, RegistrationsFile, type LocalBinding } from '../../../src/b2bua/index.js';
import { PRIVATE_FILE_MODE, readFileIfExists, writeFileAtomic } from '../../../src/platform/index.js';

/** The file as the agent wires it (src/agent-local.ts). */
function fileIn(dir: string): RegistrationsFile {
  const path = join(dir, REGISTRATIONS_FILE);
  return new RegistrationsFile({ path, read: () => readFileIfExists(path), write: (text) => writeFileAtomic(path, text, { mode: PRIVATE_FILE_MODE }) });
}

const BINDING: LocalBinding = {
  extension: '101', uri: 'sip:101@192.168.1.21:5060', target: { transport: 'TCP', host: '192.168.1.21', port: 40123, flowId: 'tcp-7' },
  userAgent: 'baresip', expiresAt: 1_800_000_000_000, callId: 'abc', cseq: 4,
};

test('registrations.json round-trips the bindings and is written 0600 (as the agent wires it)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'reg-'));
  try {
    const file = fileIn(dir);
    assert.deepEqual(await file.load(), [], 'no file yet: no bindings');
    await file.save([BINDING]);
    assert.deepEqual(await file.load(), [BINDING]);
    assert.equal((await stat(join(dir, REGISTRATIONS_FILE))).mode & 0o777, 0o600);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const BROKEN: { name: string; text: string; loads?: number }[] = [
  { name: 'not JSON', text: '{' },
  { name: 'another format', text: '{"format":2,"bindings":[]}' },
  { name: 'bindings not a list', text: '{"format":1,"bindings":{}}' },
  { name: 'one entry broken, one good', text: JSON.stringify({ format: 1, bindings: [{ ...BINDING, target: { transport: 'SCTP', host: 'x', port: 1 } }, BINDING] }), loads: 1 },
];

for (const row of BROKEN) {
  test(`a registrations file with ${row.name}: ${row.loads === undefined ? 'refused' : `${row.loads} binding kept`}`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reg-'));
    try {
      await writeFile(join(dir, REGISTRATIONS_FILE), row.text);
      const file = fileIn(dir);
      if (row.loads === undefined) await assert.rejects(file.load());
      else assert.equal((await file.load()).length, row.loads);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
