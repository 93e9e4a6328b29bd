/**
 * A flooder, run inside a test namespace: `rate` datagrams a second for `seconds` at one SIP port,
 * a mix of random garbage, OPTIONS scans (half of them with sipvicious' User-Agent) and INVITEs
 * (From the PBX's domain, so the PBX challenges the few that get through), sent in batches every
 * 10 ms. Prints one JSON line: how many were sent and how many answers came back.
 *
 * MIX `garbage` sends random bytes only (no scanner to recognise: only the packet rate blocks it).
 *
 * node packet-flood.js TARGET_HOST TARGET_PORT LOCAL_ADDRESS RATE SECONDS DOMAIN [mixed|garbage]
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';

const [host = '', portText = '', local = '', rateText = '', secondsText = '', domain = '', mix = 'mixed'] = process.argv.slice(2);
const port = Number(portText);
const rate = Number(rateText);
const seconds = Number(secondsText);
const socket = createSocket('udp4');
let answers = 0;
socket.on('message', () => answers++);

function request(method: 'OPTIONS' | 'INVITE', i: number, scanner: boolean): Buffer {
  const localPort = socket.address().port;
  return Buffer.from([
    `${method} sip:${100 + (i % 900)}@${host} SIP/2.0`,
    `Via: SIP/2.0/UDP ${local}:${localPort};branch=z9hG4bK${i.toString(36)}x${randomBytes(3).toString('hex')};rport`,
    'Max-Forwards: 70',
    `From: <sip:${100 + (i % 900)}@${domain}>;tag=${i.toString(36)}`,
    `To: <sip:${100 + (i % 900)}@${domain}>`,
    `Call-ID: flood-${i}-${localPort}`,
    `CSeq: 1 ${method}`,
    `Contact: <sip:scan@${local}:${localPort}>`,
    `User-Agent: ${scanner ? 'friendly-scanner' : 'pbx-audit'}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n'));
}

function packet(i: number): Buffer {
  if (mix === 'garbage') return randomBytes(40 + (i % 400));
  switch (i % 4) {
    case 0:
      return randomBytes(40 + (i % 400));
    case 1:
      return request('OPTIONS', i, true);
    case 2:
      return request('OPTIONS', i, false);
    default:
      return request('INVITE', i, false);
  }
}

socket.bind(0, local, () => {
  const perTick = Math.round(rate / 100);
  const total = rate * seconds;
  let sent = 0;
  const started = performance.now();
  const tick = (): void => {
    // Catch up with the schedule, so the rate holds even when a tick runs late.
    const due = Math.min(total, Math.round(((performance.now() - started) / 1000) * rate) + perTick);
    while (sent < due) socket.send(packet(sent++), port, host);
    if (sent < total) {
      setTimeout(tick, 10);
      return;
    }
    setTimeout(() => {
      process.stdout.write(`${JSON.stringify({ sent, answers, seconds: (performance.now() - started) / 1000 })}\n`);
      socket.close();
    }, 500);
  };
  tick();
});
