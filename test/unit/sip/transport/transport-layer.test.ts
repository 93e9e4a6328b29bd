import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../../src/core/index.js';
import { getHeader, getHeaders, type SipMessage, type SipRequest } from '../../../../src/sip/message.js';
import { parseMessage } from '../../../../src/sip/parse.js';
import { DEFAULT_REQUEST_POLICY } from '../../../../src/sip/validate.js';
import { SipTransportLayer, type MessageSource } from '../../../../src/sip/transport/index.js';
import { MemoryConnector, MemoryDatagramSocket, MemoryListener, type MemoryConnection } from './memory-sockets.js';

const LOCAL = { address: '127.0.0.1', port: 5060 };
const PHONE = { address: '127.0.0.9', port: 40123 };

function request(via: string, extra: string[] = [], body = ''): string {
  return [
    'OPTIONS sip:127.0.0.1 SIP/2.0',
    `Via: ${via}`,
    'Max-Forwards: 70',
    'From: <sip:a@example.test>;tag=1',
    'To: <sip:b@example.test>',
    'Call-ID: c1@example.test',
    'CSeq: 1 OPTIONS',
    ...extra,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

function layerWith(): { layer: SipTransportLayer; udp: MemoryDatagramSocket; tcp: MemoryListener; connector: MemoryConnector; clock: ManualClock; got: Array<[SipMessage, MessageSource]> } {
  const clock = new ManualClock();
  const udp = new MemoryDatagramSocket(LOCAL);
  const tcp = new MemoryListener(LOCAL);
  const connector = new MemoryConnector('127.0.0.1');
  const layer = new SipTransportLayer({ clock, udp, tcp: { listener: tcp, connector }, idleTimeoutMs: 30_000, requestPolicy: DEFAULT_REQUEST_POLICY });
  const got: Array<[SipMessage, MessageSource]> = [];
  layer.onMessage((m, s) => got.push([m, s]));
  layer.start();
  return { layer, udp, tcp, connector, clock, got };
}

test('received and rport on requests (RFC 3261 §18.2.1, RFC 3581 §4): table', () => {
  const cases: Array<[string, string]> = [
    // Via as sent → top Via as delivered to the transaction layer
    ['SIP/2.0/UDP 127.0.0.9:40123;branch=z9hG4bK1', 'SIP/2.0/UDP 127.0.0.9:40123;branch=z9hG4bK1'],
    ['SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1', 'SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1;received=127.0.0.9'],
    ['SIP/2.0/UDP phone.example.test;branch=z9hG4bK1', 'SIP/2.0/UDP phone.example.test;branch=z9hG4bK1;received=127.0.0.9'],
    ['SIP/2.0/UDP 127.0.0.9:5060;branch=z9hG4bK1;rport', 'SIP/2.0/UDP 127.0.0.9:5060;branch=z9hG4bK1;rport=40123;received=127.0.0.9'],
    ['SIP/2.0/UDP 10.0.0.5:5060;rport;branch=z9hG4bK1', 'SIP/2.0/UDP 10.0.0.5:5060;rport=40123;branch=z9hG4bK1;received=127.0.0.9'],
    ['SIP/2.0/UDP 10.0.0.5:5060;rport=7;branch=z9hG4bK1', 'SIP/2.0/UDP 10.0.0.5:5060;rport=7;branch=z9hG4bK1;received=127.0.0.9'],
  ];
  for (const [sent, expected] of cases) {
    const { udp, got } = layerWith();
    udp.inject(request(sent), PHONE);
    assert.equal(got.length, 1, sent);
    const [message] = got[0] ?? [];
    assert.ok(message !== undefined);
    assert.equal(getHeaders(message, 'Via')[0], expected, sent);
  }
});

test('a response over UDP goes to received:rport, then received:sent-by port (§18.2.2)', async () => {
  const { layer, udp, got } = layerWith();
  udp.inject(request('SIP/2.0/UDP 10.0.0.5:5070;rport;branch=z9hG4bK9'), PHONE);
  udp.inject(request('SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bK8'), PHONE);
  const { responseTarget } = await import('../../../../src/sip/transport/index.js');
  const { buildResponse } = await import('../../../../src/sip/response.js');
  const targets = got.map(([m, s]) => responseTarget(buildResponse(m as SipRequest, 200), s.flowId));
  assert.deepEqual(targets, [
    { transport: 'UDP', host: '127.0.0.9', port: 40123 },
    { transport: 'UDP', host: '127.0.0.9', port: 5070 },
  ]);
  const first = targets[0];
  assert.ok(first !== undefined);
  await layer.send(buildResponse(got[0]?.[0] as SipRequest, 200), first);
  assert.equal(udp.sent.length, 1);
  assert.equal(udp.sent[0]?.port, 40123);
});

test('responses go back over the connection the request came on; the connection is reused for requests', async () => {
  const { layer, tcp, connector, got } = layerWith();
  const client = tcp.accept({ address: '127.0.0.9', port: 40999 });
  client.receive(Buffer.alloc(0));
  const bytes = request('SIP/2.0/TCP 127.0.0.9:5060;branch=z9hG4bK5;alias');
  // Delivered in small pieces: the framer joins them.
  const server = (client as MemoryConnection).peer;
  assert.ok(server !== undefined);
  for (let i = 0; i < bytes.length; i += 7) server.receive(bytes.slice(i, i + 7));
  assert.equal(got.length, 1);
  const source = got[0]?.[1];
  assert.ok(source?.flowId !== undefined);
  const { buildResponse } = await import('../../../../src/sip/response.js');
  await layer.send(buildResponse(got[0]?.[0] as SipRequest, 200), { transport: 'TCP', host: '127.0.0.9', port: 5060, flowId: source.flowId });
  assert.match(client.writtenText(), /^$/);
  assert.match(server.writtenText(), /^SIP\/2\.0 200 OK\r\n/);
  // A new request to the phone's address reuses the connection: by remote address and by alias (RFC 5923).
  const req = parseMessage(Buffer.from(request('SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK6'))) as SipRequest;
  await layer.send(req, { transport: 'TCP', host: '127.0.0.9', port: 40999 });
  await layer.send(req, { transport: 'TCP', host: '127.0.0.9', port: 5060 });
  assert.equal(connector.connects.length, 0);
  assert.equal(layer.flowCount, 1);
  assert.equal(layer.counters().connectionsAccepted, 1);
});

test('outgoing connections are opened once per remote address and reused', async () => {
  const { layer, connector } = layerWith();
  const received: string[] = [];
  connector.serve('127.0.0.7', 5060, (end) => end.onData((chunk) => received.push(chunk.toString('latin1'))));
  const req = parseMessage(Buffer.from(request('SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK6'))) as SipRequest;
  await Promise.all([
    layer.send(req, { transport: 'TCP', host: '127.0.0.7', port: 5060 }),
    layer.send(req, { transport: 'TCP', host: '127.0.0.7', port: 5060 }),
  ]);
  assert.equal(connector.connects.length, 1);
  assert.equal(received.join('').split('OPTIONS sip:').length - 1, 2);
  await assert.rejects(layer.send(req, { transport: 'TCP', host: '127.0.0.8', port: 5060 }), { code: 'SBC_ERR_SIP_TRANSPORT' });
  await assert.rejects(layer.send(req, { transport: 'TLS', host: '127.0.0.7', port: 5061 }), { code: 'SBC_ERR_SIP_TRANSPORT' });
});

test('§18.1.1: a UDP request over 1300 bytes goes over TCP, with TCP in its Via; UDP when TCP is refused', async () => {
  const { layer, udp, connector } = layerWith();
  const received: string[] = [];
  connector.serve('127.0.0.7', 5060, (end) => end.onData((chunk) => received.push(chunk.toString('latin1'))));
  const big = parseMessage(Buffer.from(request('SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK7', [], 'x'.repeat(1400)))) as SipRequest;
  const small = parseMessage(Buffer.from(request('SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK7', [], 'x'.repeat(1000)))) as SipRequest;
  await layer.send(big, { transport: 'UDP', host: '127.0.0.7', port: 5060 });
  await layer.send(small, { transport: 'UDP', host: '127.0.0.7', port: 5060 });
  assert.equal(udp.sent.length, 1, 'only the small request went over UDP');
  const overTcp = parseMessage(Buffer.from(received.join(''), 'latin1'), { stream: true });
  assert.equal(getHeader(overTcp, 'Via'), 'SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK7');
  // No TCP peer: the request falls back to UDP.
  await layer.send(big, { transport: 'UDP', host: '127.0.0.8', port: 5060 });
  assert.equal(udp.sent.length, 2);
  assert.equal(udp.sent[1]?.address, '127.0.0.8');
  assert.equal(layer.counters().sizeSwitchesToTcp, 1);
});

test('a framing error closes the connection and is counted; CRLFCRLF gets a CRLF pong', () => {
  const { layer, tcp, got } = layerWith();
  const client = tcp.accept({ address: '127.0.0.9', port: 41000 });
  const server = client.peer;
  assert.ok(server !== undefined);
  server.receive('\r\n\r\n');
  assert.equal(client.writtenText(), '');
  assert.equal(server.writtenText(), '\r\n');
  assert.equal(layer.counters().pingsAnswered, 1);
  server.receive(request('SIP/2.0/TCP 127.0.0.9:5060;branch=z9hG4bK5').replace(/Content-Length: 0\r\n/, ''));
  server.receive('\r\n');
  assert.equal(got.length, 0);
  assert.equal(layer.counters().framingErrors, 1);
  assert.equal(server.closed, true);
  assert.equal(layer.flowCount, 0);
});

test('malformed requests over UDP are answered with the parser status; malformed responses are dropped', () => {
  const { layer, udp, got } = layerWith();
  udp.inject(request('SIP/2.0/UDP 127.0.0.9:5060;branch=z9hG4bK1').replace('SIP/2.0\r\n', 'SIP/7.0\r\n'), PHONE);
  udp.inject(request('SIP/2.0/UDP 127.0.0.9:5060;branch=z9hG4bK2').replace('CSeq: 1 OPTIONS', 'CSeq: x OPTIONS'), PHONE);
  udp.inject('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK3\r\nCSeq: nope\r\n\r\n', PHONE);
  udp.inject(request('SIP/2.0/UDP 127.0.0.9:5060;branch=z9hG4bK4').replace('OPTIONS sip', 'ACK sip').replace('CSeq: 1 OPTIONS', 'CSeq: 1 ACK').replace('Call-ID: c1@example.test\r\n', ''), PHONE);
  assert.equal(got.length, 0);
  const counters = layer.counters();
  assert.equal(counters.malformedRequests, 3);
  assert.equal(counters.malformedResponses, 1);
  // The 400 copies the bad CSeq verbatim (§8.2.6.2), so only its status line is read here.
  assert.deepEqual(udp.sent.map((s) => /^SIP\/2\.0 (\d{3}) /.exec(s.data.toString('latin1'))?.[1]), ['505', '400']);
  assert.ok(udp.sent.every((s) => s.address === PHONE.address && s.port === PHONE.port));
});

test('idle connections are closed after the idle timeout; activity keeps them', () => {
  const { layer, tcp, clock } = layerWith();
  const client = tcp.accept({ address: '127.0.0.9', port: 41001 });
  const server = client.peer;
  assert.ok(server !== undefined);
  clock.advance(20_000);
  server.receive('\r\n\r\n');
  clock.advance(20_000);
  assert.equal(layer.flowCount, 1);
  clock.advance(10_000);
  assert.equal(layer.flowCount, 0);
  assert.equal(layer.counters().idleConnectionsClosed, 1);
  assert.equal(server.closed, true);
});

test('oversize datagrams are dropped and counted; STUN goes to its hook', () => {
  const clock = new ManualClock();
  const udp = new MemoryDatagramSocket(LOCAL);
  const stun: Buffer[] = [];
  const layer = new SipTransportLayer({ clock, udp, maxMessageSize: 2000, onStunDatagram: (d) => stun.push(d) });
  const got: SipMessage[] = [];
  layer.onMessage((m) => got.push(m));
  layer.start();
  udp.inject(request('SIP/2.0/UDP 127.0.0.9;branch=z9hG4bK1', [], 'y'.repeat(3000)), PHONE);
  udp.inject(Buffer.from([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, ...new Array<number>(12).fill(0)]), PHONE);
  udp.inject('\r\n\r\n', PHONE);
  assert.equal(got.length, 0);
  assert.equal(stun.length, 1);
  assert.equal(layer.counters().oversize, 1);
  assert.equal(udp.sent.length, 0);
});
