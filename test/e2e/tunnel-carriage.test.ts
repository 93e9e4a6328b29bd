/**
 * The tunnel carriages on loopback: TLS 1.3 only, mutual certificates, the peer identity exposed to
 * the hub, and the same over WSS; old TLS versions, missing or foreign certificates are refused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { WebSocket } from 'ws';
import { connectTunnelTls, connectTunnelWss, listenTunnelTls, listenTunnelWss, tunnelWssUrl, type TunnelCarriage, type TunnelListener } from '../../src/net/index.js';
import { makeTunnelCerts, type TunnelCerts } from '../support/tunnel-certs.js';

let certs: TunnelCerts;
let tls: TunnelListener;
let wss: TunnelListener;
const accepted: TunnelCarriage[] = [];
const refused: string[] = [];

before(async () => {
  certs = makeTunnelCerts();
  const hub = { key: certs.hub.key, cert: certs.hub.cert, ca: certs.ca, host: '127.0.0.1', port: 0 };
  const onCarriage = (c: TunnelCarriage): void => {
    accepted.push(c);
    c.onData((chunk) => c.write(chunk)); // echo
  };
  const onHandshakeError = (e: Error): void => {
    refused.push(e.message);
  };
  tls = await listenTunnelTls({ ...hub, onCarriage, onHandshakeError });
  wss = await listenTunnelWss({ ...hub, onCarriage, onHandshakeError });
});

after(async () => {
  for (const c of accepted) c.abort();
  await Promise.all([tls.close(), wss.close()]);
  certs.remove();
});

const agent = (): { key: string; cert: string; ca: string } => ({ key: certs.agent.key, cert: certs.agent.cert, ca: certs.ca });

function echo(c: TunnelCarriage, data: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const got: Buffer[] = [];
    c.onData((chunk) => {
      got.push(chunk);
      if (Buffer.concat(got).length >= data.length) resolve(Buffer.concat(got));
    });
    c.write(data);
  });
}

for (const kind of ['tls', 'wss'] as const) {
  test(`${kind}: mutual certificates; the hub sees the agent's subject and fingerprint`, async () => {
    const before = accepted.length;
    const c = kind === 'tls'
      ? await connectTunnelTls({ ...agent(), host: '127.0.0.1', port: tls.port })
      : await connectTunnelWss({ ...agent(), url: tunnelWssUrl('127.0.0.1', wss.port) });
    assert.equal(c.peer.carriage, kind);
    assert.equal(c.peer.subject, 'hub');
    const data = Buffer.alloc(100_000, 7);
    assert.ok((await echo(c, data)).equals(data));
    const hubSide = accepted[before];
    assert.ok(hubSide);
    assert.equal(hubSide.peer.carriage, kind);
    assert.equal(hubSide.peer.subject, 'agent-1');
    assert.equal(hubSide.peer.fingerprint256, new X509Certificate(certs.agent.cert).fingerprint256);
    const closed = new Promise<Error | undefined>((resolve) => hubSide.onClose(resolve));
    c.close();
    assert.equal(await closed, undefined);
  });
}

test('tls: a TLS 1.2 client is refused', async () => {
  await assert.rejects(new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port: tls.port, ...agent(), maxVersion: 'TLSv1.2', checkServerIdentity: () => undefined });
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
  }), /version|protocol/i);
});

test('tls: a client without a certificate never reaches the tunnel', async () => {
  const before = accepted.length;
  const refusedBefore = refused.length;
  await new Promise<void>((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port: tls.port, ca: certs.ca, checkServerIdentity: () => undefined });
    s.once('error', () => resolve());
    s.once('close', () => resolve());
    s.resume();
  });
  assert.equal(accepted.length, before);
  assert.ok(refused.length > refusedBefore, 'the hub reports the refused handshake');
});

test('tls and wss: an agent certificate from a foreign CA is refused', async () => {
  const before = accepted.length;
  const foreign = { key: certs.foreignAgent.key, cert: certs.foreignAgent.cert, ca: certs.ca };
  const tried = await connectTunnelTls({ ...foreign, host: '127.0.0.1', port: tls.port }).then(
    (c) => new Promise<string>((resolve) => c.onClose(() => resolve('closed by the hub'))),
    () => 'refused',
  );
  assert.ok(['refused', 'closed by the hub'].includes(tried));
  await assert.rejects(connectTunnelWss({ ...foreign, url: tunnelWssUrl('127.0.0.1', wss.port) }));
  assert.equal(accepted.length, before);
});

test('tls: the agent refuses a hub whose certificate is not from the hub CA', async () => {
  await assert.rejects(connectTunnelTls({ ...agent(), ca: certs.foreignCa, host: '127.0.0.1', port: tls.port }), /certificate/i);
});

test('wss: a text message drops the carriage', async () => {
  const before = accepted.length;
  const ws = new WebSocket(tunnelWssUrl('127.0.0.1', wss.port), { ...agent(), checkServerIdentity: (() => undefined) as unknown as () => boolean });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const hubSide = accepted[before];
  assert.ok(hubSide);
  const closed = new Promise<Error | undefined>((resolve) => hubSide.onClose(resolve));
  ws.send('not a frame');
  const error = await closed;
  assert.match(String(error?.message), /text message/);
  ws.terminate();
});
