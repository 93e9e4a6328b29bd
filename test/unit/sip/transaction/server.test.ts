import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeader } from '../../../../src/sip/message.js';
import { TransactionError, type InviteServerTransaction, type NonInviteServerTransaction, type TransactionSource } from '../../../../src/sip/transaction/index.js';
import { TCP_SOURCE, UDP_SOURCE, flush, request, response, setup } from './harness.js';

function receiveInvite(s: ReturnType<typeof setup>, source: TransactionSource = UDP_SOURCE) {
  const invite = request({ via: `SIP/2.0/${source.transport} 192.0.2.10:5060;branch=z9hG4bK-1` });
  s.layer.receive(invite, source);
  const tx = s.user.requests.at(-1)?.tx as InviteServerTransaction;
  assert.equal(tx.kind, 'invite-server');
  return { invite, tx };
}

/** The ACK a UAC sends for a non-2xx final response: same branch (§17.1.1.3). */
function ackFor(invite: ReturnType<typeof request>, toTag = 'uas') {
  const via = getHeader(invite, 'Via') ?? '';
  return request({ method: 'ACK', via, toTag });
}

test('INVITE server sends 100 Trying after 200 ms when the TU is silent (§17.2.1)', () => {
  const s = setup();
  receiveInvite(s);
  s.clock.advance(199);
  assert.deepEqual(s.transport.labels(), []);
  s.clock.advance(1);
  assert.deepEqual(s.transport.times(100), [200]);
  const trying = s.transport.sent[0]!.message;
  assert.equal(getHeader(trying, 'To'), '<sip:bob@example.com>');
  assert.equal(getHeader(trying, 'CSeq'), '1 INVITE');
});

test('INVITE server sends no 100 Trying when the TU answers within 200 ms; a retransmitted INVITE gets the last provisional again', () => {
  const s = setup();
  const { invite, tx } = receiveInvite(s);
  s.clock.advance(150);
  tx.respond(response(invite, 180, 'uas'));
  s.clock.advance(1000);
  s.layer.receive(invite, UDP_SOURCE);
  assert.deepEqual(s.transport.sent.map((x) => [x.at, x.message.kind === 'response' ? x.message.status : 0]), [[150, 180], [1150, 180]]);
  assert.deepEqual(s.user.events, ['request INVITE']);
  assert.equal(s.layer.counters().serverTransactions, 1);
});

// §17.2.1: timer G from T1 doubling to T2 (UDP only); timer H = 64*T1 without ACK.
const NO_ACK = [
  { source: UDP_SOURCE, sends: [0, 500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500] },
  { source: TCP_SOURCE, sends: [0] },
];

for (const c of NO_ACK) {
  test(`INVITE server over ${c.source.transport}: 486 retransmitted by timer G ${c.sends.length - 1} times; timer H reports a timeout at 32 s`, () => {
    const s = setup();
    const { invite, tx } = receiveInvite(s, c.source);
    tx.respond(response(invite, 486, 'uas'));
    assert.equal(tx.state, 'Completed');
    s.clock.advance(31_999);
    assert.equal(tx.state, 'Completed');
    s.clock.advance(1);
    assert.deepEqual(s.transport.times(486), c.sends);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(s.user.events, ['request INVITE', 'server timeout Terminated']);
    assert.equal(s.clock.pending, 0);
    assert.equal(s.layer.counters().serverTransactions, 0);
  });
}

for (const c of [{ source: UDP_SOURCE, i: 5000 }, { source: TCP_SOURCE, i: 0 }]) {
  test(`INVITE server over ${c.source.transport}: ACK → Confirmed, G stops, ACK retransmissions absorbed, timer I = ${c.i}`, () => {
    const s = setup();
    const { invite, tx } = receiveInvite(s, c.source);
    tx.respond(response(invite, 404, 'uas'));
    s.clock.advance(600);
    // A retransmitted INVITE in Completed gets the final response again.
    s.layer.receive(invite, c.source);
    s.layer.receive(ackFor(invite), c.source);
    if (c.i > 0) {
      assert.equal(tx.state, 'Confirmed');
      s.layer.receive(ackFor(invite), c.source);
      s.clock.advance(c.i - 1);
      assert.equal(tx.state, 'Confirmed');
      s.clock.advance(1);
    }
    assert.equal(tx.state, 'Terminated');
    s.clock.advance(60_000);
    const expected = c.source.transport === 'UDP' ? [0, 500, 600] : [0, 600];
    assert.deepEqual(s.transport.times(404), expected);
    assert.deepEqual(s.user.events, ['request INVITE']);
  });
}

for (const source of [UDP_SOURCE, TCP_SOURCE]) {
  test(`INVITE server over ${source.transport}: 2xx → Accepted (RFC 6026): INVITE retransmissions absorbed, TU 2xx sent, ACK passed up, timer L`, () => {
    const s = setup();
    const { invite, tx } = receiveInvite(s, source);
    tx.respond(response(invite, 200, 'uas'));
    assert.equal(tx.state, 'Accepted');
    s.layer.receive(invite, source);
    s.clock.advance(500);
    tx.respond(response(invite, 200, 'uas'));
    // An ACK that reuses the INVITE branch matches the transaction; one with a new branch does not.
    s.layer.receive(ackFor(invite), source);
    s.layer.receive(request({ method: 'ACK', branch: 'z9hG4bK-ack', toTag: 'uas' }), source);
    assert.throws(() => tx.respond(response(invite, 486, 'uas')), TransactionError);
    s.clock.advance(32_000 - 500 - 1);
    assert.equal(tx.state, 'Accepted');
    s.clock.advance(1);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(s.transport.times(200), [0, 500]);
    assert.deepEqual(s.user.events, ['request INVITE', 'ack (Accepted)', 'ack (no transaction)']);
    assert.throws(() => tx.respond(response(invite, 200, 'uas')), TransactionError);
  });
}

