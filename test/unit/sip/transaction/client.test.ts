import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeader, getHeaders, type SipRequest } from '../../../../src/sip/message.js';
import { TransactionError, type InviteClientTransaction } from '../../../../src/sip/transaction/index.js';
import { TCP_TARGET, UDP_SOURCE, UDP_TARGET, flush, request, response, setup } from './harness.js';

function sendInvite(s: ReturnType<typeof setup>, target = UDP_TARGET) {
  const invite = request();
  const tx = s.layer.sendRequest(invite, target, s.user) as InviteClientTransaction;
  return { invite, tx };
}

// §17.1.1.2: timer A starts at T1 and doubles; timer B = 64*T1 ends the transaction in Calling.
const INVITE_TIMEOUTS = [
  { T1: 500, target: UDP_TARGET, sends: [0, 500, 1500, 3500, 7500, 15_500, 31_500], timeout: 32_000 },
  { T1: 100, target: UDP_TARGET, sends: [0, 100, 300, 700, 1500, 3100, 6300], timeout: 6400 },
  { T1: 500, target: TCP_TARGET, sends: [0], timeout: 32_000 },
];

for (const c of INVITE_TIMEOUTS) {
  test(`INVITE client over ${c.target.transport}, T1=${c.T1}: timer A retransmits at ${c.sends.join(', ')}; timer B times out at ${c.timeout}`, () => {
    const s = setup({ T1: c.T1 });
    const { tx } = sendInvite(s, c.target);
    s.clock.advance(c.timeout - 1);
    assert.equal(tx.state, 'Calling');
    assert.deepEqual(s.user.events, []);
    s.clock.advance(1);
    assert.deepEqual(s.transport.times('INVITE'), c.sends);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(s.user.events, ['terminated', 'timeout Terminated']);
    assert.equal(s.clock.pending, 0);
    assert.equal(s.layer.counters().clientTransactions, 0);
  });
}

test('INVITE client: a provisional response stops timers A and B; Timer C (3 min, restarted by each 1xx) bounds Proceeding', () => {
  const s = setup();
  const { invite, tx } = sendInvite(s);
  s.clock.advance(600);
  s.layer.receive(response(invite, 180), UDP_SOURCE);
  assert.equal(tx.state, 'Proceeding');
  assert.deepEqual(tx.runningTimers, ['C']);
  s.clock.advance(120_000);
  // Each provisional response restarts Timer C (§16.7 step 2).
  s.layer.receive(response(invite, 183), UDP_SOURCE);
  s.clock.advance(180_000 - 1);
  assert.equal(tx.state, 'Proceeding');
  assert.deepEqual(s.transport.times('INVITE'), [0, 500]);
  s.clock.advance(1);
  assert.equal(tx.state, 'Terminated');
  assert.deepEqual(s.user.events, ['response 180 (Proceeding)', 'response 183 (Proceeding)', 'terminated', 'timeout Terminated']);
  assert.equal(s.clock.pending, 0);
});

for (const target of [UDP_TARGET, TCP_TARGET]) {
  test(`INVITE client over ${target.transport}: 486 → ACK built per §17.1.1.3, retransmissions re-ACKed not passed up, timer D`, () => {
    const s = setup();
    const invite: SipRequest = { ...request(), headers: [...request().headers, { name: 'Route', value: '<sip:proxy.example.com;lr>' }] };
    const tx = s.layer.sendRequest(invite, target, s.user) as InviteClientTransaction;
    s.layer.receive(response(invite, 180), UDP_SOURCE);
    const busy = response(invite, 486, 'callee');
    s.layer.receive(busy, UDP_SOURCE);
    const ack = tx.ack;
    assert.ok(ack);
    assert.equal(ack.method, 'ACK');
    assert.equal(ack.uri, invite.uri);
    assert.deepEqual(getHeaders(ack, 'Via'), [getHeader(invite, 'Via')]);
    assert.equal(getHeader(ack, 'To'), getHeader(busy, 'To'));
    assert.equal(getHeader(ack, 'From'), getHeader(invite, 'From'));
    assert.equal(getHeader(ack, 'Call-ID'), getHeader(invite, 'Call-ID'));
    assert.equal(getHeader(ack, 'CSeq'), '1 ACK');
    assert.deepEqual(getHeaders(ack, 'Route'), ['<sip:proxy.example.com;lr>']);
    if (target.transport === 'UDP') {
      assert.equal(tx.state, 'Completed');
      s.clock.advance(1000);
      s.layer.receive(busy, UDP_SOURCE);
      s.layer.receive(busy, UDP_SOURCE);
      assert.deepEqual(s.transport.labels(), ['INVITE', 'ACK', 'ACK', 'ACK']);
      s.clock.advance(32_000 - 1000 - 1);
      assert.equal(tx.state, 'Completed');
      s.clock.advance(1);
    } else {
      assert.deepEqual(s.transport.labels(), ['INVITE', 'ACK']);
    }
    // Timer D: 32 s over UDP, 0 over TCP.
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(s.user.events, ['response 180 (Proceeding)', 'response 486 (Completed)', 'terminated']);
  });
}

