/**
 * Whatever arrives on the group socket, the responder neither throws nor loses count: every
 * datagram lands in exactly one counter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkRequestPath, type PnpStats } from '../../../src/pnp/index.js';
import { ALL_CAPTURES, captureBytes } from '../../support/pnp-captures.js';
import { pnpRig } from '../../support/pnp-rig.js';

function accounted(s: PnpStats): number {
  return s.rateLimited + s.malformed + s.ignored + s.pending + s.rejected + s.overloaded + s.answered + s.subscribeRetransmissions + s.notifyResponses;
}

const mutated = fc
  .tuple(fc.constantFrom(...ALL_CAPTURES), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat())
  .map(([c, edits, cut]) => {
    const bytes = Buffer.from(captureBytes(c));
    for (const [at, value] of edits) bytes[at % bytes.length] = value;
    return cut % 3 === 0 ? bytes.subarray(0, cut % bytes.length) : bytes;
  });

test('any datagram: no throw, and received = the sum of the outcome counters', async () => {
  const r = pnpRig('auto', { burst: 1_000_000 });
  try {
    fc.assert(
      fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a))), fc.ipV4(), (data, address) => {
        r.responder.handleMulticast(data, { address, port: 5060, family: 'IPv4' });
        assert.equal(accounted(r.responder.stats), r.responder.stats.received);
      }),
      { numRuns: 2000 },
    );
    assert.ok(r.responder.stats.malformed > 0 && r.responder.stats.answered > 0, 'both kinds were generated');
  } finally {
    await r.done();
  }
});

test('any datagram on the unicast socket or any request-target: no throw', async () => {
  const r = pnpRig('auto');
  try {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (a) => {
      assert.equal(typeof r.responder.handleUnicast(Buffer.from(a)), 'boolean');
    }), { numRuns: 1000 });
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (target) => {
      const checked = checkRequestPath(`/${target}`);
      if (checked.ok) assert.ok(!checked.path.split('/').includes('..'));
    }), { numRuns: 2000 });
  } finally {
    await r.done();
  }
});
