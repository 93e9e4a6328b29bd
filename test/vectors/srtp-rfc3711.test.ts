/** The SRTP keystream and key derivation against RFC 3711 Appendix B, read from the vector files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { aesCmKeystream, deriveSrtpKey, deriveSrtpSessionKeys } from '../../src/rtp/index.js';
import { SRTP_VECTORS_DIR } from '../support/paths.js';

function lines(file: string): string[][] {
  return readFileSync(join(SRTP_VECTORS_DIR, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.trim().split(/\s+/));
}

function value(rows: string[][], name: string): Buffer {
  const row = rows.find((r) => r[0] === name);
  assert.ok(row?.[1] !== undefined, `${name} in the vector file`);
  return Buffer.from(row[1], 'hex');
}

test('B.2: the AES-CM keystream of every counter in the file', () => {
  const rows = lines('b2-aes-cm-keystream.txt');
  const key = value(rows, 'session-key');
  const blocks = rows.filter((r) => r[0] === 'keystream');
  assert.equal(blocks.length, 6);
  for (const [, counter, expected] of blocks) {
    assert.ok(counter !== undefined && expected !== undefined);
    assert.equal(aesCmKeystream(key, Buffer.from(counter, 'hex'), 16).toString('hex').toUpperCase(), expected, counter);
  }
  // The first three blocks as one run from counter 0: the counter advances per 16-byte block.
  const run = aesCmKeystream(key, Buffer.from('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000', 'hex'), 48).toString('hex').toUpperCase();
  assert.equal(run, blocks.slice(0, 3).map((b) => b[2]).join(''));
});

test('B.3: cipher key, cipher salt and 94 bytes of authentication key from the master key and salt', () => {
  const rows = lines('b3-key-derivation.txt');
  const masterKey = value(rows, 'master-key');
  const masterSalt = value(rows, 'master-salt');
  const authKey = value(rows, 'auth-key');
  assert.equal(authKey.length, 94);
  assert.deepEqual(deriveSrtpKey(masterKey, masterSalt, 0x01, 94), authKey);
  const keys = deriveSrtpSessionKeys(masterKey, masterSalt);
  assert.deepEqual(keys.cipherKey, value(rows, 'cipher-key'));
  assert.deepEqual(keys.salt, value(rows, 'cipher-salt'));
  assert.deepEqual(keys.authKey, authKey.subarray(0, 20));
});
