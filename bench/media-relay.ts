/**
 * Media relay benchmark: RTP packets (172 bytes, G.711 20 ms size) pushed as fast as a
 * bounded window allows through one MediaSession (two UdpRelayLegs) on 127.0.0.1, next to a
 * plain UDP forwarder (one receive + one send per packet, the same work at the socket level)
 * in the same run. Each runs in its own child process, so its CPU time per packet comes from
 * that process's own counters (process.cpuUsage), not from the load generator's.
 *
 *   npm run bench:media            (PACKETS=200000 WINDOW=64 ROUNDS=2 to change the load)
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { realClock } from '../src/core/index.js';
import { MediaSession, PortPool, openUdpRelayLeg } from '../src/media/index.js';
import { bindUdp, type DatagramSocket } from '../src/net/index.js';

type Mode = 'udp-forward' | 'media-session';

interface Ready {
  readonly type: 'ready';
  readonly port: number;
}
interface Report {
  readonly type: 'report';
  readonly cpuMicros: number;
  readonly handled: number;
  readonly relayedAtoB: number | undefined;
}

const PACKETS = Number(process.env.PACKETS ?? 200_000);
const WINDOW = Number(process.env.WINDOW ?? 64);
const SIZE = 172;
const BUFFERS = { receiveBufferSize: 4 << 20, sendBufferSize: 4 << 20 };

/** The process under test: forwards what arrives from the generator to the sink. */
async function child(mode: Mode): Promise<void> {
  const send = (m: Ready | Report): void => {
    process.send?.(m);
  };
  const [sourcePort, sinkPort] = await new Promise<[number, number]>((resolve) => process.once('message', (m) => resolve(m as [number, number])));
  let handled = 0;
  let cpuStart = process.cpuUsage();
  let stats: (() => number) | undefined;
  let close: () => Promise<void>;
  if (mode === 'udp-forward') {
    const socket = await bindUdp({ address: '127.0.0.1', port: 0, ...BUFFERS });
    socket.onMessage((data) => {
      handled++;
      socket.send(data, sinkPort, '127.0.0.1');
    });
    send({ type: 'ready', port: socket.local.port });
    close = () => socket.close();
  } else {
    const pool = new PortPool({ min: 19300, max: 19399 });
    const bind = (port: number): Promise<DatagramSocket> => bindUdp({ address: '127.0.0.1', port, ...BUFFERS });
    const a = await openUdpRelayLeg(pool, bind, { clock: realClock, remote: { address: '127.0.0.1', port: sourcePort } });
    const b = await openUdpRelayLeg(pool, bind, { clock: realClock, remote: { address: '127.0.0.1', port: sinkPort } });
    const session = new MediaSession({ clock: realClock, a, b });
    session.start();
    stats = () => session.stats()['a-to-b'].packets;
    send({ type: 'ready', port: a.local.rtp.port });
    close = async () => {
      session.close();
      await Promise.all([a.closed(), b.closed()]);
    };
  }
  let relayedBefore = 0;
  process.on('message', (m) => {
    if (m === 'start') {
      handled = 0;
      relayedBefore = stats?.() ?? 0;
      cpuStart = process.cpuUsage();
    } else if (m === 'stop') {
      const cpu = process.cpuUsage(cpuStart);
      const relayedAtoB = stats === undefined ? undefined : stats() - relayedBefore;
      send({ type: 'report', cpuMicros: cpu.user + cpu.system, handled: relayedAtoB ?? handled, relayedAtoB });
      void close().then(() => process.exit(0));
    }
  });
}

interface Result {
  readonly mode: Mode;
  readonly sent: number;
  readonly received: number;
  readonly seconds: number;
  readonly childCpuMicros: number;
  readonly handled: number;
}

function rtp(seq: number): Buffer {
  const b = Buffer.alloc(SIZE, 0xd5);
  b[0] = 0x80;
  b[1] = 8;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE((seq * 160) >>> 0, 4);
  b.writeUInt32BE(0x5eed, 8);
  return b;
}

