/**
 * Completed server transactions kept as records (completed-store.ts): RFC 3261 §17.2.1/§17.2.2
 * and RFC 6026 §8.7 behaviour for the whole timer, outside the cap of live transactions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeader } from '../../../../src/sip/message.js';
import { serializeMessage } from '../../../../src/sip/serialize.js';
import type { InviteClientTransaction, InviteServerTransaction, NonInviteServerTransaction, TransactionSource } from '../../../../src/sip/transaction/index.js';
import { TCP_SOURCE, UDP_SOURCE, request, response, setup } from './harness.js';

/** The sweep may run up to this much after a record's timer (CompletedStore resolutionMs). */
const SWEEP_RESOLUTION_MS = 100;

function bye(branch = 'z9hG4bK-bye', source: TransactionSource = UDP_SOURCE) {
  return request({ method: 'BYE', toTag: 'uas', via: `SIP/2.0/${source.transport} 192.0.2.10:5060;branch=${branch}` });
}

function ackFor(invite: ReturnType<typeof request>, toTag = 'uas') {
  return request({ method: 'ACK', via: getHeader(invite, 'Via') ?? '', toTag });
}

test('a BYE answered 200 over UDP: each retransmission within Timer J gets the same bytes; after J it is a new request', () => {
  const s = setup();
  const req = bye();
  s.layer.receive(req, UDP_SOURCE);
  const tx = s.user.requests[0]!.tx as NonInviteServerTransaction;
  const ok = response(req, 200, 'uas');
  tx.respond(ok);
  assert.equal(tx.state, 'Completed');
  assert.deepEqual(s.layer.counters().serverTransactions, 0);
  assert.deepEqual(s.layer.counters().completedTransactions, 1);
  for (const at of [1, 10_000, 31_999]) {
    s.clock.advance(at - s.clock.now());
    s.layer.receive(req, UDP_SOURCE);
  }
  assert.equal(tx.state, 'Completed');
  assert.deepEqual(s.transport.times(200), [0, 1, 10_000, 31_999]);
  assert.equal(s.transport.serialized, 4);
  const wire = serializeMessage(ok);
  for (const sent of s.transport.sent) assert.deepEqual(serializeMessage(sent.message), wire);
  assert.deepEqual(s.user.events, ['request BYE']);
  s.clock.advance(32_000 + SWEEP_RESOLUTION_MS - s.clock.now());
  assert.equal(tx.state, 'Terminated');
  assert.equal(s.layer.counters().completedTransactions, 0);
  assert.equal(s.clock.pending, 0);
  s.layer.receive(req, UDP_SOURCE);
  assert.deepEqual(s.user.events, ['request BYE', 'request BYE']);
  assert.equal(s.transport.sent.length, 4);
});

test('completed transactions do not count against the cap of live ones: 50 BYEs through a cap of 2', () => {
  const s = setup({ maxTransactions: 2 });
  s.user.answer = 200;
  for (let i = 0; i < 50; i++) s.layer.receive(bye(`z9hG4bK-b${i}`), UDP_SOURCE);
  const counters = s.layer.counters();
  assert.equal(counters.overloaded, 0);
  assert.equal(counters.serverTransactions, 0);
  assert.equal(counters.completedTransactions, 50);
  assert.deepEqual(new Set(s.transport.labels()), new Set(['200']));
});

