/**
 * The agent side with a fake SIP stack and a fake tunnel link: what enters the tunnel carries no
 * LAN address (Via, Contact, SDP), what the phone gets back carries its own Vias and no PBX-side
 * Record-Route, and a refresh inside the upstream half-life is answered by the agent itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { UdpRelayLeg } from '../../../src/media/index.js';
import type { DatagramSocket, SocketAddress } from '../../../src/net/index.js';
import { AgentCallPath, CallMedia, RegistrationCache, type ChannelSource, type SipTunnelLink } from '../../../src/sbc/index.js';
import { buildResponse, getHeader, getHeaders, parseMessage, type RequestHandler, type ServerRequest, type SipMessage, type SipRequest, type SipResponse, type SipStack } from '../../../src/sip/index.js';
import { TunnelChannel } from '../../../src/tunnel/index.js';
import { computeHA1, DigestServer } from '../../../src/sip/auth/index.js';

const socket = (port: number): DatagramSocket => ({
  local: { address: '10.0.0.1', port, family: 'IPv4' } as SocketAddress,
  send: () => {},
  onMessage: () => {},
  onError: () => {},
  close: () => Promise.resolve(),
});

function rig() {
  const clock = new ManualClock(0);
  let handler: RequestHandler = () => {};
  let onPhone: (q: SipRequest) => void = () => {};
  const stack = {
    clock,
    onRequest: (h: RequestHandler) => { handler = h; },
    request: (q: SipRequest) => {
      onPhone(q);
      return Promise.resolve(buildResponse(q, 200));
    },
    sendStateless: () => Promise.resolve(),
    newVia: () => 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKagent;rport',
    hostPort: () => '10.0.0.1:5060',
  } as unknown as SipStack;
  let port = 30000;
  const media = new CallMedia({ clock, edgeAddress: '10.0.0.1', localBridging: true, openLeg: () => Promise.resolve(new UdpRelayLeg({ rtp: socket(port++), rtcp: socket(port++), clock })) });
  const registrations = new RegistrationCache({ clock });
  const path = new AgentCallPath({ clock, stack, media, registrations });
  const sent: SipMessage[] = [];
  let deliver: (m: SipMessage) => void = () => {};
  const host = { channelReady: () => {}, channelClosed: () => {} };
  let nextChannel = 1;
  const channels: ChannelSource = { open: (label) => new TunnelChannel(nextChannel += 2, label, 16, host, () => {}), get: () => undefined };
  const link = { closed: false, channels, send: (m: SipMessage) => { sent.push(m); return true; }, onMessage: (h: (m: SipMessage) => void) => { deliver = h; } } as unknown as SipTunnelLink;
  path.attach(link);
  const responses: SipResponse[] = [];
  const fromPhone = (text: string): void => {
    const request = parseMessage(Buffer.from(text.replace(/\n/g, '\r\n') + (text === INVITE ? SDP : ''))) as SipRequest;
    const incoming: ServerRequest = { request, source: { transport: 'UDP', address: '10.0.0.5', port: 5062 }, respond: (r) => responses.push(r) };
    handler(incoming);
  };
  return { path, clock, sent, responses, fromPhone, fromHub: (m: SipMessage) => deliver(m), onPhoneRequest: (h: (q: SipRequest) => void) => { onPhone = h; } };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

const SDP = 'v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n';
const INVITE = `INVITE sip:1002@pbx.test SIP/2.0
Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKphone;rport=5062;received=10.0.0.5
Route: <sip:10.0.0.1:5060;lr>
Max-Forwards: 70
From: <sip:1001@pbx.test>;tag=a1
To: <sip:1002@pbx.test>
Call-ID: call-1
CSeq: 2 INVITE
Contact: <sip:1001@10.0.0.5:5062>
Content-Type: application/sdp
Content-Length: ${SDP.length}

`;

test('an INVITE from a phone enters the tunnel without any LAN address, and the answer reaches the phone with its own Via', async () => {
  const r = rig();
  r.fromPhone(INVITE);
  await settle();
  assert.equal(r.sent.length, 1);
  const up = r.sent[0] as SipRequest;
  const text = Buffer.concat([Buffer.from(JSON.stringify(up.headers)), up.body]).toString();
  assert.doesNotMatch(text, /10\.0\.0\.5/, 'no phone address on the tunnel');
  assert.deepEqual(getHeaders(up, 'Route'), [], 'the phone\'s Route to the agent stops here');
  assert.equal(getHeader(up, 'Max-Forwards'), '69');
  assert.match(getHeader(up, 'Contact') ?? '', /^<sip:a-[A-Za-z0-9]+@tunnel\.invalid>$/);
  assert.match(up.body.toString(), /a=x-sbc-channel:\d+/);
  const branch = /branch=([^;]+)/.exec(getHeader(up, 'Via') ?? '')?.[1] ?? '';
  const ok = parseMessage(Buffer.from([
    'SIP/2.0 200 OK', `Via: SIP/2.0/TCP tunnel.invalid;branch=${branch}`, 'Record-Route: <sip:203.0.113.9;lr>',
    'From: <sip:1001@pbx.test>;tag=a1', 'To: <sip:1002@pbx.test>;tag=b2', `Call-ID: ${getHeader(up, 'Call-ID') ?? ''}`, 'CSeq: 2 INVITE',
    'Contact: <sip:h-abc@tunnel.invalid>', 'Content-Type: application/sdp', 'Content-Length: 0', '', ''].join('\r\n')));
  r.fromHub(ok);
  await settle();
  const toPhone = r.responses.find((x) => x.status === 200);
  assert.ok(toPhone !== undefined);
  assert.deepEqual(getHeaders(toPhone, 'Via'), ['SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKphone;rport=5062;received=10.0.0.5']);
  assert.deepEqual(getHeaders(toPhone, 'Record-Route'), [], 'the PBX side\'s route set stays behind the hub');
  assert.notEqual(getHeader(up, 'Call-ID'), 'call-1', 'the Call-ID is swapped at the LAN edge');
  assert.equal(getHeader(toPhone, 'Call-ID'), 'call-1', 'the phone gets its own Call-ID back');
  assert.equal(getHeader(toPhone, 'Contact'), '<sip:h-abc@10.0.0.1:5060>');
});

test('a request from the hub reaches the phone with the PBX-side Call-ID sealed; the phone\'s answer goes up with it opened', async () => {
  const r = rig();
  r.fromPhone(INVITE.replace('Call-ID: call-1', 'Call-ID: reg@10.0.0.5').replace('INVITE sip:1002', 'REGISTER sip:pbx.test').replace('CSeq: 2 INVITE', 'CSeq: 1 REGISTER').replace(/Content-Type[^]*$/, 'Content-Length: 0\n\n'));
  await settle();
  const token = /sip:(a-[^@]+)@/.exec(getHeader(r.sent[0] as SipRequest, 'Contact') ?? '')?.[1] ?? '';
  let toPhone: SipRequest | undefined;
  r.onPhoneRequest((q) => { toPhone = q; });
  r.fromHub(parseMessage(Buffer.from(`MESSAGE sip:${token}@tunnel.invalid SIP/2.0\r\nVia: SIP/2.0/TCP tunnel.invalid;branch=z9hG4bKm\r\nFrom: <sip:x@pbx.test>;tag=1\r\nTo: <sip:1001@pbx.test>\r\nCall-ID: m1@203.0.113.9\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n`)));
  await settle();
  assert.ok(toPhone !== undefined, 'the MESSAGE reached the phone');
  assert.doesNotMatch(getHeader(toPhone, 'Call-ID') ?? '', /203\.0\.113\.9/);
  await settle();
  const answer = r.sent.find((m) => m.kind === 'response');
  assert.equal(answer === undefined ? undefined : getHeader(answer, 'Call-ID'), 'm1@203.0.113.9');
});

test('a phone writing IP addresses in From and To: none reaches the tunnel, and the answer gives them back', async () => {
  const r = rig();
  r.fromPhone(INVITE.replace('From: <sip:1001@pbx.test>;tag=a1', 'From: <sip:1001@10.0.0.5:5062>;tag=a1').replace('To: <sip:1002@pbx.test>', 'To: <sip:1002@10.0.0.1>').replace(/Content-Type[^]*$/, 'Content-Length: 0\n\n'));
  await settle();
  const up = r.sent[0] as SipRequest;
  assert.doesNotMatch(JSON.stringify(up.headers), /10\.0\.0\./);
  assert.equal(getHeader(up, 'From'), '<sip:1001@tunnel.invalid>;tag=a1');
  const branch = /branch=([^;]+)/.exec(getHeader(up, 'Via') ?? '')?.[1] ?? '';
  r.fromHub(parseMessage(Buffer.from([
    'SIP/2.0 486 Busy Here', `Via: SIP/2.0/TCP tunnel.invalid;branch=${branch}`, `From: ${getHeader(up, 'From') ?? ''}`, `To: ${getHeader(up, 'To') ?? ''};tag=b2`,
    `Call-ID: ${getHeader(up, 'Call-ID') ?? ''}`, 'CSeq: 2 INVITE', 'Content-Length: 0', '', ''].join('\r\n'))));
  await settle();
  const busy = r.responses.find((x) => x.status === 486);
  assert.equal(busy === undefined ? undefined : getHeader(busy, 'From'), '<sip:1001@10.0.0.5:5062>;tag=a1');
  assert.equal(busy === undefined ? undefined : getHeader(busy, 'To'), '<sip:1002@10.0.0.1>;tag=b2');
});

test('a BLF SUBSCRIBE from a host with no registration is relayed one to one (the PBX judges it)', async () => {
  const r = rig();
  r.fromPhone('SUBSCRIBE sip:1002@pbx.test SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKs1\nMax-Forwards: 70\nFrom: <sip:1001@pbx.test>;tag=w1\nTo: <sip:1002@pbx.test>\nCall-ID: s1\nCSeq: 1 SUBSCRIBE\nContact: <sip:1001@10.0.0.5:5062>\nEvent: dialog\nExpires: 300\nContent-Length: 0\n\n');
  await settle();
  const up = r.sent[0] as SipRequest;
  assert.equal(up.method, 'SUBSCRIBE');
  assert.match(getHeader(up, 'Contact') ?? '', /^<sip:a-(?!sub-)[A-Za-z0-9]+@tunnel\.invalid>$/, 'the phone\'s own contact token: not a shared subscription');
  assert.equal(r.responses.length, 0, 'the agent does not answer it itself');
});

test('a request from the hub for an unknown contact token is answered 404 on the tunnel', async () => {
  const r = rig();
  r.fromHub(parseMessage(Buffer.from('MESSAGE sip:a-unknown@tunnel.invalid SIP/2.0\r\nVia: SIP/2.0/TCP tunnel.invalid;branch=z9hG4bKx\r\nFrom: <sip:x@pbx.test>;tag=1\r\nTo: <sip:1001@pbx.test>\r\nCall-ID: m1\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n')));
  await settle();
  assert.deepEqual(r.sent.map((m) => (m.kind === 'response' ? m.status : 0)), [404]);
});

test('draining: a new call from a phone or from the hub gets 503 with Retry-After; requests inside a call and registrations still pass', async () => {
  const r = rig();
  r.path.drain();
  assert.equal(r.path.draining, true);
  r.fromPhone(INVITE);
  await settle();
  assert.deepEqual(r.responses.map((x) => [x.status, getHeader(x, 'Retry-After')]), [[503, '60']]);
  assert.equal(r.sent.length, 0, 'nothing entered the tunnel');
  r.fromPhone(INVITE.replace('To: <sip:1002@pbx.test>', 'To: <sip:1002@pbx.test>;tag=b2').replace('CSeq: 2 INVITE', 'CSeq: 3 INVITE').replace(/Content-Type[^]*$/, 'Content-Length: 0\n\n'));
  await settle();
  assert.equal(r.sent.length, 1, 'a re-INVITE inside a call goes on');
  r.fromPhone(INVITE.replace('Call-ID: call-1', 'Call-ID: reg-1').replace('INVITE sip:1002', 'REGISTER sip:pbx.test').replace('CSeq: 2 INVITE', 'CSeq: 1 REGISTER').replace(/Content-Type[^]*$/, 'Content-Length: 0\n\n'));
  await settle();
  assert.equal(r.sent.length, 2, 'a REGISTER goes on');
  r.fromHub(parseMessage(Buffer.from('INVITE sip:a-any@tunnel.invalid SIP/2.0\r\nVia: SIP/2.0/TCP tunnel.invalid;branch=z9hG4bKin\r\nFrom: <sip:x@pbx.test>;tag=1\r\nTo: <sip:1001@pbx.test>\r\nCall-ID: in-1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n')));
  await settle();
  const up = r.sent.filter((m) => m.kind === 'response');
  assert.deepEqual(up.map((m) => (m.kind === 'response' ? m.status : 0)), [503], 'an incoming call is refused back up the tunnel');
});

/** A phone's REGISTER with credentials, as failback finds it (the last one relayed for its binding). */
function failbackRegister(): string {
  return INVITE.replace('Call-ID: call-1', 'Call-ID: reg-9').replace('INVITE sip:1002', 'REGISTER sip:pbx.test').replace('CSeq: 2 INVITE', 'CSeq: 7 REGISTER')
    .replace('To: <sip:1002@pbx.test>', 'To: <sip:1001@pbx.test>')
    .replace(/Content-Type[^]*$/, 'Authorization: Digest username="1001", realm="pbx.test", nonce="n1", uri="sip:pbx.test", response="00"\nExpires: 600\nContent-Length: 0\n\n');
}

