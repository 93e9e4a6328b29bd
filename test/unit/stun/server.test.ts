import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, silentLogger } from '../../../src/core/index.js';
import {
  ATTRIBUTE,
  checkMessageIntegrity,
  decodeStun,
  encodeStun,
  getAttribute,
  longTermKey,
  METHOD,
  shortTermKey,
  StunServer,
  type StunAttribute,
  type StunCredentials,
  type StunMessage,
  type StunRateLimit,
} from '../../../src/stun/index.js';
import { FakeNetwork, FakeStream, type FakeSocket } from './fake-network.js';

const TID = Buffer.from('0102030405060708090a0b0c', 'hex');

function request(attributes: StunAttribute[] = [], transactionId = TID, method: number = METHOD.BINDING): StunMessage {
  return { method, messageClass: 'request', transactionId, attributes };
}

/** A server on the RFC 5780 grid 10.0.0.1/10.0.0.2 × 3478/3479 (or only the primary socket). */
function setup(options: { alternate?: boolean; credentials?: StunCredentials; rateLimit?: StunRateLimit | false } = {}) {
  const clock = new ManualClock(1000);
  const net = new FakeNetwork(() => clock.now());
  const grid: { socket: FakeSocket; ip: 0 | 1; port: 0 | 1 }[] = [{ socket: net.bind('10.0.0.1', 3478), ip: 0, port: 0 }];
  if (options.alternate === true) {
    grid.push({ socket: net.bind('10.0.0.1', 3479), ip: 0, port: 1 }, { socket: net.bind('10.0.0.2', 3478), ip: 1, port: 0 }, { socket: net.bind('10.0.0.2', 3479), ip: 1, port: 1 });
  }
  const server = new StunServer({
    clock,
    logger: silentLogger,
    udp: grid,
    rateLimit: options.rateLimit ?? false,
    software: 'test',
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  });
  server.start();
  const client = net.bind('192.0.2.7', 40000);
  const replies: { data: Buffer; from: string; message: StunMessage }[] = [];
  client.onMessage((data, from) => replies.push({ data, from: `${from.address}:${from.port}`, message: decodeStun(data) }));
  const send = (bytes: Buffer, to = 3478, address = '10.0.0.1'): void => client.send(bytes, to, address);
  return { clock, net, server, client, replies, send };
}

test('Binding request → success with XOR-MAPPED-ADDRESS of the source, same transaction id', () => {
  const { replies, send, server } = setup();
  send(encodeStun(request()));
  assert.equal(replies.length, 1);
  const reply = replies[0]!.message;
  assert.equal(reply.messageClass, 'success');
  assert.deepEqual(reply.transactionId, TID);
  assert.deepEqual(getAttribute(reply, 'XOR-MAPPED-ADDRESS')?.value, { family: 'IPv4', address: '192.0.2.7', port: 40000 });
  assert.equal(getAttribute(reply, 'OTHER-ADDRESS'), undefined, 'no OTHER-ADDRESS without an alternate');
  assert.equal(getAttribute(reply, 'SOFTWARE')?.value, 'test');
  assert.equal(server.counters.success, 1);
});

test('RFC 5780: OTHER-ADDRESS and RESPONSE-ORIGIN; the diagonal socket is the other address', () => {
  const { replies, send } = setup({ alternate: true });
  send(encodeStun(request()), 3479, '10.0.0.2');
  const reply = replies[0]!.message;
  assert.deepEqual(getAttribute(reply, 'OTHER-ADDRESS')?.value, { family: 'IPv4', address: '10.0.0.1', port: 3478 });
  assert.deepEqual(getAttribute(reply, 'RESPONSE-ORIGIN')?.value, { family: 'IPv4', address: '10.0.0.2', port: 3479 });
  assert.equal(replies[0]!.from, '10.0.0.2:3479');
});

