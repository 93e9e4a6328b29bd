import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admitConnections, listenTcp, tcpConnector, type StreamConnection } from '../../../src/net/index.js';

test('admitConnections: a refused source is closed at accept and never handed to the owner; others are', async () => {
  const listener = await listenTcp({ address: '127.0.0.1', port: 0 });
  const seen: string[] = [];
  const accepted: StreamConnection[] = [];
  const filtered = admitConnections(listener, (remote) => {
    seen.push(remote.address);
    return seen.length > 1;
  });
  assert.equal(filtered.local.port, listener.local.port);
  filtered.onConnection((c) => accepted.push(c));
  const refused = await tcpConnector().connect({ host: '127.0.0.1', port: listener.local.port, timeoutMs: 2000 });
  const refusedClosed = new Promise<void>((resolve) => refused.onClose(() => resolve()));
  await refusedClosed;
  assert.equal(accepted.length, 0, 'the refused connection never reached the owner');
  const admitted = await tcpConnector().connect({ host: '127.0.0.1', port: listener.local.port, timeoutMs: 2000 });
  for (let i = 0; i < 100 && accepted.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(accepted.length, 1);
  assert.deepEqual(seen, ['127.0.0.1', '127.0.0.1']);
  admitted.destroy();
  for (const c of accepted) c.destroy();
  await filtered.close();
});

test('admitConnections: a connection whose source becomes refused is destroyed at its next chunk, which is not handed on', async () => {
  const listener = await listenTcp({ address: '127.0.0.1', port: 0 });
  let open = true;
  const filtered = admitConnections(listener, () => open);
  const received: string[] = [];
  let server: StreamConnection | undefined;
  filtered.onConnection((c) => {
    server = c;
    c.onData((chunk) => received.push(chunk.toString()));
  });
  const client = await tcpConnector().connect({ host: '127.0.0.1', port: listener.local.port, timeoutMs: 2000 });
  const closed = new Promise<void>((resolve) => client.onClose(() => resolve()));
  client.write(Buffer.from('first'));
  for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(received, ['first']);
  open = false;
  client.write(Buffer.from('second'));
  await closed;
  assert.deepEqual(received, ['first'], 'the chunk after the block never reached the owner');
  assert.equal(server?.remote.address, '127.0.0.1');
  await filtered.close();
});