test('failback: the last REGISTER goes up again as a new registration with the phone\'s credentials; its answer refreshes the binding and reaches no phone', async () => {
  const r = rig();
  r.fromPhone(failbackRegister());
  await settle();
  const first = r.sent[0] as SipRequest;
  const token = r.path.phones()[0]?.token ?? '';
  const granted = (q: SipRequest): SipResponse => ({ ...buildResponse(q, 200), headers: [...buildResponse(q, 200).headers, { name: 'Contact', value: `<sip:${token}@tunnel.invalid>;expires=1800` }] });
  r.fromHub(granted(first));
  await settle();
  assert.equal(r.responses.length, 1, 'the phone got its 200');
  const statuses: number[] = [];
  assert.equal(r.path.reRegister(token, 500, (s) => statuses.push(s)), true);
  assert.equal(r.path.reRegister('a-unknown', 500, () => {}), false, 'no REGISTER was ever relayed for that contact');
  const again = r.sent[1] as SipRequest;
  assert.equal(again.method, 'REGISTER');
  assert.notEqual(getHeader(again, 'Call-ID'), getHeader(first, 'Call-ID'), 'a new registration: a fresh Call-ID');
  assert.equal(getHeader(again, 'CSeq'), '1 REGISTER');
  assert.equal(getHeader(again, 'Authorization'), getHeader(first, 'Authorization'), 'the phone\'s last credentials');
  assert.deepEqual(getHeaders(again, 'Contact'), getHeaders(first, 'Contact'), 'the same contact token');
  assert.notEqual(getHeader(again, 'Via'), getHeader(first, 'Via'), 'a new tunnel branch');
  r.fromHub(granted(again));
  await settle();
  assert.deepEqual(statuses, [200]);
  assert.equal(r.responses.length, 1, 'no phone is told');
  assert.equal(r.path.phones().length, 1, 'the answer is filed under the phone\'s own flow');
});

