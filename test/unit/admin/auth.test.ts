/**
 * The admin token: constant-time comparison of any lengths, the Bearer header and ?token=, the
 * per-source failure limit on a manual clock, and the token file (0600, made once, reused).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/core/index.js';
import { FailureLimiter, adminTokenPath, loadOrCreateAdminToken, presentedToken, tokensEqual } from '../../../src/admin/index.js';

test('tokensEqual: equal only for the same text, whatever the lengths', () => {
  const rows: [string, string, boolean][] = [
    ['abcdefghijklmnop', 'abcdefghijklmnop', true],
    ['abcdefghijklmnop', 'abcdefghijklmnoq', false],
    ['abcdefghijklmnop', 'abcdefghijklmno', false],
    ['abcdefghijklmnop', '', false],
    ['abcdefghijklmnop', 'abcdefghijklmnopabcdefghijklmnop', false],
  ];
  for (const [a, b, want] of rows) assert.equal(tokensEqual(a, b), want, `${a} vs ${b}`);
});

test('presentedToken: Bearer header first, then ?token= ; other schemes are no token', () => {
  const q = (s: string) => new URLSearchParams(s);
  const rows: [string | undefined, URLSearchParams | undefined, string | undefined][] = [
    ['Bearer abc', undefined, 'abc'],
    ['bearer   abc  ', undefined, 'abc'],
    ['Basic YWJjOmRlZg==', undefined, undefined],
    ['Bearer', undefined, undefined],
    [undefined, q('token=xyz'), 'xyz'],
    ['Bearer abc', q('token=xyz'), 'abc'],
    [undefined, q('other=1'), undefined],
  ];
  for (const [header, query, want] of rows) assert.equal(presentedToken(header, query), want, String(header));
});

test('FailureLimiter: the 10th wrong token in a minute blocks the source for the rest of the window, others not', () => {
  const clock = new ManualClock();
  const limiter = new FailureLimiter({ clock, maxFailures: 10, windowMs: 60_000 });
  for (let i = 0; i < 9; i++) limiter.fail('10.0.0.1');
  assert.equal(limiter.blocked('10.0.0.1'), false);
  limiter.fail('10.0.0.1');
  assert.equal(limiter.blocked('10.0.0.1'), true);
  assert.equal(limiter.blocked('10.0.0.2'), false);
  assert.equal(limiter.retryAfterSeconds('10.0.0.1'), 60);
  clock.advance(59_999);
  assert.equal(limiter.blocked('10.0.0.1'), true);
  clock.advance(1);
  assert.equal(limiter.blocked('10.0.0.1'), false, 'failures older than the window are forgotten');
});

test('admin token file: created 0600 once, the same token read back; a short token is refused', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-admin-token-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = adminTokenPath(join(dir, 'state'));
  const first = await loadOrCreateAdminToken(path);
  assert.equal(first.created, true);
  assert.match(first.token, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  const again = await loadOrCreateAdminToken(path);
  assert.deepEqual(again, { token: first.token, created: false });
  const both = await Promise.all([loadOrCreateAdminToken(join(dir, 'race')), loadOrCreateAdminToken(join(dir, 'race'))]);
  assert.equal(both[0].token, both[1].token, 'two first starts at once agree on one token');
  await writeFile(join(dir, 'short'), 'abc\n');
  await assert.rejects(loadOrCreateAdminToken(join(dir, 'short')), { code: 'SBC_ERR_STATE' });
});
