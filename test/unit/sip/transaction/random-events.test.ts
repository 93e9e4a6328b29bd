import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TransactionError } from '../../../../src/sip/transaction/index.js';
import { TCP_SOURCE, TCP_TARGET, UDP_SOURCE, UDP_TARGET, request, response, setup } from './harness.js';

type Step =
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'response'; readonly status: number }
  | { readonly kind: 'tu'; readonly status: number }
  | { readonly kind: 'retransmit' }
  | { readonly kind: 'ack'; readonly sameBranch: boolean }
  | { readonly kind: 'cancel' };

const status = fc.constantFrom(100, 180, 183, 200, 202, 302, 401, 486, 503, 603);
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 40_000 }) }),
  fc.record({ kind: fc.constant('response' as const), status }),
  fc.record({ kind: fc.constant('tu' as const), status }),
  fc.record({ kind: fc.constant('retransmit' as const) }),
  fc.record({ kind: fc.constant('ack' as const), sameBranch: fc.boolean() }),
  fc.record({ kind: fc.constant('cancel' as const) }),
);

/**
 * Whatever happens in whatever order, on UDP or TCP: no exception but a TU's TransactionError,
 * and once the longest timer has run every transaction is gone and no timer is left.
 */
test('property: any sequence of messages, TU answers and time ends with no transaction and no timer', () => {
  fc.assert(fc.property(fc.boolean(), fc.constantFrom('INVITE', 'OPTIONS'), fc.array(step, { maxLength: 25 }), (reliable, method, steps) => {
    const s = setup();
    const source = reliable ? TCP_SOURCE : UDP_SOURCE;
    const via = `SIP/2.0/${source.transport} 192.0.2.10:5060;branch=z9hG4bK-p`;
    const incoming = request({ method, via });
    const outgoing = request({ method, branch: 'z9hG4bK-out' });
    s.layer.receive(incoming, source);
    s.layer.sendRequest(outgoing, reliable ? TCP_TARGET : UDP_TARGET, s.user);
    const server = s.user.requests[0]!.tx;
    for (const st of steps) {
      switch (st.kind) {
        case 'advance':
          s.clock.advance(st.ms);
          break;
        case 'response':
          s.layer.receive(response(outgoing, st.status), source);
          break;
        case 'tu':
          try {
            server.respond(response(incoming, st.status, 'uas'));
          } catch (error) {
            if (!(error instanceof TransactionError)) throw error;
          }
          break;
        case 'retransmit':
          s.layer.receive(incoming, source);
          break;
        case 'ack':
          s.layer.receive(request({ method: 'ACK', toTag: 'uas', via: st.sameBranch ? via : `${via}x` }), source);
          break;
        case 'cancel':
          s.layer.receive(request({ method: 'CANCEL', via }), source);
          break;
      }
    }
    // A server transaction waits for its TU as long as it takes (Timer C is the TU's): answer every
    // one, including those a retransmission created after a J = 0 termination over TCP.
    for (const { tx } of s.user.requests) {
      try {
        tx.respond(response(tx.request, 500, 'uas'));
      } catch (error) {
        if (!(error instanceof TransactionError)) throw error;
      }
    }
    s.clock.advance(64 * 500 + 180_000 + 32_000 + 5000);
    assert.equal(s.clock.pending, 0);
    assert.equal(s.layer.counters().clientTransactions, 0);
    assert.equal(s.layer.counters().serverTransactions, 0);
  }), { numRuns: 300 });
});