const CHANGES: readonly { changeIp: boolean; changePort: boolean; from: string }[] = [
  { changeIp: false, changePort: false, from: '10.0.0.1:3478' },
  { changeIp: true, changePort: false, from: '10.0.0.2:3478' },
  { changeIp: false, changePort: true, from: '10.0.0.1:3479' },
  { changeIp: true, changePort: true, from: '10.0.0.2:3479' },
];

for (const c of CHANGES) {
  test(`CHANGE-REQUEST ip=${c.changeIp} port=${c.changePort} is answered from ${c.from}`, () => {
    const { replies, send } = setup({ alternate: true });
    send(encodeStun(request([{ type: 'CHANGE-REQUEST', changeIp: c.changeIp, changePort: c.changePort }])));
    assert.equal(replies.length, 1);
    assert.equal(replies[0]!.from, c.from);
    assert.equal(`${getAttribute(replies[0]!.message, 'RESPONSE-ORIGIN')?.value.address}:${getAttribute(replies[0]!.message, 'RESPONSE-ORIGIN')?.value.port}`, c.from);
  });
}

test('CHANGE-REQUEST without an alternate address → 420 listing CHANGE-REQUEST (RFC 5780 §6.1)', () => {
  const { replies, send } = setup();
  send(encodeStun(request([{ type: 'CHANGE-REQUEST', changeIp: true, changePort: false }])));
  const reply = replies[0]!.message;
  assert.equal(reply.messageClass, 'error');
  assert.equal(getAttribute(reply, 'ERROR-CODE')?.code, 420);
  assert.deepEqual(getAttribute(reply, 'UNKNOWN-ATTRIBUTES')?.types, [ATTRIBUTE['CHANGE-REQUEST']]);
});

test('RESPONSE-PORT: the response goes to the source address at that port', () => {
  const { net, send } = setup({ alternate: true });
  send(encodeStun(request([{ type: 'RESPONSE-PORT', port: 40002 }])));
  const out = net.sent.at(-1)!;
  assert.deepEqual(out.to, { address: '192.0.2.7', port: 40002 });
  assert.equal(decodeStun(out.data).messageClass, 'success');
});

test('unknown comprehension-required attributes → 420 with UNKNOWN-ATTRIBUTES; optional ones are ignored', () => {
  const { replies, send, server } = setup();
  send(encodeStun(request([{ type: 'UNKNOWN', code: 0x0031, value: Buffer.from('ab') }, { type: 'UNKNOWN', code: 0x7fff, value: Buffer.alloc(0) }, { type: 'UNKNOWN', code: 0x8031, value: Buffer.alloc(4) }])));
  const reply = replies[0]!.message;
  assert.equal(getAttribute(reply, 'ERROR-CODE')?.code, 420);
  assert.deepEqual(getAttribute(reply, 'UNKNOWN-ATTRIBUTES')?.types, [0x0031, 0x7fff]);
  send(encodeStun(request([{ type: 'UNKNOWN', code: 0x8031, value: Buffer.alloc(4) }])));
  assert.equal(replies[1]!.message.messageClass, 'success');
  assert.deepEqual(server.counters.errors, { 420: 1 });
});

test('classic RFC 3489 request (no magic cookie) → MAPPED-ADDRESS, SOURCE-ADDRESS, CHANGED-ADDRESS', () => {
  const { replies, send, server } = setup({ alternate: true });
  const classicId = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  send(encodeStun(request([], classicId)));
  const reply = replies[0]!;
  assert.equal(reply.data.readUInt32BE(4), 0x00112233, 'no cookie in the response either');
  assert.deepEqual(reply.message.transactionId, classicId);
  assert.deepEqual(getAttribute(reply.message, 'MAPPED-ADDRESS')?.value, { family: 'IPv4', address: '192.0.2.7', port: 40000 });
  assert.equal(getAttribute(reply.message, 'XOR-MAPPED-ADDRESS'), undefined);
  assert.deepEqual(getAttribute(reply.message, 'SOURCE-ADDRESS')?.value, { family: 'IPv4', address: '10.0.0.1', port: 3478 });
  assert.deepEqual(getAttribute(reply.message, 'CHANGED-ADDRESS')?.value, { family: 'IPv4', address: '10.0.0.2', port: 3479 });
  assert.equal(server.counters.classic, 1);
});