test('an INVITE answered 2xx (RFC 6026 Accepted): retransmissions absorbed, ACKs passed up, the TU 2xx still sent, until Timer L', () => {
  const s = setup();
  const invite = request({ via: 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-acc' });
  s.layer.receive(invite, UDP_SOURCE);
  const tx = s.user.requests[0]!.tx as InviteServerTransaction;
  tx.respond(response(invite, 200, 'uas'));
  assert.equal(s.layer.counters().serverTransactions, 0);
  s.clock.advance(500);
  s.layer.receive(invite, UDP_SOURCE);
  tx.respond(response(invite, 200, 'uas'));
  s.layer.receive(ackFor(invite), UDP_SOURCE);
  s.clock.advance(32_000 - 500 - 1);
  s.layer.receive(ackFor(invite), UDP_SOURCE);
  assert.equal(tx.state, 'Accepted');
  s.clock.advance(1 + SWEEP_RESOLUTION_MS);
  assert.equal(tx.state, 'Terminated');
  assert.deepEqual(s.transport.times(200), [0, 500]);
  assert.deepEqual(s.user.events, ['request INVITE', 'ack (Accepted)', 'ack (Accepted)']);
  s.layer.receive(ackFor(invite), UDP_SOURCE);
  assert.deepEqual(s.user.events.at(-1), 'ack (no transaction)');
});

test('the TU\'s own 503 to an INVITE: the ACK moves it to Confirmed and its retransmissions are absorbed, never passed to the TU', () => {
  const s = setup();
  const invite = request({ via: 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-busy' });
  s.layer.receive(invite, UDP_SOURCE);
  const tx = s.user.requests[0]!.tx as InviteServerTransaction;
  tx.respond(response(invite, 503, 'uas'));
  s.layer.receive(ackFor(invite), UDP_SOURCE);
  assert.equal(tx.state, 'Confirmed');
  assert.equal(s.layer.counters().completedTransactions, 1);
  s.clock.advance(4_999);
  s.layer.receive(ackFor(invite), UDP_SOURCE);
  s.layer.receive(invite, UDP_SOURCE);
  s.clock.advance(1 + SWEEP_RESOLUTION_MS);
  assert.equal(tx.state, 'Terminated');
  assert.deepEqual(s.user.events, ['request INVITE']);
  assert.deepEqual(s.transport.labels(), ['503']);
});

// §21.5.4 / §17.2.1: the layer's own 503 at its cap; its ACK is absorbed, the INVITE resent gets the same 503.
for (const source of [UDP_SOURCE, TCP_SOURCE]) {
  test(`the layer's 503 when full (${source.transport}): the ACK is absorbed, not passed to the TU; a retransmission gets the same 503 until Timer H`, () => {
    const s = setup({ maxTransactions: 1 });
    s.layer.receive(request({ method: 'OPTIONS', branch: 'z9hG4bK-keep' }), UDP_SOURCE);
    const invite = request({ via: `SIP/2.0/${source.transport} 192.0.2.10:5060;branch=z9hG4bK-over` });
    s.layer.receive(invite, source);
    assert.deepEqual(s.transport.labels(), ['503']);
    const refusal = s.transport.sent[0]!.message;
    const ack = request({ method: 'ACK', via: getHeader(invite, 'Via') ?? '', toTag: /tag=([^;]+)/.exec(getHeader(refusal, 'To') ?? '')?.[1] ?? '' });
    s.layer.receive(ack, source);
    s.clock.advance(31_999);
    s.layer.receive(invite, source);
    s.layer.receive(ack, source);
    assert.deepEqual(s.user.events, ['request OPTIONS']);
    assert.deepEqual(s.transport.labels(), ['503', '503']);
    assert.deepEqual(serializeMessage(s.transport.sent[1]!.message), serializeMessage(refusal));
    assert.equal(s.layer.counters().overloaded, 1);
    s.clock.advance(1 + SWEEP_RESOLUTION_MS);
    assert.equal(s.layer.counters().completedTransactions, 0);
    s.layer.receive(ack, source);
    assert.deepEqual(s.user.events, ['request OPTIONS', 'ack (no transaction)']);
  });
}

test('the completed records are bounded by memory: the oldest are dropped first and their machines end', () => {
  const s = setup({ maxCompletedBytes: 4 * 1024 });
  s.user.answer = 200;
  for (let i = 0; i < 40; i++) s.layer.receive(bye(`z9hG4bK-m${i}`), UDP_SOURCE);
  const counters = s.layer.counters();
  assert.ok(counters.completedDropped > 0, 'some records dropped');
  assert.equal(counters.completedTransactions + counters.completedDropped, 40);
  const first = s.user.requests[0]!.tx;
  const last = s.user.requests[39]!.tx;
  assert.equal(first.state, 'Terminated');
  assert.equal(last.state, 'Completed');
});

test('close() ends the machines behind records and their sweep timer', () => {
  const s = setup();
  s.user.answer = 200;
  s.layer.receive(bye(), UDP_SOURCE);
  const tx = s.user.requests[0]!.tx;
  assert.equal(s.clock.pending, 1);
  s.layer.close();
  assert.equal(tx.state, 'Terminated');
  assert.equal(s.clock.pending, 0);
  assert.equal(s.layer.counters().completedTransactions, 0);
});

// Client side: §17.1.2.2 Completed (Timer K) and RFC 6026 §8.4 Accepted (Timer M) as records.
test('a non-INVITE client transaction answered 200 over UDP: retransmissions absorbed until Timer K, then stray; outside the cap', () => {
  const s = setup({ maxTransactions: 1 });
  const target = { transport: 'UDP' as const, host: '192.0.2.20', port: 5060 };
  const options = request({ method: 'OPTIONS', branch: 'z9hG4bK-opt' });
  const tx = s.layer.sendRequest(options, target, s.user);
  s.layer.receive(response(options, 200), UDP_SOURCE);
  assert.equal(tx.state, 'Completed');
  assert.deepEqual(s.layer.counters().clientTransactions, 0);
  assert.deepEqual(s.layer.counters().completedClientTransactions, 1);
  // The cap of 1 live client transaction is free again.
  s.layer.sendRequest(request({ method: 'OPTIONS', branch: 'z9hG4bK-opt2' }), target, s.user);
  s.clock.advance(4_999);
  s.layer.receive(response(options, 200), UDP_SOURCE);
  assert.deepEqual(s.user.events, ['response 200 (Completed)']);
  s.clock.advance(1 + SWEEP_RESOLUTION_MS);
  assert.equal(tx.state, 'Terminated');
  s.layer.receive(response(options, 200), UDP_SOURCE);
  assert.deepEqual(s.user.events, ['response 200 (Completed)', 'terminated', 'stray 200']);
});

test('an INVITE client transaction answered 2xx (RFC 6026 Accepted): 2xx retransmissions still reach the TU until Timer M', () => {
  const s = setup();
  const invite = request({ branch: 'z9hG4bK-inv' });
  const tx = s.layer.sendRequest(invite, { transport: 'UDP', host: '192.0.2.20', port: 5060 }, s.user);
  s.layer.receive(response(invite, 200, 'uas'), UDP_SOURCE);
  assert.equal(s.layer.counters().clientTransactions, 0);
  assert.equal(s.layer.counters().completedClientTransactions, 1);
  s.clock.advance(31_999);
  s.layer.receive(response(invite, 200, 'uas'), UDP_SOURCE);
  s.layer.receive(response(invite, 486, 'uas'), UDP_SOURCE);
  assert.equal(tx.state, 'Accepted');
  s.clock.advance(1 + SWEEP_RESOLUTION_MS);
  assert.equal(tx.state, 'Terminated');
  s.layer.receive(response(invite, 200, 'uas'), UDP_SOURCE);
  assert.deepEqual(s.user.events, ['response 200 (Accepted)', 'response 200 (Accepted)', 'terminated', 'stray 200']);
  assert.equal(s.clock.pending, 0);
});

// A pending timer keeps its transaction in memory: once answered, A, B and C (3 min) must be gone.
const ANSWERED = [
  { name: '2xx in Calling', provisional: false, status: 200, running: [] },
  { name: '2xx in Proceeding', provisional: true, status: 200, running: [] },
  { name: '486 in Calling', provisional: false, status: 486, running: ['D'] },
  { name: '486 in Proceeding', provisional: true, status: 486, running: ['D'] },
];
for (const c of ANSWERED) {
  test(`an INVITE client transaction answered ${c.name} keeps no timer of Calling or Proceeding (running: ${c.running.join(', ') || 'none'})`, () => {
    const s = setup();
    const invite = request({ branch: 'z9hG4bK-timers' });
    const tx = s.layer.sendRequest(invite, { transport: 'UDP', host: '192.0.2.20', port: 5060 }, s.user) as InviteClientTransaction;
    if (c.provisional) s.layer.receive(response(invite, 180, 'uas'), UDP_SOURCE);
    s.layer.receive(response(invite, c.status, 'uas'), UDP_SOURCE);
    assert.deepEqual([...tx.runningTimers].sort(), c.running);
  });
}
