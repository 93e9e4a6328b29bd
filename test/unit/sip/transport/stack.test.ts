import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../../src/core/index.js';
import { getHeader } from '../../../../src/sip/message.js';
import { parseMessage } from '../../../../src/sip/parse.js';
import { SipStack } from '../../../../src/sip/stack.js';
import { SipTransportLayer } from '../../../../src/sip/transport/index.js';
import { UserAgent } from '../../../../src/sip/user-agent.js';
import { MemoryConnector, MemoryDatagramSocket, MemoryListener } from './memory-sockets.js';

const PHONE = { address: '127.0.0.9', port: 5070 };

function setup(): { stack: SipStack; udp: MemoryDatagramSocket; connector: MemoryConnector; clock: ManualClock } {
  const clock = new ManualClock();
  const udp = new MemoryDatagramSocket({ address: '127.0.0.1', port: 5062 });
  const connector = new MemoryConnector('127.0.0.1');
  const transport = new SipTransportLayer({
    clock, udp, tcp: { listener: new MemoryListener({ address: '127.0.0.1', port: 5062 }), connector }, sentByHosts: ['127.0.0.1'],
  });
  const stack = new SipStack({ clock, transport });
  stack.start();
  return { stack, udp, connector, clock };
}

const OPTIONS = [
  'OPTIONS sip:127.0.0.1:5062 SIP/2.0',
  'Via: SIP/2.0/UDP 10.1.1.1:5070;branch=z9hG4bK-opt;rport',
  'Max-Forwards: 70',
  'From: <sip:a@example.test>;tag=1',
  'To: <sip:127.0.0.1>',
  'Call-ID: opt-1',
  'CSeq: 1 OPTIONS',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

test('a request goes up through the transaction layer to the TU; the answer goes to received:rport', () => {
  const { stack, udp } = setup();
  const ua = new UserAgent({ endpoint: stack });
  stack.onRequest(ua.handleRequest);
  udp.inject(OPTIONS, PHONE);
  assert.equal(udp.sent.length, 1);
  const sent = udp.sent[0];
  assert.equal(sent?.address, '127.0.0.9');
  assert.equal(sent?.port, 5070);
  const response = parseMessage(sent?.data ?? Buffer.alloc(0));
  assert.equal(response.kind === 'response' ? response.status : 0, 200);
  assert.equal(getHeader(response, 'Via'), 'SIP/2.0/UDP 10.1.1.1:5070;branch=z9hG4bK-opt;rport=5070;received=127.0.0.9');
  // A retransmission is absorbed by the server transaction, which resends its response (§17.2.2).
  udp.inject(OPTIONS, PHONE);
  assert.equal(udp.sent.length, 2);
  assert.equal(ua.counters().invites, 0);
});

test('without a TU every request but ACK is answered 501', () => {
  const { udp } = setup();
  udp.inject(OPTIONS, PHONE);
  assert.match(udp.sent[0]?.data.toString('latin1') ?? '', /^SIP\/2\.0 501 /);
});

test('request(): resolves with the final response; Timer F rejects with SipTimeoutError; Via and Contact name our address', async () => {
  const { stack, udp, clock } = setup();
  assert.equal(stack.hostPort('UDP'), '127.0.0.1:5062');
  assert.match(stack.newVia('UDP'), /^SIP\/2\.0\/UDP 127\.0\.0\.1:5062;branch=z9hG4bK\S+;rport$/);
  const request = parseMessage(Buffer.from(OPTIONS.replace('10.1.1.1:5070;branch=z9hG4bK-opt;rport', '127.0.0.1:5062;branch=z9hG4bK-out')));
  assert.ok(request.kind === 'request');
  const answered = stack.request(request, { transport: 'UDP', host: '127.0.0.9', port: 5070 });
  const provisional: number[] = [];
  const timedOut = stack.request({ ...request, headers: request.headers.map((h) => (h.name === 'Via' ? { ...h, value: 'SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-lost' } : h)) },
    { transport: 'UDP', host: '127.0.0.9', port: 5070 }, (r) => provisional.push(r.status));
  // §18.1.2: a response naming another sent-by is discarded, even with a matching branch.
  udp.inject(['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bK-out', 'From: <sip:a@example.test>;tag=1', 'To: <sip:127.0.0.1>;tag=2', 'Call-ID: opt-1', 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', ''].join('\r\n'), PHONE);
  assert.equal(stack.transport.counters().misroutedResponses, 1);
  udp.inject(['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-out', 'From: <sip:a@example.test>;tag=1', 'To: <sip:127.0.0.1>;tag=2', 'Call-ID: opt-1', 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', ''].join('\r\n'), PHONE);
  assert.equal((await answered).status, 200);
  clock.advance(64 * 500);
  await assert.rejects(timedOut, { name: 'SipTimeoutError', code: 'SBC_ERR_SIP_TRANSACTION' });
  assert.deepEqual(provisional, []);
  await stack.close();
  await stack.close();
  assert.equal(udp.closed, true);
});

test('a request to a TCP peer that refuses the connection rejects with SipTransportError', async () => {
  const { stack } = setup();
  const request = parseMessage(Buffer.from(OPTIONS.replace('UDP 10.1.1.1:5070;branch=z9hG4bK-opt;rport', 'TCP 127.0.0.1:5062;branch=z9hG4bK-tcp')));
  assert.ok(request.kind === 'request');
  await assert.rejects(stack.request(request, { transport: 'TCP', host: '127.0.0.7', port: 5060 }), { name: 'SipTransportError', code: 'SBC_ERR_SIP_TRANSPORT' });
});
