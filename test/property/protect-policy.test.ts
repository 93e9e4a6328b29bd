import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock } from '../../src/core/index.js';
import { DEFAULT_PROTECTION, MAX_TRACKED_SOURCES, ProtectionGuard, ProtectionPolicy, parseBlocks, scannerAgent, serializeBlocks, type BlockEntry } from '../../src/protect/index.js';

const ALLOWED = ['127.0.0.1', '10.9.0.1', '10.9.255.254'];
const address = fc.oneof(
  fc.constantFrom(...ALLOWED),
  fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => `192.0.${a}.${b}`),
  fc.constantFrom('2001:db8::1', '2001:db8::2', '::ffff:192.0.2.1', 'junk'),
);
const event = fc.oneof(
  fc.record({ kind: fc.constant('packet' as const), address }),
  fc.record({ kind: fc.constant('failed' as const), address }),
  fc.record({ kind: fc.constant('succeeded' as const), address }),
  fc.record({ kind: fc.constant('challenged' as const), address, key: fc.nat(20).map(String) }),
  fc.record({ kind: fc.constant('answered' as const), address, key: fc.nat(20).map(String) }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.nat(120_000) }),
  fc.record({ kind: fc.constant('datagram' as const), address, data: fc.uint8Array({ maxLength: 300 }) }),
);

test('any sequence of packets, outcomes and time: nothing throws, the allow list is never blocked, blocks end when due', () => {
  let runsWithBlocks = 0;
  fc.assert(fc.property(fc.array(event, { minLength: 100, maxLength: 300 }), (events) => {
    const clock = new ManualClock();
    const policy = new ProtectionPolicy({ ...DEFAULT_PROTECTION, auth: { ...DEFAULT_PROTECTION.auth, maxFailures: 3 }, allow: ['10.9.0.0/16'], rates: [{ packetsPerSecond: 10, blockMs: 60_000 }, { packetsPerSecond: 20, blockMs: 600_000 }] }, clock);
    const guard = new ProtectionGuard(policy);
    const added: BlockEntry[] = [];
    policy.onBlock((e) => added.push(e));
    for (const e of events) {
      switch (e.kind) {
        case 'packet': policy.packet(e.address); break;
        case 'failed': guard.authFailed(e.address); break;
        case 'succeeded': guard.authSucceeded(e.address); break;
        case 'challenged': policy.challenged(e.address, e.key); break;
        case 'answered': policy.answered(e.address, e.key); break;
        case 'datagram': guard.dropDatagram(Buffer.from(e.data), e.address); break;
        case 'advance': clock.advance(e.ms); policy.sweep(); break;
      }
    }
    for (const a of ALLOWED) assert.equal(policy.isBlocked(a), false, a);
    assert.ok(added.every((b) => !ALLOWED.includes(b.address)));
    assert.ok(policy.tracked.failing <= MAX_TRACKED_SOURCES && policy.tracked.challenges <= MAX_TRACKED_SOURCES);
    if (added.length > 0) runsWithBlocks++;
    // Every block has an end: past the longest block time (auth, 1 h) nothing is blocked any more.
    // (The first sweep may still count challenges left unanswered, and block for them.)
    for (let i = 0; i < 2; i++) {
      clock.advance(DEFAULT_PROTECTION.auth.blockMs);
      policy.sweep();
    }
    assert.deepEqual(policy.blocks(), []);
    assert.equal(policy.tracked.challenges, 0);
  }), { numRuns: 300 });
  assert.ok(runsWithBlocks > 30, `blocks were made in ${runsWithBlocks} of 300 runs`);
});

test('blocks files round-trip, and arbitrary text is either a block list or a BlockFileError', () => {
  const entry = fc.record({
    address: fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => `198.51.${a}.${b}`),
    reason: fc.constantFrom('auth', 'rate-1', 'rate-2', 'scanner', 'deny', 'enrollment' as const),
    since: fc.integer({ min: 0, max: 4_000_000_000_000 }),
    until: fc.option(fc.integer({ min: 0, max: 4_000_000_000_000 }), { nil: undefined }),
  });
  fc.assert(fc.property(fc.array(entry, { maxLength: 20 }), (entries) => {
    assert.deepEqual(parseBlocks(serializeBlocks(entries), 'b.json'), entries.map((e) => ({ ...e })));
  }));
  fc.assert(fc.property(fc.string(), (text) => {
    try {
      parseBlocks(text, 'b.json');
    } catch (error) {
      assert.equal((error as { name?: string }).name, 'BlockFileError');
    }
  }));
});

test('scannerAgent never throws on arbitrary bytes', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
    const found = scannerAgent(Buffer.from(bytes));
    assert.ok(found === undefined || typeof found === 'string');
  }));
});
