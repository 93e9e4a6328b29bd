import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { DEFAULT_PROTECTION, ProtectionPolicy, type BlockEntry, type ProtectionSettings } from '../../../src/protect/index.js';

const ATTACKER = '192.0.2.66';
const HOUR = 3_600_000;

function policy(settings: Partial<ProtectionSettings> = {}, alwaysAllowed: string[] = []): { p: ProtectionPolicy; clock: ManualClock; blocks: BlockEntry[] } {
  const clock = new ManualClock();
  const p = new ProtectionPolicy({ ...DEFAULT_PROTECTION, ...settings }, clock, { alwaysAllowed });
  const blocks: BlockEntry[] = [];
  p.onBlock((e) => blocks.push(e));
  return { p, clock, blocks };
}

test('defaults: 10 failures in 10 min block for 1 h; rate levels 2,000 and 5,000 packets/s', () => {
  assert.equal(DEFAULT_PROTECTION.auth.maxFailures, 10);
  assert.equal(DEFAULT_PROTECTION.auth.windowMs, 10 * 60_000);
  assert.equal(DEFAULT_PROTECTION.auth.blockMs, HOUR);
  assert.deepEqual(DEFAULT_PROTECTION.rates.map((r) => r.packetsPerSecond), [2000, 5000]);
});

test('failed digests: the threshold, the detection window and the block time (table)', () => {
  const rows: Array<{ name: string; failures: number; spacingMs: number; blocked: boolean }> = [
    { name: '9 failures', failures: 9, spacingMs: 1000, blocked: false },
    { name: '10 failures at once', failures: 10, spacingMs: 0, blocked: true },
    { name: '10 failures within 10 min', failures: 10, spacingMs: 60_000, blocked: true },
    { name: '10 failures spread over 15 min (window restarts)', failures: 10, spacingMs: 100_000, blocked: false },
  ];
  for (const row of rows) {
    const { p, clock, blocks } = policy();
    for (let i = 0; i < row.failures; i++) {
      p.authFailed(ATTACKER);
      clock.advance(row.spacingMs);
    }
    assert.equal(p.isBlocked(ATTACKER), row.blocked, row.name);
    assert.equal(blocks.length, row.blocked ? 1 : 0, row.name);
  }
});

test('a block lasts the configured time, then the source passes again', () => {
  const { p, clock, blocks } = policy();
  for (let i = 0; i < 10; i++) p.authFailed(ATTACKER);
  assert.equal(blocks[0]?.reason, 'auth');
  assert.equal(blocks[0]?.until, (blocks[0]?.since ?? 0) + HOUR);
  assert.equal(p.packet(ATTACKER), 'auth');
  clock.advance(HOUR - 1);
  assert.equal(p.isBlocked(ATTACKER), true);
  clock.advance(1);
  assert.equal(p.isBlocked(ATTACKER), false);
  assert.equal(p.packet(ATTACKER), undefined);
});

test('a success forgets the failures counted so far', () => {
  const { p } = policy();
  for (let i = 0; i < 9; i++) p.authFailed(ATTACKER);
  p.authSucceeded(ATTACKER);
  for (let i = 0; i < 9; i++) p.authFailed(ATTACKER);
  assert.equal(p.isBlocked(ATTACKER), false);
});

test('challenges never answered count as failures; answered ones do not', () => {
  const { p, clock } = policy();
  for (let i = 0; i < 10; i++) p.challenged(ATTACKER, `call-${i}`);
  for (let i = 0; i < 10; i++) p.challenged('192.0.2.7', `call-${i}`);
  for (let i = 0; i < 10; i++) p.answered('192.0.2.7', `call-${i}`);
  clock.advance(31_000);
  assert.equal(p.isBlocked(ATTACKER), false, 'not before the challenge timeout');
  clock.advance(2000);
  assert.equal(p.isBlocked(ATTACKER), false, 'the sweep runs only once started');
  p.sweep();
  assert.equal(p.isBlocked(ATTACKER), true);
  assert.equal(p.isBlocked('192.0.2.7'), false);
});

test('the allow list wins: loopback, the hub, configured masks are never blocked (table)', () => {
  const { p } = policy({ allow: ['10.1.0.0/16', '2001:db8:1::/48'], deny: [{ address: '10.0.0.0/8', until: undefined }] }, ['198.51.100.1']);
  for (const address of ['127.0.0.1', '127.9.9.9', '::1', '198.51.100.1', '10.1.2.3', '2001:db8:1:2::5', '::ffff:10.1.0.9']) {
    for (let i = 0; i < 50; i++) p.authFailed(address);
    for (let i = 0; i < 10_000; i++) assert.equal(p.packet(address), undefined, address);
    assert.equal(p.isBlocked(address), false, address);
    assert.equal(p.isAllowed(address), true, address);
  }
  assert.equal(p.isBlocked('10.2.0.1'), true, 'the deny mask still applies outside the allowed /16');
});