for (const target of [UDP_TARGET, TCP_TARGET]) {
  test(`INVITE client over ${target.transport}: 2xx → Accepted (RFC 6026), forked 2xx passed up, others absorbed, timer M`, () => {
    const s = setup();
    const { invite, tx } = sendInvite(s, target);
    s.clock.advance(100);
    s.layer.receive(response(invite, 200, 'fork-1'), UDP_SOURCE);
    assert.equal(tx.state, 'Accepted');
    s.layer.receive(response(invite, 200, 'fork-2'), UDP_SOURCE);
    s.layer.receive(response(invite, 200, 'fork-1'), UDP_SOURCE);
    s.layer.receive(response(invite, 180), UDP_SOURCE);
    s.layer.receive(response(invite, 486), UDP_SOURCE);
    // The ACK for 2xx is the TU's: the transaction sends none.
    assert.deepEqual(s.transport.labels(), ['INVITE']);
    s.clock.advance(32_000 - 1);
    assert.equal(tx.state, 'Accepted');
    s.clock.advance(1);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(s.user.events, ['response 200 (Accepted)', 'response 200 (Accepted)', 'response 200 (Accepted)', 'terminated']);
    // After Timer M a 2xx retransmission is the core's (§18.1.2).
    s.layer.receive(response(invite, 200, 'fork-1'), UDP_SOURCE);
    assert.equal(s.user.events.at(-1), 'stray 200');
  });
}

// §17.1.2.2: timer E doubles from T1 up to T2 in Trying; F = 64*T1.
const NON_INVITE_TIMEOUTS = [
  { target: UDP_TARGET, sends: [0, 500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500] },
  { target: TCP_TARGET, sends: [0] },
];

for (const c of NON_INVITE_TIMEOUTS) {
  test(`non-INVITE client over ${c.target.transport}: timer E retransmits ${c.sends.length - 1} times; timer F times out at 32 s`, () => {
    const s = setup();
    const tx = s.layer.sendRequest(request({ method: 'OPTIONS' }), c.target, s.user);
    s.clock.advance(31_999);
    assert.equal(tx.state, 'Trying');
    s.clock.advance(1);
    assert.deepEqual(s.transport.times('OPTIONS'), c.sends);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(s.user.events, ['terminated', 'timeout Terminated']);
    assert.equal(s.clock.pending, 0);
  });
}

test('non-INVITE client: in Proceeding timer E is reset to T2 each time (§17.1.2.2)', () => {
  const s = setup();
  const req = request({ method: 'REGISTER' });
  const tx = s.layer.sendRequest(req, UDP_TARGET, s.user);
  s.clock.advance(100);
  s.layer.receive(response(req, 100), UDP_SOURCE);
  assert.equal(tx.state, 'Proceeding');
  s.clock.advance(31_900 - 1);
  assert.deepEqual(s.transport.times('REGISTER'), [0, 500, 4500, 8500, 12_500, 16_500, 20_500, 24_500, 28_500]);
  s.clock.advance(1);
  assert.deepEqual(s.user.events, ['response 100 (Proceeding)', 'terminated', 'timeout Terminated']);
});

for (const c of [{ target: UDP_TARGET, k: 5000 }, { target: TCP_TARGET, k: 0 }]) {
  test(`non-INVITE client over ${c.target.transport}: final response → Completed, retransmissions absorbed, timer K = ${c.k}`, () => {
    const s = setup();
    const req = request({ method: 'BYE', toTag: 'b1' });
    const tx = s.layer.sendRequest(req, c.target, s.user);
    s.clock.advance(700);
    s.layer.receive(response(req, 200), UDP_SOURCE);
    if (c.k > 0) {
      s.layer.receive(response(req, 200), UDP_SOURCE);
      assert.equal(tx.state, 'Completed');
      s.clock.advance(c.k - 1);
      assert.equal(tx.state, 'Completed');
      s.clock.advance(1);
    }
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(s.user.events, ['response 200 (Completed)', 'terminated']);
    // With K = 0 a late retransmission finds no transaction: it goes to the core (§18.1.2).
    s.layer.receive(response(req, 200), UDP_SOURCE);
    assert.equal(s.user.events.at(-1), 'stray 200');
    // No retransmission after the final response.
    s.clock.advance(60_000);
    assert.equal(s.transport.times('BYE').length, c.target.transport === 'UDP' ? 2 : 1);
  });
}

