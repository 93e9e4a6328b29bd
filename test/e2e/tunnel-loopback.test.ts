/**
 * Two processes on loopback: a hub and an agent peer (test/support/tunnel-peer.ts) bring a real
 * tunnel up over TLS 1.3 with client certificates, then over WSS; 50 streams each carry 1,000
 * SIP-sized messages, datagram channels carry RTP-sized packets.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTunnelCerts, type TunnelCerts } from '../support/tunnel-certs.js';
import { PeerProcess, type PeerEvent } from '../support/tunnel-peer-process.js';

let certs: TunnelCerts;
const peers: PeerProcess[] = [];

before(() => {
  certs = makeTunnelCerts();
});

after(async () => {
  await Promise.all(peers.map((p) => p.stop()));
  certs.remove();
});

async function startHub(): Promise<{ hub: PeerProcess; tlsPort: number; wssPort: number }> {
  const hub = new PeerProcess('hub', ['--certs', certs.dir, '--host', '127.0.0.1']);
  peers.push(hub);
  const listening = await hub.waitFor('listening', 10_000);
  return { hub, tlsPort: Number(listening.tlsPort), wssPort: Number(listening.wssPort) };
}

interface Report {
  streams: Record<string, { count: number; lastSeq: number; errors: string[] }>;
  channels: Record<string, { received: number; duplicates: number; maxCounter: number }>;
}

async function report(hub: PeerProcess, done: (r: Report) => boolean, timeoutMs: number): Promise<Report> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const since = hub.events.length;
    hub.send({ cmd: 'report' });
    const r = (await hub.waitFor('report', 5000, () => true, since)) as PeerEvent & Report;
    if (done(r) || Date.now() > deadline) return r;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

for (const carriage of ['tls', 'wss'] as const) {
  test(`tunnel over ${carriage.toUpperCase()}: 50 streams × 1,000 SIP messages in order, RTP datagrams on channels`, async () => {
    const { hub, tlsPort, wssPort } = await startHub();
    const agent = new PeerProcess('agent', ['--certs', certs.dir, '--host', '127.0.0.1', '--tls-port', String(tlsPort), '--wss-port', String(wssPort), '--carriage', carriage]);
    peers.push(agent);
    const open = await agent.waitFor('open', 10_000);
    assert.equal(open.carriage, carriage);
    assert.equal(open.resumed, false);
    const session = await hub.waitFor('session', 5000);
    assert.equal(session.identity, 'agent-1', 'the hub sees the certificate identity');
    agent.send({ cmd: 'channels', count: 4, packets: 250, intervalMs: 2 });
    agent.send({ cmd: 'streams', count: 50, messages: 1000, size: 800 });
    await agent.waitFor('sent', 60_000);
    await agent.waitFor('datagrams-sent', 30_000);
    const r = await report(hub, (x) => Object.values(x.streams).reduce((n, s) => n + s.count, 0) >= 50_000 && Object.values(x.channels).every((c) => c.maxCounter >= 249), 60_000);
    assert.equal(Object.keys(r.streams).length, 50);
    for (const [index, s] of Object.entries(r.streams)) {
      assert.deepEqual(s.errors, [], `stream ${index}`);
      assert.equal(s.count, 1000, `stream ${index} count`);
      assert.equal(s.lastSeq, 999, `stream ${index} last`);
    }
    assert.deepEqual(Object.keys(r.channels).sort(), ['media-0', 'media-1', 'media-2', 'media-3']);
    for (const [label, c] of Object.entries(r.channels)) {
      assert.equal(c.duplicates, 0, label);
      // Unreliable by contract, but loopback without congestion loses nothing.
      assert.equal(c.received, 250, `${label} received`);
    }
    await agent.stop();
    await hub.waitFor('session-close', 5000);
    await hub.stop();
  });
}

test('the agent falls back to WSS when TLS cannot connect', async () => {
  const { hub, wssPort } = await startHub();
  // Port 1 on loopback: nothing listens, TLS is refused at once.
  const agent = new PeerProcess('agent', ['--certs', certs.dir, '--host', '127.0.0.1', '--tls-port', '1', '--wss-port', String(wssPort), '--carriage', 'auto']);
  peers.push(agent);
  await agent.waitFor('fallback', 10_000);
  const open = await agent.waitFor('open', 10_000);
  assert.equal(open.carriage, 'wss');
  await agent.stop();
  await hub.stop();
});

test('an agent certificate from a foreign CA is refused in the TLS handshake', async () => {
  const { hub, tlsPort, wssPort } = await startHub();
  const { copyFileSync } = await import('node:fs');
  copyFileSync(certs.foreignAgent.keyPath, `${certs.dir}/intruder.key`);
  copyFileSync(certs.foreignAgent.certPath, `${certs.dir}/intruder.pem`);
  const agent = new PeerProcess('agent', ['--certs', certs.dir, '--host', '127.0.0.1', '--tls-port', String(tlsPort), '--wss-port', String(wssPort), '--carriage', 'tls', '--agent', 'intruder']);
  peers.push(agent);
  await hub.waitFor('tls-refused', 10_000);
  await agent.waitFor('reconnecting', 10_000);
  assert.equal(hub.events.filter((e) => e.event === 'session').length, 0);
  await agent.stop();
  await hub.stop();
});