test('deny masks and their expiry (table)', () => {
  const clock = new ManualClock();
  const until = clock.wallNow() + 60_000;
  const p = new ProtectionPolicy({ ...DEFAULT_PROTECTION, deny: [{ address: '203.0.113.0/24', until: undefined }, { address: '2001:db8::/32', until }, { address: '198.51.100.7', until: undefined }] }, clock);
  const rows: Array<[string, boolean]> = [
    ['203.0.113.0', true], ['203.0.113.255', true], ['203.0.114.1', false], ['::ffff:203.0.113.9', true],
    ['2001:db8:ffff::1', true], ['2001:db9::1', false], ['198.51.100.7', true], ['198.51.100.8', false], ['not-an-address', false],
  ];
  for (const [address, blocked] of rows) assert.equal(p.isBlocked(address), blocked, address);
  assert.equal(p.packet('203.0.113.5'), 'deny');
  clock.advance(60_000);
  assert.equal(p.isBlocked('2001:db8:ffff::1'), false, 'expired');
  assert.equal(p.isBlocked('203.0.113.5'), true, 'no expiry');
});

test('packet-rate levels: over the first blocks for its time, over the second for its own (table)', () => {
  const rates = [{ packetsPerSecond: 100, blockMs: 5 * 60_000 }, { packetsPerSecond: 300, blockMs: HOUR }];
  const rows: Array<{ perSecond: number; seconds: number; reason: string | undefined }> = [
    { perSecond: 90, seconds: 5, reason: undefined },
    { perSecond: 150, seconds: 2, reason: 'rate-1' },
    { perSecond: 400, seconds: 4, reason: 'rate-2' },
    { perSecond: 1000, seconds: 1, reason: 'rate-2' },
  ];
  for (const row of rows) {
    const { p, clock, blocks } = policy({ rates });
    for (let s = 0; s < row.seconds; s++) {
      for (let i = 0; i < row.perSecond; i++) {
        p.packet(ATTACKER);
        clock.advance(1000 / row.perSecond);
      }
    }
    assert.equal(p.blockOf(ATTACKER)?.reason, row.reason, `${row.perSecond}/s`);
    if (row.reason !== undefined) {
      const block = blocks.at(-1);
      assert.equal((block?.until ?? 0) - (block?.since ?? 0), row.reason === 'rate-1' ? 5 * 60_000 : HOUR);
      assert.ok(blocks.length <= 2, `one block per level, not one per packet (${blocks.length})`);
    }
  }
});

test('a flood from one source leaves another source untouched', () => {
  const { p } = policy({ rates: [{ packetsPerSecond: 100, blockMs: 60_000 }, { packetsPerSecond: 200, blockMs: HOUR }] });
  for (let i = 0; i < 1000; i++) p.packet(ATTACKER);
  assert.equal(p.isBlocked(ATTACKER), true);
  assert.equal(p.packet('192.0.2.10'), undefined);
});

test('replaceBlocks: the file as read again lifts and adds blocks', () => {
  const { p, clock } = policy();
  for (let i = 0; i < 10; i++) p.authFailed(ATTACKER);
  assert.equal(p.isBlocked(ATTACKER), true);
  p.replaceBlocks([{ address: '198.51.100.0/24', reason: 'deny', since: clock.wallNow(), until: undefined }]);
  assert.equal(p.isBlocked(ATTACKER), false);
  assert.equal(p.isBlocked('198.51.100.200'), true);
  assert.deepEqual(p.blocks().map((b) => b.address), ['198.51.100.0/24']);
  for (let i = 0; i < 9; i++) p.authFailed(ATTACKER);
  assert.equal(p.isBlocked(ATTACKER), false, 'a lift forgets the failures counted before it');
});

test('disabled: nothing is blocked', () => {
  const { p } = policy({ enabled: false, deny: [{ address: '0.0.0.0/0', until: undefined }] });
  for (let i = 0; i < 20; i++) p.authFailed(ATTACKER);
  assert.equal(p.packet(ATTACKER), undefined);
  assert.equal(p.isBlocked(ATTACKER), false);
});