test('client matching: branch and CSeq method; anything else is a stray response (§17.1.3, §18.1.2)', () => {
  const s = setup();
  const invite = request();
  s.layer.sendRequest(invite, UDP_TARGET, s.user);
  const cancel = request({ method: 'CANCEL' });
  s.layer.sendRequest(cancel, UDP_TARGET, s.user);
  s.layer.receive(response(request({ branch: 'z9hG4bK-other' }), 180), UDP_SOURCE);
  s.layer.receive(response(cancel, 200), UDP_SOURCE);
  s.layer.receive(response(invite, 487), UDP_SOURCE);
  s.layer.receive(response(request({ method: 'OPTIONS' }), 200), UDP_SOURCE);
  assert.deepEqual(s.user.events, ['stray 180', 'response 200 (Completed)', 'response 487 (Completed)', 'stray 200']);
  assert.equal(s.layer.counters().strayResponses, 2);
});

const REFUSED: Array<[string, () => void]> = [
  ['an ACK', () => setup().layer.sendRequest(request({ method: 'ACK' }), UDP_TARGET, setup().user)],
  ['no branch', () => setup().layer.sendRequest(request({ branch: undefined }), UDP_TARGET, setup().user)],
  ['an RFC 2543 branch', () => setup().layer.sendRequest(request({ branch: '1234' }), UDP_TARGET, setup().user)],
  ['a bare magic cookie', () => setup().layer.sendRequest(request({ branch: 'z9hG4bK' }), UDP_TARGET, setup().user)],
  ['a duplicate branch', () => {
    const s = setup();
    s.layer.sendRequest(request(), UDP_TARGET, s.user);
    s.layer.sendRequest(request(), UDP_TARGET, s.user);
  }],
  ['over the limit', () => {
    const s = setup({ maxTransactions: 1 });
    s.layer.sendRequest(request(), UDP_TARGET, s.user);
    s.layer.sendRequest(request({ branch: 'z9hG4bK-2' }), UDP_TARGET, s.user);
  }],
  ['after close', () => {
    const s = setup();
    s.layer.close();
    s.layer.sendRequest(request(), UDP_TARGET, s.user);
  }],
];

for (const [name, run] of REFUSED) {
  test(`sendRequest refuses ${name} with a TransactionError`, () => {
    assert.throws(run, (e: unknown) => e instanceof TransactionError && e.code === 'SBC_ERR_SIP_TRANSACTION');
  });
}

for (const mode of ['throws', 'rejects'] as const) {
  test(`client transport error (send ${mode}): the TU is told and the transaction ends (§17.1.4)`, async () => {
    const s = setup();
    s.transport.failure = new Error('unreachable');
    s.transport.async = mode === 'rejects';
    const invite = s.layer.sendRequest(request(), UDP_TARGET, s.user);
    const options = s.layer.sendRequest(request({ method: 'OPTIONS', branch: 'z9hG4bK-2' }), TCP_TARGET, s.user);
    await flush();
    assert.equal(invite.state, 'Terminated');
    assert.equal(options.state, 'Terminated');
    assert.deepEqual(s.user.events, ['terminated', 'transport error Terminated', 'terminated', 'transport error Terminated']);
    assert.equal(s.clock.pending, 0);
  });
}

test('a lost connection (flowFailed) ends the client transactions using it', () => {
  const s = setup();
  const onFlow = s.layer.sendRequest(request(), TCP_TARGET, s.user);
  const other = s.layer.sendRequest(request({ branch: 'z9hG4bK-2' }), UDP_TARGET, s.user);
  s.layer.flowFailed('flow-2', new Error('reset'));
  assert.equal(onFlow.state, 'Terminated');
  assert.equal(other.state, 'Calling');
});

test('a throwing TU callback does not break the state machine', () => {
  const s = setup();
  const invite = request();
  const tx = s.layer.sendRequest(invite, UDP_TARGET, { onResponse: () => { throw new Error('TU bug'); } });
  s.layer.receive(response(invite, 486), UDP_SOURCE);
  assert.equal(tx.state, 'Completed');
  assert.deepEqual(s.transport.labels(), ['INVITE', 'ACK']);
});
