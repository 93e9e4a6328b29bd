import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { decodeStun, encodeStun, requestOverStream, StunClient, StunTimeoutError, type StunResponse } from '../../../src/stun/index.js';
import { FakeNetwork, FakeStream } from './fake-network.js';

const SERVER = { address: '10.0.0.1', port: 3478 };

function setup() {
  const clock = new ManualClock(0);
  const net = new FakeNetwork(() => clock.now());
  const socket = net.bind('192.0.2.7', 40000);
  const server = net.bind(SERVER.address, SERVER.port);
  const client = new StunClient({ socket, clock });
  return { clock, net, socket, server, client };
}

test('RFC 8489 §6.2.1: sends at 0, 500, 1500, 3500, 7500, 15500, 31500 ms and gives up at 39500 ms', async () => {
  const { clock, net, client } = setup();
  let outcome: unknown;
  const done = client.request(SERVER).then(
    () => 'resolved',
    (error: unknown) => error,
  );
  void done.then((v) => (outcome = v));
  clock.advance(39_499);
  await Promise.resolve();
  assert.deepEqual(net.sent.map((s) => s.at), [0, 500, 1500, 3500, 7500, 15500, 31500]);
  assert.equal(outcome, undefined, 'still waiting at 39499 ms');
  clock.advance(1);
  const error = await done;
  assert.ok(error instanceof StunTimeoutError);
  assert.equal(error.code, 'SBC_ERR_STUN_TIMEOUT');
  assert.equal(error.waitedMs, 39_500);
  assert.match(error.message, /10\.0\.0\.1:3478 after 39\.5 s/u);
  assert.equal(new Set(net.sent.map((s) => decodeStun(s.data).transactionId.toString('hex'))).size, 1, 'retransmissions reuse the transaction id');
  assert.equal(clock.pending, 0);
});

test('a response stops the retransmissions and resolves with it', async () => {
  const { clock, net, client, server } = setup();
  let answer = false;
  server.onMessage((data, from) => {
    if (!answer) return;
    const request = decodeStun(data);
    server.send(encodeStun({ method: 1, messageClass: 'success', transactionId: request.transactionId, attributes: [{ type: 'XOR-MAPPED-ADDRESS', value: from }] }), from.port, from.address);
  });
  const pending = client.request(SERVER);
  clock.advance(500);
  answer = true;
  clock.advance(1000);
  const response: StunResponse = await pending;
  assert.equal(response.sends, 3);
  assert.equal(response.message.messageClass, 'success');
  clock.advance(60_000);
  assert.equal(net.sent.filter((s) => s.to.port === SERVER.port).length, 3, 'no send after the response');
  assert.equal(clock.pending, 0);
});

test('timeoutMs cuts the schedule short and the error says how long it waited', async () => {
  const { clock, net, client } = setup();
  const pending = client.request(SERVER, { timeoutMs: 2000 });
  clock.advance(2000);
  await assert.rejects(pending, (error: unknown) => error instanceof StunTimeoutError && error.waitedMs === 2000);
  assert.deepEqual(net.sent.map((s) => s.at), [0, 500, 1500]);
});

test('responses with an unknown transaction id, and garbage, are ignored', async () => {
  const { clock, client, server, socket } = setup();
  const pending = client.request(SERVER, { timeoutMs: 1000 });
  server.send(encodeStun({ method: 1, messageClass: 'success', transactionId: Buffer.alloc(12, 7), attributes: [] }), socket.local.port, socket.local.address);
  server.send(Buffer.from('hello'), socket.local.port, socket.local.address);
  clock.advance(1000);
  await assert.rejects(pending, StunTimeoutError);
});

test('close() rejects pending transactions and is idempotent', async () => {
  const { client } = setup();
  const pending = client.request(SERVER);
  client.close();
  client.close();
  await assert.rejects(pending, StunTimeoutError);
  await assert.rejects(client.request(SERVER), StunTimeoutError);
});

test('TCP (§6.2.2): one send, no retransmission, Ti = 39.5 s', async () => {
  const clock = new ManualClock(0);
  const stream = new FakeStream();
  const pending = requestOverStream(stream, clock);
  clock.advance(39_499);
  assert.equal(stream.written.length, 1);
  clock.advance(1);
  await assert.rejects(pending, (error: unknown) => error instanceof StunTimeoutError && error.waitedMs === 39_500);
});

test('TCP: a response split across chunks resolves the request', async () => {
  const clock = new ManualClock(0);
  const stream = new FakeStream();
  const pending = requestOverStream(stream, clock);
  const request = decodeStun(stream.written[0]!);
  const reply = encodeStun({ method: 1, messageClass: 'success', transactionId: request.transactionId, attributes: [{ type: 'XOR-MAPPED-ADDRESS', value: stream.remote }] });
  stream.push(reply.subarray(0, 10));
  stream.push(reply.subarray(10));
  const response = await pending;
  assert.equal(response.message.messageClass, 'success');
  assert.equal(clock.pending, 0);
});
