import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenTcp, listenTls, tcpConnector, tlsConnector, type StreamConnection } from '../../../src/net/index.js';

function collect(connection: StreamConnection): { text: () => string; closed: Promise<void> } {
  const chunks: Buffer[] = [];
  connection.onData((c) => chunks.push(c));
  const closed = new Promise<void>((resolve) => connection.onClose(() => resolve()));
  return { text: () => Buffer.concat(chunks).toString(), closed };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

test('TCP: listen on port 0, connect, exchange both ways, close cascades', async () => {
  const listener = await listenTcp({ address: '127.0.0.1', port: 0 });
  assert.ok(listener.local.port > 0);
  const accepted: StreamConnection[] = [];
  listener.onConnection((c) => accepted.push(c));
  const client = await tcpConnector().connect({ host: '127.0.0.1', port: listener.local.port, timeoutMs: 2000 });
  const fromServer = collect(client);
  await until(() => accepted.length === 1);
  const server = accepted[0];
  assert.ok(server !== undefined);
  const fromClient = collect(server);
  assert.equal(server.remote.port, client.local.port);
  assert.equal(client.secure, false);
  client.write([Buffer.from('ping '), Buffer.from('one')]);
  server.write(Buffer.from('pong'));
  await until(() => fromClient.text() === 'ping one' && fromServer.text() === 'pong');
  assert.equal(fromClient.text(), 'ping one');
  assert.equal(fromServer.text(), 'pong');
  await listener.close();
  await Promise.all([fromClient.closed, fromServer.closed]);
  await listener.close();
  await client.close();
  client.write(Buffer.from('after close is ignored'));
});

test('TCP: a refused connection rejects', async () => {
  const listener = await listenTcp({ address: '127.0.0.1', port: 0 });
  const port = listener.local.port;
  await listener.close();
  await assert.rejects(tcpConnector().connect({ host: '127.0.0.1', port, timeoutMs: 2000 }), { code: 'ECONNREFUSED' });
});

test('TLS: TLS 1.2+ listener and connector with a test certificate; untrusted certificate refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sbc-net-tls-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
    const pem = readFileSync(cert);
    const listener = await listenTls({ address: '127.0.0.1', port: 0, key: readFileSync(key), cert: pem });
    const accepted: StreamConnection[] = [];
    listener.onConnection((c) => {
      accepted.push(c);
      c.onData((chunk) => c.write(Buffer.concat([Buffer.from('echo:'), chunk])));
    });
    const client = await tlsConnector({ ca: pem }).connect({ host: '127.0.0.1', port: listener.local.port, timeoutMs: 5000 });
    assert.equal(client.secure, true);
    const got = collect(client);
    client.write(Buffer.from('hello'));
    await until(() => got.text() === 'echo:hello');
    assert.equal(got.text(), 'echo:hello');
    assert.equal(accepted[0]?.secure, true);
    await assert.rejects(tlsConnector().connect({ host: '127.0.0.1', port: listener.local.port, timeoutMs: 5000 }));
    await client.close();
    await listener.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
