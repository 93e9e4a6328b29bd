import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { generateAuthKey, generateId, hashAuthKey, normalizeAuthKey, normalizeFingerprint, verifyAuthKey } from '../../../../src/tunnel/index.js';
import { FAST_SCRYPT } from './fixtures.js';

test('a generated key is 8 groups of 4 Crockford base32 characters (160 bits)', () => {
  const zero = generateAuthKey(() => Buffer.alloc(20));
  assert.equal(zero, '0000-0000-0000-0000-0000-0000-0000-0000');
  const ones = generateAuthKey(() => Buffer.alloc(20, 0xff));
  assert.equal(ones, 'ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ');
  const key = generateAuthKey();
  assert.match(key, /^([0-9A-HJKMNP-TV-Z]{4}-){7}[0-9A-HJKMNP-TV-Z]{4}$/);
  assert.notEqual(generateAuthKey(), key);
  assert.match(generateId(), /^[0-9a-hjkmnp-tv-z]{16}$/);
});

test('normalizeAuthKey forgives case, dashes, spaces and O/I/L; refuses anything else', () => {
  const table: Array<[string, string | undefined]> = [
    ['7KQ2-M9XD-0000-1111-2222-3333-4444-5555', '7KQ2M9XD000011112222333344445555'],
    ['7kq2 m9xd oooo iiii 2222 3333 4444 5555', '7KQ2M9XD000011112222333344445555'],
    ['7KQ2M9XD0000LLLL2222333344445555', '7KQ2M9XD000011112222333344445555'],
    ['7KQ2-M9XD-0000-1111-2222-3333-4444', undefined],
    ['7KQ2-M9XD-0000-1111-2222-3333-4444-5555-6', undefined],
    ['UUUU-M9XD-0000-1111-2222-3333-4444-5555', undefined],
    ['', undefined],
  ];
  for (const [input, expected] of table) assert.equal(normalizeAuthKey(input), expected, input);
});

test('property: every generated key normalizes, and normalizeAuthKey never throws', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (bytes) => {
      const key = generateAuthKey(() => Buffer.from(bytes));
      assert.equal(normalizeAuthKey(key), key.replace(/-/g, ''));
    }),
  );
  fc.assert(fc.property(fc.string(), (s) => void normalizeAuthKey(s)));
});

test('hash and verify: the right key (in any typed form) matches; another key, a malformed one, a changed hash do not', async () => {
  const key = generateAuthKey();
  const stored = await hashAuthKey(key, FAST_SCRYPT);
  assert.equal(stored.algorithm, 'scrypt');
  assert.equal(stored.N, FAST_SCRYPT.N);
  assert.equal(Buffer.from(stored.salt, 'base64').length, 16);
  assert.ok(!JSON.stringify(stored).includes(key.replace(/-/g, '')), 'the key itself is not stored');
  assert.equal(await verifyAuthKey(key, stored), true);
  assert.equal(await verifyAuthKey(key.toLowerCase().replace(/-/g, ' '), stored), true);
  assert.equal(await verifyAuthKey(generateAuthKey(), stored), false);
  assert.equal(await verifyAuthKey('not a key', stored), false);
  const flipped = Buffer.from(stored.hash, 'base64');
  flipped[0] = (flipped[0] ?? 0) ^ 1;
  assert.equal(await verifyAuthKey(key, { ...stored, hash: flipped.toString('base64') }), false);
  const again = await hashAuthKey(key, FAST_SCRYPT);
  assert.notEqual(again.salt, stored.salt, 'each hash has its own salt');
  await assert.rejects(hashAuthKey('short', FAST_SCRYPT), RangeError);
});

test('normalizeFingerprint accepts the usual pasted forms', () => {
  const canonical = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase()).join(':');
  const table: Array<[string, string | undefined]> = [
    [canonical, canonical],
    [canonical.toLowerCase(), canonical],
    [canonical.replace(/:/g, ''), canonical],
    [`sha256 Fingerprint=${canonical}`, canonical],
    [`SHA256:${canonical}`, canonical],
    [canonical.slice(3), undefined],
    [`${canonical}:00`, undefined],
    ['zz', undefined],
  ];
  for (const [input, expected] of table) assert.equal(normalizeFingerprint(input), expected, input);
});
