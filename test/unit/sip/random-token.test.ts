import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRfc3261Branch, newBranch, newTag } from '../../../src/sip/index.js';
import { randomToken } from '../../../src/sip/random-token.js';

test('newTag gives 48 random bits in hex, fresh across many pool refills', () => {
  // 2,000 tags of 6 bytes draw the 4 KiB pool about three times over.
  const tags = Array.from({ length: 2000 }, () => newTag());
  for (const tag of tags) assert.match(tag, /^[0-9a-f]{12}$/);
  assert.equal(new Set(tags).size, tags.length);
});

test('newBranch gives the magic cookie and 96 random bits in base64url, fresh across refills', () => {
  const branches = Array.from({ length: 1000 }, () => newBranch());
  for (const branch of branches) {
    assert.match(branch, /^z9hG4bK[A-Za-z0-9_-]{16}$/);
    assert.ok(isRfc3261Branch(branch));
  }
  assert.equal(new Set(branches).size, branches.length);
});

test('randomToken: a token straddling the end of the pool is cut from a fresh pool, whole', () => {
  // 4096 is not a multiple of 10: some tokens fall where the old pool has too few bytes left.
  const tokens = Array.from({ length: 1000 }, () => randomToken(10, 'hex'));
  for (const token of tokens) assert.match(token, /^[0-9a-f]{20}$/);
  assert.equal(new Set(tokens).size, tokens.length);
});

test('randomToken refuses a size above the pool', () => {
  assert.throws(() => randomToken(4097, 'hex'), RangeError);
});
