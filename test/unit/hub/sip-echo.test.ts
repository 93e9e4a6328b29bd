/**
 * The hub's SIP echo service (src/hub-sip-echo.ts) on a real UDP socket on 127.0.0.1: an OPTIONS
 * comes back with its copy; a source over its rate gets nothing more until its bucket refills (a
 * manual clock); close() is idempotent and frees the port.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { ManualClock, silentLogger } from '../../../src/core/index.js';
import { hubSipEchoService } from '../../../src/hub-sip-echo.js';
import { readSipEcho } from '../../../src/sip/index.js';

function options(n: number): Buffer {
  return Buffer.from(`OPTIONS sip:echo@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK${n}\r\nFrom: <sip:d@127.0.0.1>;tag=${n}\r\nTo: <sip:echo@127.0.0.1>\r\nCall-ID: c${n}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * Sends `count` OPTIONS and collects the Call-IDs echoed: until `expected` came (at most 3 s, for a
 * busy machine), then 200 ms more for any that should not come.
 */
async function exchange(client: Socket, port: number, from: number, count: number, expected: number): Promise<string[]> {
  const got: string[] = [];
  const onMessage = (data: Buffer): void => {
    const echo = readSipEcho(data);
    if (echo !== undefined) got.push(echo.callId);
  };
  client.on('message', onMessage);
  for (let i = from; i < from + count; i++) client.send(options(i), port, '127.0.0.1');
  const deadline = Date.now() + 3000;
  while (got.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200));
  client.off('message', onMessage);
  return got.sort();
}

test('the echo answers OPTIONS with their copy, at most its burst per source until the clock refills it', async (t) => {
  const clock = new ManualClock();
  const service = hubSipEchoService({ listen: { listen: '127.0.0.1', port: 0 }, clock, logger: silentLogger });
  await service.start();
  t.after(() => service.close());
  const port = service.listeners?.()[0]?.port ?? 0;
  assert.ok(port > 0);
  assert.equal(service.listeners?.()[0]?.name, 'sip-echo');
  const client = createSocket('udp4');
  await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));
  t.after(() => client.close());

  assert.deepEqual(await exchange(client, port, 0, 7, 5), ['c0', 'c1', 'c2', 'c3', 'c4'], 'a burst of 5, the rest dropped');
  assert.deepEqual(await exchange(client, port, 10, 1, 0), [], 'still empty without time passing');
  clock.advance(1000);
  assert.deepEqual(await exchange(client, port, 20, 3, 2), ['c20', 'c21'], '2 a second come back');

  await service.close();
  await service.close();
  const again = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    again.once('error', reject);
    again.bind(port, '127.0.0.1', () => resolve());
  });
  again.close();
});
