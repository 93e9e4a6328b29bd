import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeader } from '../../../src/sip/message.js';
import { UserAgent } from '../../../src/sip/user-agent.js';
import { FakeEndpoint, incoming, sipRequest } from './fake-endpoint.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.9\r\ns=-\r\nc=IN IP4 127.0.0.9\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n';

function toTagOf(value: string | undefined): string | undefined {
  return /;tag=([^;]+)/.exec(value ?? '')?.[1];
}

test('INVITE over UDP: 180 and 200 share a To tag, the SDP is echoed, the 2xx is retransmitted T1, 2T1 ... T2 until the ACK (§13.3.1.4)', () => {
  const endpoint = new FakeEndpoint();
  const ua = new UserAgent({ endpoint });
  const invite = incoming(sipRequest('INVITE', { body: SDP }));
  ua.handleRequest(invite);
  assert.deepEqual(invite.responses.map((r) => r.status), [180, 200]);
  const [ringing, ok] = invite.responses;
  const tag = toTagOf(getHeader(ok ?? ringing ?? invite.request, 'To'));
  assert.ok(tag !== undefined);
  assert.equal(toTagOf(getHeader(ringing ?? invite.request, 'To')), tag);
  assert.equal(ok?.body.toString(), SDP);
  assert.equal(getHeader(ok ?? invite.request, 'Content-Type'), 'application/sdp');
  assert.equal(getHeader(ok ?? invite.request, 'Contact'), '<sip:127.0.0.1:5062;transport=udp>');
  const times: number[] = [];
  const count = (): number => invite.responses.length;
  let seen = count();
  for (let i = 0; i < 6; i++) {
    endpoint.clock.step();
    if (count() > seen) times.push(endpoint.clock.now());
    seen = count();
  }
  assert.deepEqual(times, [500, 1500, 3500, 7500, 11500, 15500]);
  ua.handleRequest(incoming(sipRequest('ACK', { to: `<sip:uas@127.0.0.1>;tag=${tag}`, branch: 'z9hG4bK-ack' })));
  endpoint.clock.advance(60_000);
  assert.equal(count(), seen, 'no retransmission after the ACK');
  assert.equal(endpoint.clock.pending, 0);
  const bye = incoming(sipRequest('BYE', { to: `<sip:uas@127.0.0.1>;tag=${tag}`, branch: 'z9hG4bK-bye', cseq: 2 }));
  ua.handleRequest(bye);
  assert.deepEqual(bye.responses.map((r) => r.status), [200]);
  assert.equal(ua.dialogCount, 0);
  assert.deepEqual(ua.counters(), { invites: 1, answered: 1, acks: 1, byes: 1, cancelled: 0, ackTimeouts: 0 });
});

test('no ACK: the 2xx is retransmitted for 64·T1, then the dialog is dropped; over TCP it is sent once', () => {
  const endpoint = new FakeEndpoint();
  const ua = new UserAgent({ endpoint });
  const invite = incoming(sipRequest('INVITE', { body: SDP }));
  ua.handleRequest(invite);
  endpoint.clock.advance(64 * 500);
  // 500, 1500, 3500, 7500, then every 4 s up to 32 s: 11.5, 15.5, 19.5, 23.5, 27.5, 31.5 → 10 retransmissions.
  assert.equal(invite.responses.filter((r) => r.status === 200).length, 11);
  assert.equal(ua.counters().ackTimeouts, 1);
  assert.equal(ua.dialogCount, 0);
  const overTcp = incoming(sipRequest('INVITE', { body: SDP, callId: 'call-2' }), 'TCP');
  ua.handleRequest(overTcp);
  endpoint.clock.advance(64 * 500);
  assert.deepEqual(overTcp.responses.map((r) => r.status), [180, 200]);
  assert.equal(ua.counters().ackTimeouts, 2);
});

test('CANCEL before the answer: 200 to the CANCEL, 487 to the INVITE, and no 200 later (§9.2)', () => {
  const endpoint = new FakeEndpoint();
  const ua = new UserAgent({ endpoint, ringMs: 2000 });
  const invite = incoming(sipRequest('INVITE', { body: SDP }));
  ua.handleRequest(invite);
  const cancel = incoming(sipRequest('CANCEL'));
  ua.handleRequest(cancel);
  endpoint.clock.advance(10_000);
  assert.deepEqual(cancel.responses.map((r) => r.status), [200]);
  assert.deepEqual(invite.responses.map((r) => r.status), [180, 487]);
  assert.equal(toTagOf(getHeader(invite.responses[1] ?? invite.request, 'To')), toTagOf(getHeader(invite.responses[0] ?? invite.request, 'To')));
  assert.equal(ua.counters().cancelled, 1);
  const late = incoming(sipRequest('CANCEL', { branch: 'z9hG4bK-other' }));
  ua.handleRequest(late);
  assert.deepEqual(late.responses.map((r) => r.status), [481]);
});

test('other requests: table of method → status', () => {
  const cases: Array<[string, Parameters<typeof sipRequest>[1], number]> = [
    ['OPTIONS', {}, 200],
    ['REGISTER', {}, 200],
    ['BYE', { to: '<sip:uas@127.0.0.1>;tag=unknown' }, 481],
    ['INVITE', { to: '<sip:uas@127.0.0.1>;tag=unknown' }, 481],
    ['MESSAGE', {}, 405],
    ['SUBSCRIBE', {}, 405],
  ];
  for (const [method, extra, status] of cases) {
    const ua = new UserAgent({ endpoint: new FakeEndpoint() });
    const req = incoming(sipRequest(method, extra));
    ua.handleRequest(req);
    assert.deepEqual(req.responses.map((r) => r.status), [status], method);
    if (status === 405) assert.match(getHeader(req.responses[0] ?? req.request, 'Allow') ?? '', /INVITE/);
  }
  const refuse = new UserAgent({ endpoint: new FakeEndpoint(), answer: () => undefined });
  const invite = incoming(sipRequest('INVITE', { body: SDP }));
  refuse.handleRequest(invite);
  assert.deepEqual(invite.responses.map((r) => r.status), [180, 488]);
  assert.equal(refuse.dialogCount, 0);
});
