/**
 * A SIP ALG for the doctor tests, run as its own process inside a router namespace: nftables
 * redirects the branch's UDP to the hub's port 5060 here (`redirect to :PORT`), and this relay
 * forwards each datagram to the hub from the router's public address, one upstream socket per
 * branch source, as a NAT does, rewriting on the way what a consumer router's "SIP ALG" rewrites:
 * the branch's private address and port in the Via and Contact header lines become the public
 * ones, and back in the answers. Bodies are left alone.
 *
 *   node sip-alg-relay.js --listen 0.0.0.0:15060 --upstream 10.216.3.2:5060 --public 10.216.3.1
 *
 * Prints `ready` on stdout once bound; stops on SIGTERM.
 */
import { createSocket, type Socket } from 'node:dgram';

function hostPort(value: string | undefined): { host: string; port: number } {
  const m = /^(.+):(\d+)$/.exec(value ?? '');
  if (m === null) throw new Error(`HOST:PORT expected, not ${String(value)}`);
  return { host: m[1] ?? '', port: Number(m[2]) };
}

const HEADER = /^(Via|v|Contact|m)\s*:/i;

/** Replaces `from` by `to` in the Via and Contact lines of a SIP message's header section. */
export function rewriteViaContact(message: Buffer, from: string, to: string): Buffer {
  const text = message.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const rest = end < 0 ? '' : text.slice(end);
  const lines = head.split('\r\n').map((line) => (HEADER.test(line) ? line.split(from).join(to) : line));
  return Buffer.from(lines.join('\r\n') + rest, 'latin1');
}

function main(): void {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => args[args.indexOf(`--${name}`) + 1];
  const listen = hostPort(opt('listen'));
  const upstream = hostPort(opt('upstream'));
  const publicAddress = opt('public') ?? '';
  const front = createSocket('udp4');
  const flows = new Map<string, Socket>();
  front.on('message', (data, client) => {
    const key = `${client.address}:${client.port}`;
    let back = flows.get(key);
    const forward = (s: Socket): void => {
      const outside = `${publicAddress}:${s.address().port}`;
      s.send(rewriteViaContact(data, key, outside), upstream.port, upstream.host);
    };
    if (back !== undefined) {
      forward(back);
      return;
    }
    const s = createSocket('udp4');
    back = s;
    flows.set(key, s);
    s.on('message', (answer) => front.send(rewriteViaContact(answer, `${publicAddress}:${s.address().port}`, key), client.port, client.address));
    s.bind(0, publicAddress, () => forward(s));
  });
  front.bind(listen.port, listen.host, () => process.stdout.write('ready\n'));
  process.once('SIGTERM', () => {
    for (const s of flows.values()) s.close();
    front.close();
  });
}

if (process.argv[1]?.endsWith('sip-alg-relay.js') === true) main();
