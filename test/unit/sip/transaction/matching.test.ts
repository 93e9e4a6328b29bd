import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeader } from '../../../../src/sip/message.js';
import type { InviteServerTransaction } from '../../../../src/sip/transaction/index.js';
import { UDP_SOURCE, request, response, setup, type RequestFields } from './harness.js';

interface MatchCase {
  name: string;
  first: RequestFields;
  second: RequestFields;
  /** Whether the second request is a retransmission of the first (same transaction). */
  same: boolean;
}

const V = (params: string, host = '192.0.2.10:5060') => `SIP/2.0/UDP ${host}${params}`;

// §17.2.3: branch + sent-by + method with the magic cookie; the RFC 2543 fields without it.
const CASES: MatchCase[] = [
  { name: 'same branch and sent-by', first: { via: V(';branch=z9hG4bK-a') }, second: { via: V(';branch=z9hG4bK-a') }, same: true },
  { name: 'different branch', first: { via: V(';branch=z9hG4bK-a') }, second: { via: V(';branch=z9hG4bK-b') }, same: false },
  { name: 'same branch, other sent-by host', first: { via: V(';branch=z9hG4bK-a') }, second: { via: V(';branch=z9hG4bK-a', '192.0.2.11:5060') }, same: false },
  { name: 'same branch, other sent-by port', first: { via: V(';branch=z9hG4bK-a') }, second: { via: V(';branch=z9hG4bK-a', '192.0.2.10:5070') }, same: false },
  { name: 'default port equals explicit 5060', first: { via: V(';branch=z9hG4bK-a') }, second: { via: V(';branch=z9hG4bK-a', '192.0.2.10') }, same: true },
  { name: 'sent-by host compared without case', first: { via: V(';branch=z9hG4bK-a', 'PC.example.com') }, second: { via: V(';branch=z9hG4bK-a', 'pc.EXAMPLE.com:5060') }, same: true },
  { name: 'same branch, other method', first: { via: V(';branch=z9hG4bK-a'), method: 'OPTIONS' }, second: { via: V(';branch=z9hG4bK-a'), method: 'INFO' }, same: false },
  { name: 'branch matching ignores the other fields', first: { via: V(';branch=z9hG4bK-a') }, second: { via: V(';branch=z9hG4bK-a'), callId: 'other', fromTag: 'zz' }, same: true },
  { name: 'RFC 2543: all fields equal', first: { branch: undefined }, second: { branch: undefined }, same: true },
  { name: 'RFC 2543: old-style branch, all fields equal', first: { branch: '1234' }, second: { branch: '1234' }, same: true },
  { name: 'RFC 2543: other From tag', first: { branch: undefined }, second: { branch: undefined, fromTag: 'a2' }, same: false },
  { name: 'RFC 2543: other To tag', first: { branch: undefined, method: 'BYE', toTag: 't1' }, second: { branch: undefined, method: 'BYE', toTag: 't2' }, same: false },
  { name: 'RFC 2543: other Call-ID', first: { branch: undefined }, second: { branch: undefined, callId: 'call-2' }, same: false },
  { name: 'RFC 2543: other CSeq', first: { branch: undefined }, second: { branch: undefined, cseq: 2 }, same: false },
  { name: 'RFC 2543: other Request-URI', first: { branch: undefined }, second: { branch: undefined, uri: 'sip:carol@example.com' }, same: false },
  { name: 'RFC 2543: other top Via', first: { branch: undefined }, second: { branch: undefined, via: V('', '192.0.2.10:5070') }, same: false },
  { name: 'RFC 2543: Via compared after normalising white space', first: { via: V(';branch=2543') }, second: { via: 'SIP / 2.0 / UDP 192.0.2.10:5060 ; branch=2543' }, same: true },
  // RFC 4475 §3.3.4 badbranch: "branch=z9hG4bK" alone is not an RFC 3261 branch.
  { name: 'badbranch: bare cookie, same fields', first: { branch: 'z9hG4bK' }, second: { branch: 'z9hG4bK' }, same: true },
  { name: 'badbranch: bare cookie, other Call-ID', first: { branch: 'z9hG4bK' }, second: { branch: 'z9hG4bK', callId: 'call-2' }, same: false },
];

for (const c of CASES) {
  test(`server matching: ${c.name} → ${c.same ? 'retransmission' : 'new transaction'}`, () => {
    const s = setup();
    s.layer.receive(request(c.first), UDP_SOURCE);
    s.layer.receive(request(c.second), UDP_SOURCE);
    assert.equal(s.user.requests.length, c.same ? 1 : 2);
    assert.equal(s.layer.counters().serverTransactions, c.same ? 1 : 2);
  });
}