test('a Shared Secret request gets an error response, not silence', () => {
  const { replies, send } = setup();
  send(encodeStun(request([], Buffer.from('00112233445566778899aabbccddeeff', 'hex'), METHOD.SHARED_SECRET)));
  assert.equal(replies.length, 1);
  assert.equal(replies[0]!.message.method, METHOD.SHARED_SECRET);
  assert.equal(replies[0]!.message.messageClass, 'error');
  assert.equal(getAttribute(replies[0]!.message, 'ERROR-CODE')?.code, 400);
});

test('malformed datagrams, bad FINGERPRINTs, indications and responses are dropped and counted', () => {
  const { replies, send, server } = setup();
  send(Buffer.from('not stun at all, just text'));
  send(Buffer.alloc(20));
  const withFingerprint = encodeStun(request([{ type: 'FINGERPRINT' }]));
  withFingerprint.writeUInt8(withFingerprint.readUInt8(withFingerprint.length - 1) ^ 0xff, withFingerprint.length - 1);
  send(withFingerprint);
  send(encodeStun({ method: METHOD.BINDING, messageClass: 'indication', transactionId: TID, attributes: [] }));
  send(encodeStun({ method: METHOD.BINDING, messageClass: 'success', transactionId: TID, attributes: [] }));
  assert.equal(replies.length, 1, 'only the all-zero header is answered: a classic request of method 0 → 400');
  assert.equal(getAttribute(replies[0]!.message, 'ERROR-CODE')?.code, 400);
  const counters = server.counters;
  assert.equal(counters.malformed, 2);
  assert.equal(counters.ignored, 2);
  assert.equal(counters.received, 5);
});

const SHORT: StunCredentials = { kind: 'short-term', password: (u) => (u === 'alice' ? 'secret' : undefined) };

test('short-term credentials: missing MESSAGE-INTEGRITY → 400, bad one or unknown user → 401; good → signed success', () => {
  const { replies, send, server } = setup({ credentials: SHORT });
  const mi: StunAttribute = { type: 'MESSAGE-INTEGRITY', value: Buffer.alloc(0) };
  send(encodeStun(request([{ type: 'USERNAME', value: 'alice' }])));
  send(encodeStun(request([{ type: 'USERNAME', value: 'alice' }, mi]), { integrityKey: shortTermKey('wrong') }));
  send(encodeStun(request([{ type: 'USERNAME', value: 'mallory' }, mi]), { integrityKey: shortTermKey('secret') }));
  send(encodeStun(request([{ type: 'USERNAME', value: 'alice' }, mi, { type: 'FINGERPRINT' }]), { integrityKey: shortTermKey('secret') }));
  assert.deepEqual(replies.map((r) => getAttribute(r.message, 'ERROR-CODE')?.code ?? 'ok'), [400, 401, 401, 'ok']);
  assert.equal(checkMessageIntegrity(replies[3]!.data, shortTermKey('secret')), 'valid');
  assert.deepEqual(server.counters.errors, { 400: 1, 401: 2 });
});

test('short-term credentials with MESSAGE-INTEGRITY-SHA256', () => {
  const { replies, send } = setup({ credentials: SHORT });
  send(encodeStun(request([{ type: 'USERNAME', value: 'alice' }, { type: 'MESSAGE-INTEGRITY-SHA256', value: Buffer.alloc(0) }]), { integrityKey: shortTermKey('secret') }));
  assert.equal(replies[0]!.message.messageClass, 'success');
  assert.equal(checkMessageIntegrity(replies[0]!.data, shortTermKey('secret'), 'sha256'), 'valid');
});

