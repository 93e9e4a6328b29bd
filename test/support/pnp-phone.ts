/**
 * A scripted PnP phone for the end-to-end tests, run as its own process (often inside a
 * network namespace: `ip netns exec NS node pnp-phone.js '<json>'`). It sends SUBSCRIBEs to
 * the multicast group out of a chosen interface, records every datagram it receives with the
 * time since its (first) send, optionally answers the NOTIFY with 200, and prints one JSON line.
 * With `count` > 1 and `spreadMs` it is a flood source instead: it sends `count` datagrams
 * spread evenly over `spreadMs`.
 */
import { createSocket } from 'node:dgram';
import { get } from 'node:http';

export interface PhoneScript {
  readonly bind: string;
  readonly iface: string;
  readonly group: string;
  readonly groupPort: number;
  /** SUBSCRIBE header lines; {ip} and {port} become the phone's own address and port. */
  readonly lines: readonly string[];
  readonly startDelayMs?: number;
  readonly count?: number;
  readonly spreadMs?: number;
  readonly answerNotify?: boolean;
  /** After the NOTIFY, GET each of these relative to the URL in its body, as a phone does. */
  readonly fetch?: readonly string[];
  readonly listenMs: number;
}

export interface PhoneReport {
  readonly sent: number;
  readonly firstSendWall: number;
  readonly lastSendWall: number;
  readonly received: ReadonlyArray<{ readonly ms: number; readonly from: string; readonly text: string }>;
  readonly fetched: ReadonlyArray<{ readonly url: string; readonly status: number; readonly body: string }>;
}

/** The phone's 200 to a NOTIFY (RFC 3261 §8.2.6: Via, From, To, Call-ID, CSeq copied). */
export function okFor(request: string): string {
  const keep = request.split('\r\n').filter((l) => /^(Via|v|From|f|To|t|Call-ID|i|CSeq):/i.test(l));
  return `SIP/2.0 200 OK\r\n${keep.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`;
}

function httpGet(url: string): Promise<{ url: string; status: number; body: string }> {
  return new Promise((resolve) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ url, status: res.statusCode ?? 0, body }));
    }).on('error', (e) => resolve({ url, status: 0, body: e.message }));
  });
}

async function main(script: PhoneScript): Promise<void> {
  const socket = createSocket({ type: 'udp4' });
  await new Promise<void>((resolve) => socket.bind(0, script.bind, resolve));
  socket.setMulticastInterface(script.iface);
  socket.setMulticastTTL(1);
  socket.setMulticastLoopback(true);
  const port = socket.address().port;
  const datagram = Buffer.from(`${script.lines.join('\r\n').replaceAll('{ip}', script.bind).replaceAll('{port}', String(port))}\r\n\r\n`);
  const received: Array<{ ms: number; from: string; text: string }> = [];
  const fetches: Array<Promise<{ url: string; status: number; body: string }>> = [];
  let t0 = 0;
  socket.on('message', (data, rinfo) => {
    const text = data.toString('latin1');
    received.push({ ms: performance.now() - t0, from: `${rinfo.address}:${rinfo.port}`, text });
    if (script.answerNotify === true && text.startsWith('NOTIFY ')) socket.send(okFor(text), rinfo.port, rinfo.address);
    if (text.startsWith('NOTIFY ') && fetches.length === 0) {
      const base = text.slice(text.indexOf('\r\n\r\n') + 4);
      for (const path of script.fetch ?? []) fetches.push(httpGet(`${base}${path}`));
    }
  });
  await new Promise((resolve) => setTimeout(resolve, script.startDelayMs ?? 0));
  const count = script.count ?? 1;
  const batches = Math.max(1, Math.ceil((script.spreadMs ?? 0) / 5));
  const perBatch = Math.ceil(count / batches);
  let sent = 0;
  const firstSendWall = Date.now();
  t0 = performance.now();
  while (sent < count) {
    for (let i = 0; i < perBatch && sent < count; i++, sent++) socket.send(datagram, script.groupPort, script.group);
    if (sent < count) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const lastSendWall = Date.now();
  await new Promise((resolve) => setTimeout(resolve, script.listenMs));
  socket.close();
  const report: PhoneReport = { sent, firstSendWall, lastSendWall, received, fetched: await Promise.all(fetches) };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

if (process.argv[1]?.endsWith('pnp-phone.js') === true && process.argv[2] !== undefined) {
  await main(JSON.parse(process.argv[2]) as PhoneScript);
}
