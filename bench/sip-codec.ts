/**
 * SIP codec throughput on one core: parses/s and serializes/s for a typical INVITE with SDP and
 * a REGISTER, measured over a fixed number of iterations after a warm-up. Run: npm run bench:sip
 * (target: at least 150,000 INVITE parses per second).
 */
import { parseMessage, serializeMessage, type SipMessage } from '../src/sip/index.js';

const SDP = [
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 192.0.2.101',
  's=-',
  'c=IN IP4 192.0.2.101',
  't=0 0',
  'm=audio 49170 RTP/AVP 0 8 9 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
  '',
].join('\r\n');

const INVITE = Buffer.from(
  [
    'INVITE sip:bob@biloxi.example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK776asdhds;rport',
    'Max-Forwards: 70',
    'To: Bob <sip:bob@biloxi.example.com>',
    'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
    'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
    'CSeq: 314159 INVITE',
    'Contact: <sip:alice@192.0.2.101:5060;transport=udp>',
    'Record-Route: <sip:proxy.atlanta.example.com;lr>',
    'Allow-Events: talk, hold, conference',
    'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY',
    'Supported: replaces, timer',
    'User-Agent: Yealink SIP-T46U 108.86.0.20',
    'Session-Expires: 1800',
    'Min-SE: 90',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(SDP)}`,
    '',
    SDP,
  ].join('\r\n'),
);

const REGISTER = Buffer.from(
  [
    'REGISTER sip:registrar.biloxi.example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKnashds7;rport',
    'Max-Forwards: 70',
    'To: Bob <sip:bob@biloxi.example.com>',
    'From: Bob <sip:bob@biloxi.example.com>;tag=456248',
    'Call-ID: 843817637684230@998sdasdh09',
    'CSeq: 1826 REGISTER',
    'Contact: <sip:bob@192.0.2.4:5060;transport=udp>;expires=3600;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1',
    'Authorization: Digest username="bob", realm="biloxi.example.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:registrar.biloxi.example.com", response="245f23415f11432b3434341c022", algorithm=MD5, qop=auth, nc=00000001, cnonce="0a4f113b"',
    'Supported: outbound, path',
    'User-Agent: Yealink SIP-T46U 108.86.0.20',
    'Expires: 3600',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n'),
);

const WARMUP = 50_000;
const ITERATIONS = 500_000;

function rate(label: string, fn: () => unknown): number {
  for (let i = 0; i < WARMUP; i++) fn();
  const start = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < ITERATIONS; i++) if (fn() !== undefined) sink++;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const perSecond = Math.round(ITERATIONS / seconds);
  process.stdout.write(`${label.padEnd(34)} ${perSecond.toLocaleString('en-US').padStart(12)} /s  (${ITERATIONS} in ${seconds.toFixed(2)} s${sink === ITERATIONS ? '' : ', sink'})\n`);
  return perSecond;
}

process.stdout.write(`SIP codec, one core, Node ${process.version}; INVITE ${INVITE.length} bytes, REGISTER ${REGISTER.length} bytes\n`);
const invite: SipMessage = parseMessage(INVITE);
const register: SipMessage = parseMessage(REGISTER);
const inviteParses = rate('parse INVITE with SDP', () => parseMessage(INVITE));
rate('serialize INVITE with SDP', () => serializeMessage(invite));
rate('parse REGISTER', () => parseMessage(REGISTER));
rate('serialize REGISTER', () => serializeMessage(register));
const TARGET = 150_000;
process.stdout.write(`INVITE parse target ${TARGET.toLocaleString('en-US')}/s: ${inviteParses >= TARGET ? 'met' : 'NOT met'}\n`);