test('long-term credentials: 401 with REALM and NONCE, then success; a stale nonce → 438', () => {
  const credentials: StunCredentials = { kind: 'long-term', realm: 'example.org', password: () => 'pw', nonceLifetimeMs: 60_000 };
  const { replies, send, clock } = setup({ credentials });
  send(encodeStun(request([{ type: 'USERNAME', value: 'bob' }])));
  const challenge = replies[0]!.message;
  assert.equal(getAttribute(challenge, 'ERROR-CODE')?.code, 401);
  const nonce = getAttribute(challenge, 'NONCE')?.value ?? '';
  assert.equal(getAttribute(challenge, 'REALM')?.value, 'example.org');
  const key = longTermKey('bob', 'example.org', 'pw');
  const signed = (n: string): Buffer =>
    encodeStun(request([{ type: 'USERNAME', value: 'bob' }, { type: 'REALM', value: 'example.org' }, { type: 'NONCE', value: n }, { type: 'MESSAGE-INTEGRITY', value: Buffer.alloc(0) }]), { integrityKey: key });
  send(signed(nonce));
  assert.equal(replies[1]!.message.messageClass, 'success');
  assert.equal(checkMessageIntegrity(replies[1]!.data, key), 'valid');
  send(signed(`${nonce}x`));
  assert.equal(getAttribute(replies[2]!.message, 'ERROR-CODE')?.code, 438);
  clock.advance(60_000);
  send(signed(nonce));
  assert.equal(getAttribute(replies[3]!.message, 'ERROR-CODE')?.code, 438);
});

test('rate limit: a token bucket per source IP on the injected clock', () => {
  const { replies, send, server, clock, net } = setup({ rateLimit: { perSecond: 2, burst: 3 } });
  for (let i = 0; i < 5; i++) send(encodeStun(request()));
  assert.equal(replies.length, 3);
  assert.equal(server.counters.rateLimited, 2);
  const other = net.bind('192.0.2.8', 40000);
  let otherReplies = 0;
  other.onMessage(() => otherReplies++);
  other.send(encodeStun(request()), 3478, '10.0.0.1');
  assert.equal(otherReplies, 1, 'another source has its own bucket');
  clock.advance(499);
  send(encodeStun(request()));
  assert.equal(replies.length, 3);
  clock.advance(1);
  send(encodeStun(request()));
  assert.equal(replies.length, 4, 'one token back after 500 ms at 2 per second');
});

test('TCP: messages cut anywhere in the stream are answered in order; a bad header closes it', () => {
  const { server } = setup();
  const stream = new FakeStream();
  server.handleStream(stream);
  const a = encodeStun(request([], Buffer.alloc(12, 1)));
  const b = encodeStun(request([{ type: 'SOFTWARE', value: 'x' }], Buffer.alloc(12, 2)));
  const all = Buffer.concat([a, b]);
  stream.push(all.subarray(0, 7));
  stream.push(all.subarray(7, 25));
  stream.push(all.subarray(25));
  assert.deepEqual(stream.written.map((w) => decodeStun(w).transactionId[0]), [1, 2]);
  assert.deepEqual(getAttribute(decodeStun(stream.written[0]!), 'XOR-MAPPED-ADDRESS')?.value, stream.remote);
  stream.push(Buffer.from('GET / HTTP/1.1\r\n'));
  assert.equal(stream.closed, true);
  assert.equal(server.counters.malformed, 1);
});

test('handleDatagram answers STUN that arrived on a shared (SIP) socket, from that socket', () => {
  const { server, net } = setup();
  const sip = net.bind('10.0.0.1', 5060);
  const phone = net.bind('192.0.2.50', 5062);
  const got: StunMessage[] = [];
  phone.onMessage((data) => got.push(decodeStun(data)));
  sip.onMessage((data, from) => server.handleDatagram(data, from, sip));
  phone.send(encodeStun(request()), 5060, '10.0.0.1');
  assert.equal(got[0]?.messageClass, 'success');
  assert.equal(net.sent.at(-1)?.from.port, 5060);
});

test('close() is idempotent and stops answering', () => {
  const { server, replies, send } = setup();
  server.close();
  server.close();
  send(encodeStun(request()));
  assert.equal(replies.length, 0);
});
