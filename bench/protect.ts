/**
 * npm run bench:protect — what the protection costs per SIP datagram, measured in-process on the
 * real clock: a phone's REGISTER passing the guard (allow-list miss, two rate buckets, the scanner
 * look at its User-Agent), a blocked flooder's datagram dropped (what a flood costs once blocked),
 * and, for scale, parseMessage on the same REGISTER (what the guard spares for every dropped one).
 */
import { ProtectionGuard, ProtectionPolicy, DEFAULT_PROTECTION } from '../src/protect/index.js';
import { realClock } from '../src/core/index.js';
import { parseMessage } from '../src/sip/index.js';

const REGISTER = Buffer.from([
  'REGISTER sip:pbx.example SIP/2.0',
  'Via: SIP/2.0/UDP 10.0.0.10:5060;branch=z9hG4bK776asdhds;rport',
  'Max-Forwards: 70',
  'From: <sip:1001@pbx.example>;tag=1928301774',
  'To: <sip:1001@pbx.example>',
  'Call-ID: a84b4c76e66710@10.0.0.10',
  'CSeq: 314159 REGISTER',
  'Contact: <sip:1001@10.0.0.10:5060>',
  'Expires: 300',
  'User-Agent: Yealink SIP-T46S 66.86.0.15',
  'Content-Length: 0',
  '',
  '',
].join('\r\n'));

function measure(name: string, n: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(n, 10_000); i++) fn(i);
  const started = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  const ns = ((performance.now() - started) * 1e6) / n;
  process.stdout.write(`${name.padEnd(58)} ${ns.toFixed(0).padStart(6)} ns/datagram\n`);
  return ns;
}

const guard = new ProtectionGuard(new ProtectionPolicy(DEFAULT_PROTECTION, realClock));
const N = 1_000_000;
// 5,000 phones: even at the loop's speed each stays below the first rate level.
const phones = Array.from({ length: 5000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
measure('phone REGISTER through the guard (5,000 sources)', N, (i) => guard.dropDatagram(REGISTER, phones[i % phones.length] ?? ''));
if (guard.counters().blocksAdded !== 0) throw new Error('a phone was blocked: the figure above is not the pass path');
guard.policy.block('192.0.2.66', 'rate-2', 3_600_000);
measure('datagram from a blocked source, dropped', N, () => guard.dropDatagram(REGISTER, '192.0.2.66'));
measure('for scale: parseMessage of the same REGISTER', N / 5, () => parseMessage(REGISTER));
process.stdout.write(`dropped: ${JSON.stringify(guard.counters().dropped)}\n`);