test('failback into a registrar that challenges: with the model\'s HA1 the challenge is answered once, and its 200 is the outcome; without it the 401 is', async () => {
  const r = rig();
  r.fromPhone(failbackRegister());
  await settle();
  const token = r.path.phones()[0]?.token ?? '';
  const granted = (q: SipRequest): SipResponse => ({ ...buildResponse(q, 200), headers: [...buildResponse(q, 200).headers, { name: 'Contact', value: `<sip:${token}@tunnel.invalid>;expires=1800` }] });
  r.fromHub(granted(r.sent[0] as SipRequest));
  await settle();
  const ha1 = computeHA1('MD5', '1001', 'pbx.test', 'secret');
  const pbx = new DigestServer({ realm: 'pbx.test', secret: Buffer.alloc(32, 1), clock: r.clock, algorithms: ['MD5'], users: { lookup: () => ({ ha1, algorithm: 'MD5' }) } });
  const challenge = (q: SipRequest): SipResponse => ({ ...buildResponse(q, 401), headers: [...buildResponse(q, 401).headers, ...pbx.challenge()] });

  const statuses: number[] = [];
  assert.equal(r.path.reRegister(token, 500, (s) => statuses.push(s), (user, realm) => (user === '1001' && realm === 'pbx.test' ? ha1 : undefined)), true);
  r.fromHub(challenge(r.sent[1] as SipRequest));
  await settle();
  assert.equal(statuses.length, 0, 'the challenge is not the outcome');
  const answered = r.sent[2] as SipRequest;
  assert.equal(answered.method, 'REGISTER');
  assert.equal(getHeader(answered, 'CSeq'), '2 REGISTER');
  assert.equal((await pbx.verify(answered)).ok, true, 'credentials the PBX accepts');
  r.fromHub(granted(answered));
  await settle();
  assert.deepEqual(statuses, [200]);
  assert.equal(r.responses.length, 1, 'no phone is told');

  // Once only: a second challenge to the answered REGISTER is the outcome.
  assert.equal(r.path.reRegister(token, 500, (s) => statuses.push(s), () => ha1), true);
  r.fromHub(challenge(r.sent[3] as SipRequest));
  await settle();
  r.fromHub(challenge(r.sent[4] as SipRequest));
  await settle();
  assert.deepEqual(statuses, [200, 401]);
  assert.equal(r.sent.length, 5);

  // Without the model's HA1s (no snapshot) the 401 is the outcome, as before.
  assert.equal(r.path.reRegister(token, 500, (s) => statuses.push(s)), true);
  r.fromHub(challenge(r.sent[5] as SipRequest));
  await settle();
  assert.deepEqual(statuses, [200, 401, 401]);
  assert.equal(r.sent.length, 6, 'nothing sent again');
});
