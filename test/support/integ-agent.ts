/**
 * A test agent process: the enrolled identity in --state-dir brought up with src/agent-tunnel.ts
 * (TLS first, WSS fallback), plus the traffic the tests ask for on stdin. The hub peer
 * (integ-hub.ts) echoes everything, so this side checks what comes back: every stream message
 * intact and in order, every datagram intact and not duplicated.
 *
 *   node integ-agent.js --state-dir DIR [--hub-tls HOST:PORT]
 *   stdin: {"cmd":"streams","count":50,"messages":1000,"size":800}
 *          {"cmd":"channels","count":4,"packets":250,"intervalMs":2}
 *          {"cmd":"quit"}
 */
import { createInterface } from 'node:readline';
import { createLogger } from '../../src/core/index.js';
import { AgentTunnel } from '../../src/agent-tunnel.js';
import type { TunnelStream } from '../../src/tunnel/index.js';

const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const at = argv.indexOf(`--${name}`);
  return at < 0 ? undefined : argv[at + 1];
};

function say(event: string, data: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, ...data })}\n`);
}

/** A SIP-sized MESSAGE request; the CSeq numbers the stream's messages. */
export function sipSized(stream: number, seq: number, size: number): Buffer {
  const head = `MESSAGE sip:s${stream}@hub.invalid SIP/2.0\r\nVia: SIP/2.0/TLS 192.0.2.1;branch=z9hG4bK${stream}x${seq}\r\nCSeq: ${seq} MESSAGE\r\nContent-Type: text/plain\r\n`;
  const bodyLength = Math.max(0, size - head.length - 25);
  const body = String.fromCharCode(97 + ((stream + seq) % 26)).repeat(bodyLength);
  return Buffer.from(`${head}Content-Length: ${String(bodyLength).padStart(5, '0')}\r\n\r\n${body}`);
}

/** A 172-byte RTP-sized packet (G.711, 20 ms): sequence number in bytes 2-3, a 32-bit counter in 8-11. */
export function rtpSized(channel: number, counter: number): Buffer {
  const b = Buffer.alloc(172, (channel * 31 + counter) % 256);
  b[0] = 0x80;
  b[1] = 8;
  b.writeUInt16BE(counter & 0xffff, 2);
  b.writeUInt32BE(counter * 160, 4);
  b.writeUInt32BE(counter, 8);
  return b;
}

const stateDir = arg('state-dir');
if (stateDir === undefined) throw new Error('integ-agent needs --state-dir');
const tlsOverride = arg('hub-tls');
const [tlsHost, tlsPort] = tlsOverride === undefined ? [] : [tlsOverride.slice(0, tlsOverride.lastIndexOf(':')), Number(tlsOverride.slice(tlsOverride.lastIndexOf(':') + 1))];
const tunnel = await AgentTunnel.open({
  stateDir,
  logger: createLogger({ level: 'warn' }),
  connectTimeoutMs: 5000,
  ...(tlsHost === undefined || tlsPort === undefined ? {} : { hub: { tls: { host: tlsHost, port: tlsPort } } }),
});
tunnel.client.on('open', (e) => say('open', { resumed: e.resumed, carriage: tunnel.client.stats().peer?.carriage }));
void tunnel.outcome.then((o) => say('outcome', { ...o }));
await tunnel.start();

function streams(count: number, messages: number, size: number): void {
  const started = Date.now();
  const got: number[] = new Array<number>(count).fill(0);
  const errors: string[] = [];
  let done = 0;
  const check = (index: number, stream: TunnelStream): void => {
    stream.on('data', (d) => {
      const seq = got[index] ?? 0;
      if (!d.equals(sipSized(index, seq, size)) && errors.length < 10) errors.push(`stream ${index}: echo ${seq} differs (out of order, lost or corrupted)`);
      got[index] = seq + 1;
      if (seq + 1 === messages && ++done === count) say('streams-done', { perStream: got, errors, ms: Date.now() - started });
    });
  };
  const opened: TunnelStream[] = [];
  for (let i = 0; i < count; i++) {
    const s = tunnel.client.openStream();
    check(i, s);
    opened.push(s);
  }
  for (let m = 0; m < messages; m++) opened.forEach((s, i) => s.write(sipSized(i, m, size)));
  say('streams-sent', { count, messages });
}

function channels(count: number, packets: number, intervalMs: number): void {
  const results = Array.from({ length: count }, () => ({ sent: 0, received: 0, corrupted: 0, duplicates: 0, seen: new Set<number>() }));
  const opened = results.map((r, i) => {
    const c = tunnel.client.openChannel(`media-${i}`);
    c.on('datagram', (d) => {
      const counter = d.length === 172 ? d.readUInt32BE(8) : -1;
      if (counter < 0 || !d.equals(rtpSized(i, counter))) r.corrupted++;
      else if (r.seen.has(counter)) r.duplicates++;
      else r.received++;
      r.seen.add(counter);
    });
    return c;
  });
  let counter = 0;
  const timer = setInterval(() => {
    opened.forEach((c, i) => {
      c.send(rtpSized(i, counter));
      const r = results[i];
      if (r !== undefined) r.sent++;
    });
    if (++counter < packets) return;
    clearInterval(timer);
    // The echoes of the last packets are a round trip behind.
    setTimeout(() => say('channels-done', { channels: results.map(({ seen: _seen, ...r }) => r) }), 500);
  }, intervalMs);
}

const rl = createInterface({ input: process.stdin });
const quit = (): void => {
  void tunnel.close().then(() => process.exit(0));
};
rl.on('line', (line) => {
  if (line.trim() === '') return;
  const cmd = JSON.parse(line) as Record<string, number | string>;
  if (cmd['cmd'] === 'streams') streams(Number(cmd['count']), Number(cmd['messages']), Number(cmd['size'] ?? 800));
  else if (cmd['cmd'] === 'channels') channels(Number(cmd['count']), Number(cmd['packets']), Number(cmd['intervalMs'] ?? 2));
  else if (cmd['cmd'] === 'quit') quit();
});
rl.on('close', quit);
process.once('SIGTERM', quit);