/** Drives one child: PACKETS packets with at most WINDOW in flight; a window lost for 100 ms is written off. */
async function run(mode: Mode): Promise<Result> {
  const source = await bindUdp({ address: '127.0.0.1', port: 0, ...BUFFERS });
  const sink = await bindUdp({ address: '127.0.0.1', port: 0, ...BUFFERS });
  const proc = fork(fileURLToPath(import.meta.url), ['child', mode], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages: Array<Ready | Report> = [];
  let wake: (() => void) | undefined;
  proc.on('message', (m) => {
    messages.push(m as Ready | Report);
    wake?.();
  });
  const next = async <T extends Ready | Report>(type: T['type']): Promise<T> => {
    for (;;) {
      const i = messages.findIndex((m) => m.type === type);
      if (i >= 0) return messages.splice(i, 1)[0] as T;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  proc.send([source.local.port, sink.local.port]);
  const { port } = await next<Ready>('ready');

  let received = 0;
  let written = 0; // packets given up for lost
  let sent = 0;
  let pump: (() => void) | undefined;
  sink.onMessage(() => {
    received++;
    pump?.();
  });
  const packets = Array.from({ length: 256 }, (_, i) => rtp(i));
  // Warm-up so the relay has latched and the JIT has settled.
  for (let i = 0; i < 2000; i++) source.send(rtp(i), port, '127.0.0.1');
  await new Promise((resolve) => setTimeout(resolve, 300));
  received = 0;
  proc.send('start');
  const started = performance.now();
  await new Promise<void>((done) => {
    let lastProgress = performance.now();
    pump = () => {
      lastProgress = performance.now();
      while (sent < PACKETS && sent - received - written < WINDOW) {
        source.send(packets[sent % 256] ?? rtp(sent), port, '127.0.0.1');
        sent++;
      }
      if (received + written >= PACKETS) {
        clearInterval(watchdog);
        done();
      }
    };
    const watchdog = setInterval(() => {
      if (performance.now() - lastProgress > 100) {
        written = sent - received;
        pump?.();
      }
    }, 50);
    pump();
  });
  const seconds = (performance.now() - started) / 1000;
  proc.send('stop');
  const report = await next<Report>('report');
  await Promise.all([source.close(), sink.close()]);
  await new Promise((resolve) => proc.once('exit', resolve));
  return { mode, sent, received, seconds, childCpuMicros: report.cpuMicros, handled: report.handled };
}

const ROUNDS = Number(process.env.ROUNDS ?? 2);

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

async function main(): Promise<void> {
  // Alternating rounds, so a burst of load from elsewhere on the machine hits both modes alike.
  const results: Result[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of ['udp-forward', 'media-session'] as const) results.push(await run(mode));
  }
  console.log(`media relay benchmark: ${PACKETS} RTP packets of ${SIZE} bytes per run, window ${WINDOW}, ${ROUNDS} rounds, 127.0.0.1, node ${process.version}`);
  console.log('mode            packets/s   lost   CPU µs/packet (forwarding process)');
  const rate = (r: Result): number => r.received / r.seconds;
  const cpu = (r: Result): number => r.childCpuMicros / Math.max(1, r.handled);
  for (const r of results) {
    console.log(`${r.mode.padEnd(15)} ${rate(r).toFixed(0).padStart(9)}   ${String(r.sent - r.received).padStart(4)}   ${cpu(r).toFixed(2)}`);
  }
  const udp = results.filter((r) => r.mode === 'udp-forward');
  const relay = results.filter((r) => r.mode === 'media-session');
  console.log(
    `mean: plain UDP ${mean(udp.map(rate)).toFixed(0)} packets/s at ${mean(udp.map(cpu)).toFixed(2)} µs; ` +
      `MediaSession ${mean(relay.map(rate)).toFixed(0)} packets/s at ${mean(relay.map(cpu)).toFixed(2)} µs ` +
      `(${(mean(relay.map(cpu)) / mean(udp.map(cpu))).toFixed(2)}× the CPU per packet)`,
  );
}

if (process.argv[2] === 'child') {
  void child(process.argv[3] === 'media-session' ? 'media-session' : 'udp-forward');
} else {
  await main();
}