for (const style of [{ name: 'RFC 3261', branch: 'z9hG4bK-i' }, { name: 'RFC 2543', branch: undefined }, { name: 'badbranch', branch: 'z9hG4bK' }]) {
  test(`${style.name}: the ACK for a non-2xx matches the INVITE by the To tag of the response; another To tag does not`, () => {
    const s = setup();
    const invite = request({ branch: style.branch });
    s.layer.receive(invite, UDP_SOURCE);
    const tx = s.user.requests[0]!.tx as InviteServerTransaction;
    tx.respond(response(invite, 486, 'uas-tag'));
    if (style.branch === undefined || style.branch === 'z9hG4bK') {
      s.layer.receive(request({ method: 'ACK', branch: style.branch, toTag: 'other-tag' }), UDP_SOURCE);
      assert.equal(tx.state, 'Completed');
      assert.deepEqual(s.user.events, ['request INVITE', 'ack (no transaction)']);
    }
    s.layer.receive(request({ method: 'ACK', branch: style.branch, toTag: 'uas-tag' }), UDP_SOURCE);
    assert.equal(tx.state, 'Confirmed');
  });
}

test('requests without a usable Via or CSeq are dropped and counted, never thrown', () => {
  const s = setup();
  const noVia = { ...request(), headers: request().headers.filter((h) => h.name !== 'Via') };
  const badVia = request({ via: 'garbage' });
  const badCseq = { ...request(), headers: request().headers.map((h) => (h.name === 'CSeq' ? { name: 'CSeq', value: 'x INVITE' } : h)) };
  for (const r of [noVia, badVia, badCseq]) s.layer.receive(r, UDP_SOURCE);
  assert.equal(s.layer.counters().unmatchable, 3);
  assert.deepEqual(s.user.events, []);
});

for (const style of [{ name: 'RFC 3261', branch: 'z9hG4bK-c' }, { name: 'RFC 2543', branch: undefined }]) {
  test(`${style.name} CANCEL (§9.2), default handling: 200 to the CANCEL, 487 to the INVITE, then the INVITE is Completed`, () => {
    const s = setup();
    const invite = request({ branch: style.branch });
    s.layer.receive(invite, UDP_SOURCE);
    const tx = s.user.requests[0]!.tx as InviteServerTransaction;
    tx.respond(response(invite, 180, 'ring'));
    s.layer.receive(request({ method: 'CANCEL', branch: style.branch }), UDP_SOURCE);
    assert.deepEqual(s.transport.labels(), ['180', '200', '487']);
    const [, ok, terminated] = s.transport.sent.map((x) => x.message);
    assert.equal(getHeader(ok!, 'CSeq'), '1 CANCEL');
    assert.equal(getHeader(terminated!, 'CSeq'), '1 INVITE');
    assert.equal(getHeader(terminated!, 'To'), '<sip:bob@example.com>;tag=ring');
    assert.equal(tx.state, 'Completed');
    // The CANCEL is a transaction of its own: its retransmission gets the 200 again.
    s.layer.receive(request({ method: 'CANCEL', branch: style.branch }), UDP_SOURCE);
    assert.deepEqual(s.transport.labels(), ['180', '200', '487', '200']);
    assert.deepEqual(s.user.events, ['request INVITE']);
  });
}

test('CANCEL matching nothing is answered 481; CANCEL after the final response gets 200 and no 487', () => {
  const s = setup();
  s.layer.receive(request({ method: 'CANCEL', branch: 'z9hG4bK-none' }), UDP_SOURCE);
  const invite = request({ branch: 'z9hG4bK-done' });
  s.layer.receive(invite, UDP_SOURCE);
  s.user.requests[0]!.tx.respond(response(invite, 200, 'uas'));
  s.layer.receive(request({ method: 'CANCEL', branch: 'z9hG4bK-done' }), UDP_SOURCE);
  // A CANCEL with the branch of the INVITE but another sent-by does not match it (§9.2 uses §17.2.3).
  s.layer.receive(request({ method: 'CANCEL', via: 'SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bK-done' }), UDP_SOURCE);
  assert.deepEqual(s.transport.labels(), ['481', '200', '200', '481']);
});

test('the CANCEL hook gets the CANCEL, its transaction and the matching INVITE transaction', () => {
  const s = setup();
  s.user.hookCancel();
  const invite = request({ branch: 'z9hG4bK-h' });
  s.layer.receive(invite, UDP_SOURCE);
  s.layer.receive(request({ method: 'CANCEL', branch: 'z9hG4bK-h' }), UDP_SOURCE);
  s.layer.receive(request({ method: 'CANCEL', branch: 'z9hG4bK-x' }), UDP_SOURCE);
  assert.deepEqual(s.user.events, ['request INVITE', 'cancel matched', 'cancel unmatched']);
  assert.equal(s.user.cancels[0]!.invite, s.user.requests[0]!.tx);
  assert.equal(s.user.cancels[0]!.tx.request.method, 'CANCEL');
  assert.deepEqual(s.transport.labels(), []);
});
