/**
 * Tunnel datagram benchmark: 172-byte datagrams (G.711 RTP size) from an agent to a hub over one
 * TLS 1.3 tunnel between two processes on loopback, next to plain UDP over loopback in the same run.
 *
 *   1. maximum one-way rate: the agent sends as fast as the tunnel accepts; the hub counts;
 *   2. latency at 25,000 packets/s: agent → hub → back (the hub echoes on the same channel);
 *      p50/p99 round trip, and the tunnel's added latency over plain UDP.
 *
 * Run: npm run bench:tunnel. Targets: ≥ 100,000 datagrams/s one way; p99 added < 5 ms at 25,000 pps.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { realClock } from '../src/core/index.js';
import { bindUdp, connectTunnelTls, listenTunnelTls } from '../src/net/index.js';
import { createTunnelClient, createTunnelServer, type TunnelChannel } from '../src/tunnel/index.js';
import { makeTunnelCerts } from '../test/support/tunnel-certs.js';

const SIZE = 172;
const RATE_MS = 3000;
const LATENCY_MS = 4000;
const LATENCY_PPS = 25_000;

type ToHub = { type: 'reset' } | { type: 'report' } | { type: 'quit' };
type FromHub =
  | { type: 'ready'; tlsPort: number; udpCountPort: number; udpEchoPort: number }
  | { type: 'count'; tunnel: Counter; udp: Counter };
interface Counter { received: number; firstMs: number; lastMs: number }

const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function hub(certDir: string): Promise<void> {
  const pem = (n: string): string => readFileSync(`${certDir}/${n}`, 'utf8');
  const fresh = (): Counter => ({ received: 0, firstMs: 0, lastMs: 0 });
  let tunnel = fresh();
  let udp = fresh();
  const count = (c: Counter): void => {
    const now = performance.now();
    if (c.received === 0) c.firstMs = now;
    c.lastMs = now;
    c.received++;
  };
  const server = createTunnelServer({ clock: realClock, identity: 'hub', channelQueue: 4096 });
  server.on('session', (session) => {
    session.on('channel', (channel) => {
      if (channel.label === 'echo') channel.on('datagram', (d) => channel.send(d));
      else channel.on('datagram', () => count(tunnel));
    });
  });
  const listener = await listenTunnelTls({ key: pem('hub.key'), cert: pem('hub.pem'), ca: pem('hub-ca.pem'), host: '127.0.0.1', port: 0, onCarriage: (c) => server.accept(c) });
  const udpCount = await bindUdp({ address: '127.0.0.1', port: 0, receiveBufferSize: 4 << 20 });
  udpCount.onMessage(() => count(udp));
  const udpEcho = await bindUdp({ address: '127.0.0.1', port: 0 });
  udpEcho.onMessage((d, from) => udpEcho.send(d, from.port, from.address));
  process.on('message', (m: ToHub) => {
    if (m.type === 'reset') {
      tunnel = fresh();
      udp = fresh();
    } else if (m.type === 'report') {
      process.send?.({ type: 'count', tunnel, udp } satisfies FromHub);
    } else {
      server.close();
      void Promise.all([listener.close(), udpCount.close(), udpEcho.close()]).then(() => process.exit(0));
    }
  });
  process.send?.({ type: 'ready', tlsPort: listener.port, udpCountPort: udpCount.local.port, udpEchoPort: udpEcho.local.port } satisfies FromHub);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

async function agent(): Promise<void> {
  const certs = makeTunnelCerts();
  const child = fork(fileURLToPath(import.meta.url), ['--hub', certs.dir]);
  const replies: FromHub[] = [];
  let wake: (() => void) | undefined;
  child.on('message', (m: FromHub) => {
    replies.push(m);
    wake?.();
  });
  const next = async (type: FromHub['type']): Promise<FromHub> => {
    for (;;) {
      const i = replies.findIndex((r) => r.type === type);
      if (i >= 0) return replies.splice(i, 1)[0] as FromHub;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  const ask = async (): Promise<{ tunnel: Counter; udp: Counter }> => {
    child.send({ type: 'report' } satisfies ToHub);
    const r = await next('count');
    if (r.type !== 'count') throw new Error('unexpected reply');
    return r;
  };
  const ready = await next('ready');
  if (ready.type !== 'ready') throw new Error('unexpected reply');

  const client = createTunnelClient({
    clock: realClock, identity: 'agent-1', channelQueue: 4096,
    connect: () => connectTunnelTls({ key: certs.agent.key, cert: certs.agent.cert, ca: certs.ca, host: '127.0.0.1', port: ready.tlsPort }),
  });
  const opened = new Promise<void>((resolve) => client.once('open', () => resolve()));
  client.start();
  await opened;
  const payload = Buffer.alloc(SIZE, 0x55);
  payload[0] = 0x80;

  const udp = await bindUdp({ address: '127.0.0.1', port: 0, sendBufferSize: 4 << 20 });
  // 1. Round trip at 25,000 packets/s, paced by a 1 ms timer (bursts of about 25 packets, as a
  // media relay sees them), each packet stamped with its send time.
  const paced = async (send: (d: Buffer) => void, ms: number): Promise<number> => {
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < ms) {
      const due = Math.floor(((performance.now() - start) * LATENCY_PPS) / 1000);
      for (; n < due; n++) {
        const d = Buffer.alloc(SIZE);
        d[0] = 0x80;
        d.writeDoubleBE(performance.now(), 8);
        send(d);
      }
      await sleep(1);
    }
    await sleep(300);
    return n;
  };
  const tunnelRtt: number[] = [];
  const echo = client.openChannel('echo');
  echo.on('datagram', (d) => tunnelRtt.push(performance.now() - d.readDoubleBE(8)));
  await sleep(100);
  // A warm-up second (JIT, TLS buffers) that is not measured.
  await paced((d) => echo.send(d), 1000);
  tunnelRtt.length = 0;
  const tunnelSent = await paced((d) => echo.send(d), LATENCY_MS);
  const udpRtt: number[] = [];
  udp.onMessage((d) => udpRtt.push(performance.now() - d.readDoubleBE(8)));
  await paced((d) => udp.send(d, ready.udpEchoPort, '127.0.0.1'), 1000);
  udpRtt.length = 0;
  const udpSentPaced = await paced((d) => udp.send(d, ready.udpEchoPort, '127.0.0.1'), LATENCY_MS);

  // 2. Maximum one-way rate through the tunnel: keep the channel queue fed, never overflowing it.
  const sink: TunnelChannel = client.openChannel('count');
  await sleep(100);
  child.send({ type: 'reset' } satisfies ToHub);
  let sent = 0;
  const rateEnd = performance.now() + RATE_MS;
  while (performance.now() < rateEnd) {
    while (sink.queued < 3000) {
      sink.send(payload);
      sent++;
    }
    await yieldNow();
  }
  await sleep(500);
  const tunnelRate = (await ask()).tunnel;
  const tunnelPps = (tunnelRate.received - 1) / ((tunnelRate.lastMs - tunnelRate.firstMs) / 1000);

  // The same with plain UDP: as fast as the socket takes them.
  child.send({ type: 'reset' } satisfies ToHub);
  let udpSent = 0;
  const udpEnd = performance.now() + RATE_MS;
  while (performance.now() < udpEnd) {
    for (let i = 0; i < 200; i++) udp.send(payload, ready.udpCountPort, '127.0.0.1');
    udpSent += 200;
    await yieldNow();
  }
  await sleep(500);
  const udpRate = (await ask()).udp;
  const udpPps = (udpRate.received - 1) / ((udpRate.lastMs - udpRate.firstMs) / 1000);

  const stats = client.stats();
  client.close();
  await udp.close();
  child.send({ type: 'quit' } satisfies ToHub);
  await new Promise((resolve) => child.once('exit', resolve));
  certs.remove();

  tunnelRtt.sort((a, b) => a - b);
  udpRtt.sort((a, b) => a - b);
  const f = (x: number): string => x.toFixed(3).padStart(8);
  const k = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(10);
  console.log(`tunnel benchmark: ${SIZE}-byte datagrams, agent and hub in two processes on loopback, TLS 1.3`);
  console.log('');
  console.log('maximum one-way rate (datagrams/s)');
  console.log(`  tunnel (TLS 1.3)  ${k(tunnelPps)}   sent ${sent.toLocaleString('en-US')}, received ${tunnelRate.received.toLocaleString('en-US')}, dropped ${stats.datagrams.dropped}`);
  console.log(`  plain UDP         ${k(udpPps)}   sent ${udpSent.toLocaleString('en-US')}, received ${udpRate.received.toLocaleString('en-US')}`);
  console.log('');
  console.log(`round trip agent → hub → agent at ${LATENCY_PPS.toLocaleString('en-US')} packets/s for ${LATENCY_MS / 1000} s (ms)`);
  console.log(`                         p50      p90      p99    p99.9      max   received`);
  console.log(`  tunnel (TLS 1.3)  ${[50, 90, 99, 99.9, 100].map((p) => f(percentile(tunnelRtt, p))).join(' ')} ${k(tunnelRtt.length)} / ${tunnelSent}`);
  console.log(`  plain UDP         ${[50, 90, 99, 99.9, 100].map((p) => f(percentile(udpRtt, p))).join(' ')} ${k(udpRtt.length)} / ${udpSentPaced}`);
  console.log(`  added by tunnel   ${f(percentile(tunnelRtt, 50) - percentile(udpRtt, 50))} ${f(percentile(tunnelRtt, 90) - percentile(udpRtt, 90))} ${f(percentile(tunnelRtt, 99) - percentile(udpRtt, 99))}`);
  console.log('');
  const pass = tunnelPps >= 100_000 && percentile(tunnelRtt, 99) - percentile(udpRtt, 99) < 5;
  console.log(`targets: ≥ 100,000 datagrams/s one way, p99 added latency < 5 ms at 25,000 pps: ${pass ? 'met' : 'NOT met'}`);
}

const hubIndex = process.argv.indexOf('--hub');
if (hubIndex >= 0) await hub(String(process.argv[hubIndex + 1]));
else await agent();
