/**
 * A tunnel peer process for the end-to-end tests: the hub or the agent side of a real tunnel
 * (src/tunnel over src/net TLS/WSS). Driven by JSON lines on stdin; reports JSON lines on stdout.
 *
 *   node tunnel-peer.js hub   --certs DIR --host H [--tls-port P] [--wss-port P] [timing flags]
 *   node tunnel-peer.js agent --certs DIR --host H --tls-port P --wss-port P --carriage tls|wss|auto [timing flags]
 *   timing flags: --ping-ms N --dead-ms N --max-backoff-ms N --connect-timeout-ms N
 *
 * Stream messages are SIP-sized text with the stream index and a sequence number (CSeq); the hub
 * checks each stream arrives complete, in order, without duplicates. Datagrams are 172-byte
 * RTP-like packets (12-byte header, sequence number in bytes 2-3 and a 32-bit counter in 8-11).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { realClock } from '../../src/core/index.js';
import { listenTunnelTls, listenTunnelWss, tunnelConnector, tunnelWssUrl, type TunnelCarriage } from '../../src/net/index.js';
import { createTunnelClient, createTunnelServer, type TunnelChannel, type TunnelSession, type TunnelStream } from '../../src/tunnel/index.js';

const [role = '', ...rest] = process.argv.slice(2);
const args = new Map<string, string>();
for (let i = 0; i + 1 < rest.length; i += 2) args.set(String(rest[i]).replace(/^--/, ''), String(rest[i + 1]));
const num = (name: string, fallback: number): number => (args.has(name) ? Number(args.get(name)) : fallback);
const certs = args.get('certs') ?? '.';
const host = args.get('host') ?? '127.0.0.1';
const pem = (name: string): string => readFileSync(join(certs, name), 'utf8');
const timing = { pingIntervalMs: num('ping-ms', 1000), deadAfterMs: num('dead-ms', 3000) };

function say(event: string, data: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, t: Date.now(), ...data })}\n`);
}

export function sipMessage(streamIndex: number, seq: number, size: number): Buffer {
  const head = `MESSAGE sip:s${streamIndex}@hub.invalid SIP/2.0\r\nVia: SIP/2.0/TLS 10.0.0.1;branch=z9hG4bK${streamIndex}x${seq}\r\nCSeq: ${seq} MESSAGE\r\nContent-Type: text/plain\r\n`;
  const bodyLength = Math.max(0, size - head.length - 25); // 25: "Content-Length: NNNNN" and the blank line
  const body = String.fromCharCode(97 + ((streamIndex + seq) % 26)).repeat(bodyLength);
  return Buffer.from(`${head}Content-Length: ${String(bodyLength).padStart(5, '0')}\r\n\r\n${body}`);
}

function rtp(seq: number, counter: number): Buffer {
  const b = Buffer.alloc(172, counter % 256);
  b[0] = 0x80;
  b[1] = 8;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(counter * 160, 4);
  b.writeUInt32BE(counter, 8);
  return b;
}

interface StreamCheck { count: number; lastSeq: number; errors: string[] }
interface ChannelCheck { received: number; duplicates: number; maxCounter: number; seen: Set<number> }

function runHub(): void {
  const server = createTunnelServer({ clock: realClock, identity: 'hub', ...timing });
  const streams = new Map<number, StreamCheck>();
  const channels = new Map<string, ChannelCheck>();
  const sessions: TunnelSession[] = [];
  const watch = (session: TunnelSession): void => {
    session.on('open', (e) => say('session-open', { resumed: e.resumed }));
    session.on('disconnected', (e) => say('session-disconnected', { reason: e.reason }));
    session.on('close', (c) => say('session-close', { reason: c.reason }));
    session.on('stream', (s) => checkStream(s));
    session.on('channel', (c) => checkChannel(c));
  };
  const checkStream = (s: TunnelStream): void => {
    s.on('data', (d) => {
      const text = d.toString('latin1');
      const m = /^MESSAGE sip:s(\d+)@[^\r]*\r\n[\s\S]*?CSeq: (\d+) /.exec(text);
      if (m === null) return;
      const index = Number(m[1]);
      const seq = Number(m[2]);
      const check = streams.get(index) ?? { count: 0, lastSeq: -1, errors: [] };
      streams.set(index, check);
      if (seq !== check.lastSeq + 1 && check.errors.length < 10) check.errors.push(`stream ${index}: seq ${seq} after ${check.lastSeq}`);
      if (!sipMessage(index, seq, d.length).equals(d) && check.errors.length < 10) check.errors.push(`stream ${index}: message ${seq} corrupted`);
      check.count++;
      check.lastSeq = seq;
    });
  };
  const checkChannel = (c: TunnelChannel): void => {
    const check: ChannelCheck = { received: 0, duplicates: 0, maxCounter: -1, seen: new Set() };
    channels.set(c.label, check);
    c.on('datagram', (d) => {
      const counter = d.readUInt32BE(8);
      check.received++;
      if (check.seen.has(counter)) check.duplicates++;
      check.seen.add(counter);
      check.maxCounter = Math.max(check.maxCounter, counter);
    });
  };
  server.on('session', (s) => {
    sessions.push(s);
    watch(s);
    say('session', { identity: s.peerIdentity, carriage: s.stats().peer?.carriage });
  });
  server.on('resumed', (s) => say('resumed', { identity: s.peerIdentity, carriage: s.stats().peer?.carriage }));
  server.on('refused', (r) => say('refused', { reason: r.goAway.reason }));
  const credentials = { key: pem('hub.key'), cert: pem('hub.pem'), ca: pem('hub-ca.pem') };
  const accept = (c: TunnelCarriage): void => server.accept(c);
  const onHandshakeError = (error: Error): void => say('tls-refused', { message: error.message });
  void (async () => {
    const tls = await listenTunnelTls({ ...credentials, host, port: num('tls-port', 0), onCarriage: accept, onHandshakeError });
    const wss = await listenTunnelWss({ ...credentials, host, port: num('wss-port', 0), onCarriage: accept, onHandshakeError });
    say('listening', { tlsPort: tls.port, wssPort: wss.port });
    commands((cmd) => {
      if (cmd.cmd === 'report') {
        say('report', {
          streams: Object.fromEntries([...streams].map(([i, c]) => [i, { count: c.count, lastSeq: c.lastSeq, errors: c.errors }])),
          channels: Object.fromEntries([...channels].map(([l, c]) => [l, { received: c.received, duplicates: c.duplicates, maxCounter: c.maxCounter }])),
          sessions: sessions.length,
          stats: sessions[sessions.length - 1]?.stats(),
        });
      } else if (cmd.cmd === 'quit') {
        server.close();
        void Promise.all([tls.close(), wss.close()]).then(() => process.exit(0));
      }
    });
  })();
}

function runAgent(): void {
  const carriage = args.get('carriage') ?? 'auto';
  const agentName = args.get('agent') ?? 'agent-1';
  const credentials = { key: pem(`${agentName}.key`), cert: pem(`${agentName}.pem`), ca: pem('hub-ca.pem') };
  const tlsPort = num('tls-port', 5090);
  const wssPort = num('wss-port', 443);
  const connect = tunnelConnector({
    ...credentials,
    ...(carriage === 'wss' ? {} : { tls: { host, port: tlsPort } }),
    ...(carriage === 'tls' ? {} : { wssUrl: tunnelWssUrl(host, wssPort) }),
    timeoutMs: num('connect-timeout-ms', 5000),
    onFallback: (e) => say('fallback', { message: e.message }),
  });
  const client = createTunnelClient({ clock: realClock, identity: agentName, connect, ...timing, reconnect: { maxDelayMs: num('max-backoff-ms', 30_000) } });
  client.on('open', (e) => say('open', { resumed: e.resumed, carriage: client.stats().peer?.carriage }));
  client.on('disconnected', (e) => say('disconnected', { reason: e.reason, lastReceivedAt: Date.now() - client.stats().silentMs }));
  client.on('reconnecting', (e) => say('reconnecting', { attempt: e.attempt, delayMs: Math.round(e.delayMs), message: e.error?.message }));
  client.on('goaway', (g) => say('goaway', { reason: g.reason, message: g.message }));
  client.on('close', (c) => say('closed', { reason: c.reason }));
  client.on('session', () => say('new-session'));
  const streams: TunnelStream[] = [];
  const sent: number[] = [];
  const channels: TunnelChannel[] = [];
  let datagramsSent = 0;
  const timers: NodeJS.Timeout[] = [];
  commands((cmd) => {
    switch (cmd.cmd) {
      case 'streams': {
        const count = Number(cmd.count), messages = Number(cmd.messages), size = Number(cmd.size ?? 800), intervalMs = Number(cmd.intervalMs ?? 0);
        for (let i = 0; i < count; i++) {
          streams.push(client.openStream());
          sent.push(0);
        }
        const sendRound = (): void => {
          streams.forEach((s, i) => {
            if ((sent[i] ?? 0) >= messages) return;
            s.write(sipMessage(i, sent[i] ?? 0, size));
            sent[i] = (sent[i] ?? 0) + 1;
          });
        };
        if (intervalMs === 0) {
          for (let m = 0; m < messages; m++) sendRound();
          say('sent', { perStream: sent });
        } else {
          timers.push(setInterval(sendRound, intervalMs));
        }
        break;
      }
      case 'channels': {
        const count = Number(cmd.count), packets = Number(cmd.packets), intervalMs = Number(cmd.intervalMs ?? 20);
        for (let i = 0; i < count; i++) channels.push(client.openChannel(`media-${i}`));
        let counter = 0;
        const timer = setInterval(() => {
          for (const c of channels) {
            c.send(rtp(counter, counter));
            datagramsSent++;
          }
          counter++;
          if (counter >= packets) {
            clearInterval(timer);
            say('datagrams-sent', { perChannel: counter });
          }
        }, intervalMs);
        timers.push(timer);
        break;
      }
      case 'stop':
        for (const t of timers) clearInterval(t);
        say('stopped', { perStream: sent, datagramsSent });
        break;
      case 'stats':
        say('stats', { stats: client.stats(), streamsOpen: streams.filter((s) => !s.closed).length, channelsOpen: channels.filter((c) => !c.closed).length });
        break;
      case 'quit':
        for (const t of timers) clearInterval(t);
        client.close();
        setTimeout(() => process.exit(0), 200);
        break;
    }
  });
  client.start();
}

function commands(handle: (cmd: Record<string, unknown>) => void): void {
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    handle(JSON.parse(line) as Record<string, unknown>);
  });
  rl.on('close', () => process.exit(0));
}

if (role === 'hub') runHub();
else if (role === 'agent') runAgent();
else if (role !== '') {
  process.stderr.write('usage: tunnel-peer.js hub|agent --certs DIR ...\n');
  process.exit(2);
}