for (const c of [{ source: UDP_SOURCE, j: 32_000 }, { source: TCP_SOURCE, j: 0 }]) {
  test(`non-INVITE server over ${c.source.transport}: Trying absorbs, Proceeding and Completed resend, timer J = ${c.j}`, () => {
    const s = setup();
    const req = request({ method: 'REGISTER', via: `SIP/2.0/${c.source.transport} 192.0.2.10:5060;branch=z9hG4bK-r` });
    s.layer.receive(req, c.source);
    const tx = s.user.requests[0]!.tx as NonInviteServerTransaction;
    assert.equal(tx.state, 'Trying');
    s.layer.receive(req, c.source);
    assert.deepEqual(s.transport.labels(), []);
    tx.respond(response(req, 100));
    assert.equal(tx.state, 'Proceeding');
    s.layer.receive(req, c.source);
    tx.respond(response(req, 200, 'reg'));
    tx.respond(response(req, 500, 'reg'));
    if (c.j > 0) {
      assert.equal(tx.state, 'Completed');
      s.layer.receive(req, c.source);
      s.clock.advance(c.j - 1);
      assert.equal(tx.state, 'Completed');
      s.clock.advance(1);
      assert.deepEqual(s.transport.labels(), ['100', '100', '200', '200']);
    } else {
      assert.deepEqual(s.transport.labels(), ['100', '100', '200']);
    }
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(s.user.events, ['request REGISTER']);
    assert.throws(() => tx.respond(response(req, 180)), TransactionError);
  });
}

test('responses go back per §18.2.2 / RFC 3581: the flow over TCP, received:rport over UDP', () => {
  const s = setup();
  s.user.answer = 200;
  s.layer.receive(request({ method: 'OPTIONS', via: 'SIP/2.0/TCP client.example.com;branch=z9hG4bK-t' }), TCP_SOURCE);
  s.layer.receive(request({ method: 'OPTIONS', via: 'SIP/2.0/UDP 10.0.0.5:5062;received=198.51.100.7;rport=61000;branch=z9hG4bK-u' }), UDP_SOURCE);
  s.layer.receive(request({ method: 'OPTIONS', via: 'SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK-v' }), UDP_SOURCE);
  assert.deepEqual(s.transport.sent.map((x) => x.target), [
    { transport: 'TCP', host: '192.0.2.10', port: 40000, flowId: 'flow-1' },
    { transport: 'UDP', host: '198.51.100.7', port: 61000 },
    { transport: 'UDP', host: '192.0.2.10', port: 5070 },
  ]);
});

test('server transport error: Completed ends, Proceeding stays (RFC 6026 Figure 7); non-INVITE ends', async () => {
  const s = setup();
  const { invite, tx } = receiveInvite(s);
  s.transport.failure = new Error('gone');
  tx.respond(response(invite, 180, 'uas'));
  await flush();
  assert.equal(tx.state, 'Proceeding');
  tx.respond(response(invite, 603, 'uas'));
  await flush();
  assert.equal(tx.state, 'Terminated');
  s.layer.receive(request({ method: 'OPTIONS', branch: 'z9hG4bK-o' }), UDP_SOURCE);
  const options = s.user.requests[1]!.tx;
  options.respond(response(options.request, 200));
  await flush();
  assert.equal(options.state, 'Terminated');
  assert.deepEqual(s.user.events, ['request INVITE', 'server transport error Proceeding', 'server transport error Terminated', 'request OPTIONS', 'server transport error Terminated']);
  assert.equal(s.clock.pending, 0);
});

test('a full server side answers new requests 503 statelessly (§21.5.4) and still matches retransmissions', () => {
  const s = setup({ maxTransactions: 1 });
  const { invite } = receiveInvite(s);
  s.layer.receive(request({ method: 'OPTIONS', branch: 'z9hG4bK-x' }), UDP_SOURCE);
  s.layer.receive(invite, UDP_SOURCE);
  assert.deepEqual(s.transport.labels(), ['503']);
  assert.equal(getHeader(s.transport.sent[0]!.message, 'Retry-After'), '5');
  assert.deepEqual(s.user.events, ['request INVITE']);
  assert.equal(s.layer.counters().overloaded, 1);
});

test('close() is idempotent, cancels every timer and ignores later messages', () => {
  const s = setup();
  const { invite, tx } = receiveInvite(s);
  tx.respond(response(invite, 486, 'uas'));
  s.layer.sendRequest(request({ branch: 'z9hG4bK-c' }), { transport: 'UDP', host: '192.0.2.20', port: 5060 }, s.user);
  s.layer.sendRequest(request({ method: 'OPTIONS', branch: 'z9hG4bK-d' }), { transport: 'UDP', host: '192.0.2.20', port: 5060 }, s.user);
  assert.ok(s.clock.pending > 0);
  s.layer.close();
  s.layer.close();
  assert.equal(s.clock.pending, 0);
  assert.equal(tx.state, 'Terminated');
  const sent = s.transport.sent.length;
  s.layer.receive(request({ method: 'OPTIONS', branch: 'z9hG4bK-e' }), UDP_SOURCE);
  s.clock.advance(100_000);
  assert.equal(s.transport.sent.length, sent);
  assert.deepEqual(s.layer.counters(), { clientTransactions: 0, completedClientTransactions: 0, serverTransactions: 0, completedTransactions: 0, completedDropped: 0, strayResponses: 0, unmatchable: 0, overloaded: 0 });
});
