/**
 * CDRs over a real tunnel: a TunnelClient and a TunnelServer on 127.0.0.1 over TLS 1.3 with
 * mutual certificates, the agent's AgentCdr and the hub's CDR service on real folders. Records
 * appended while the hub is unreachable arrive once the tunnel comes up, and again after the hub
 * went away and came back (a new session); each is stored once, under the certificate's name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realClock, silentLogger } from '../../../src/core/index.js';
import { AgentCdr } from '../../../src/agent-cdr.js';
import { hubCdrService, type HubCdrService } from '../../../src/hub-cdr.js';
import { readCdrStore } from '../../../src/cdr/index.js';
import { listenTunnelTls, tunnelConnector, type TunnelListener } from '../../../src/net/index.js';
import { StreamDispatcher, TunnelClient, TunnelServer } from '../../../src/tunnel/index.js';
import { makeTunnelCerts, type TunnelCerts } from '../../support/tunnel-certs.js';
import { cdr } from '../../support/cdr-records.js';

/** A port free a moment ago: the hub listens on it later, the agent tries it before. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, deadlineMs = 15_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not within ${deadlineMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The hub side: tunnel server, stream dispatcher, CDR service, TLS listener. */
interface HubSide {
  readonly server: TunnelServer;
  readonly service: HubCdrService;
  readonly listener: TunnelListener;
  close(): Promise<void>;
}

async function startHub(certs: TunnelCerts, port: number, dir: string): Promise<HubSide> {
  const server = new TunnelServer({ clock: realClock, identity: 'hub', authorize: () => undefined });
  const streams = new StreamDispatcher({ clock: realClock });
  server.on('session', (s) => s.on('stream', (stream) => streams.accept(s, stream)));
  const service = hubCdrService({ streams, dir, retentionDays: 90, clock: realClock, logger: silentLogger, sbcName: (s) => s.peerIdentity });
  await service.start();
  const listener = await listenTunnelTls({ host: '127.0.0.1', port, key: certs.hub.key, cert: certs.hub.cert, ca: certs.ca, onCarriage: (c) => server.accept(c) });
  return {
    server, service, listener,
    close: async () => {
      server.close();
      streams.close();
      await listener.close();
      await service.close();
    },
  };
}

test('records appended while the tunnel is down arrive once it is up, and after the hub comes back', async () => {
  const certs = makeTunnelCerts();
  const dir = await mkdtemp(join(tmpdir(), 'sbc-cdr-tunnel-'));
  const storeDir = join(dir, 'hub', 'cdr');
  const port = await freePort();
  const client = new TunnelClient({
    clock: realClock,
    identity: 'agent-1',
    reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    connect: tunnelConnector({ key: certs.agent.key, cert: certs.agent.cert, ca: certs.ca, tls: { host: '127.0.0.1', port }, timeoutMs: 2000 }),
  });
  const agent = await AgentCdr.open({ dir: join(dir, 'agent', 'cdr'), clock: realClock, logger: silentLogger });
  let hub: HubSide | undefined;
  try {
    client.start();
    agent.start(client);
    // Nobody listens yet: the agent keeps trying, the records wait on disk.
    await waitFor('a failed connection attempt', () => client.state === 'reconnecting' || client.state === 'connecting');
    for (let n = 0; n < 5; n++) assert.equal(await agent.append(cdr(n, { agent: 'claimed-elsewhere' })), true);
    assert.equal(agent.status().pending, 5);
    assert.equal(agent.status().uploaded, 0);

    hub = await startHub(certs, port, storeDir);
    await waitFor('the five records at the hub', () => agent.status().pending === 0);
    let kept = await readCdrStore(storeDir);
    assert.deepEqual(kept.records.map((r) => r.id), [0, 1, 2, 3, 4].map((n) => cdr(n).id));
    assert.deepEqual([...new Set(kept.records.map((r) => r.agent))], ['agent-1'], 'stored under the certificate\'s name');

    // A record appended while the tunnel is up goes at once.
    await agent.append(cdr(5));
    await waitFor('record 5 at the hub', () => agent.status().pending === 0);

    // The hub goes away (shutting down), records wait again; a new hub session takes them.
    await hub.close();
    hub = undefined;
    await waitFor('the tunnel down', () => client.state !== 'open');
    for (let n = 6; n < 9; n++) await agent.append(cdr(n));
    assert.equal(agent.status().pending, 3);
    hub = await startHub(certs, port, storeDir);
    await waitFor('records 6 to 8 at the hub', () => agent.status().pending === 0);
    kept = await readCdrStore(storeDir);
    assert.deepEqual(kept.records.map((r) => r.id), Array.from({ length: 9 }, (_, n) => cdr(n).id));
    assert.equal(kept.unreadable, 0);
    assert.equal(agent.status().uploaded, 9);
  } finally {
    await agent.close();
    client.close();
    await hub?.close();
    certs.remove();
    await rm(dir, { recursive: true, force: true });
  }
});
