/**
 * Calls up through the tunnel when the tunnel is lost (issue 12), on a manual clock with a fake
 * stack and link: kept for the hub's resume window (plus RESUME_GRACE_MS) and not ended before;
 * after it, one BYE to the phone in the phone's dialog (its Call-ID and tags, the far side's next
 * CSeq); kept for good when the session resumes in time; ended at once when a new session
 * replaces the old one (the hub did not resume it); nothing sent for a call the phone ended.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { UdpRelayLeg } from '../../../src/media/index.js';
import type { DatagramSocket, SocketAddress } from '../../../src/net/index.js';
import { AgentCallPath, CallMedia, RESUME_GRACE_MS, RegistrationCache, type ChannelSource, type SipTunnelLink } from '../../../src/sbc/index.js';
import { buildResponse, getHeader, parseMessage, type RequestHandler, type ServerRequest, type SipMessage, type SipRequest, type SipResponse, type SipStack } from '../../../src/sip/index.js';
import { TunnelChannel } from '../../../src/tunnel/index.js';

const WINDOW_MS = 300_000;

const socket = (port: number): DatagramSocket => ({
  local: { address: '10.0.0.1', port, family: 'IPv4' } as SocketAddress,
  send: () => {},
  onMessage: () => {},
  onError: () => {},
  close: () => Promise.resolve(),
});

function newLink(sent: SipMessage[], onDeliver: (h: (m: SipMessage) => void) => void): SipTunnelLink {
  const host = { channelReady: () => {}, channelClosed: () => {} };
  let nextChannel = 1;
  const channels: ChannelSource = { open: (label) => new TunnelChannel(nextChannel += 2, label, 16, host, () => {}), get: () => undefined };
  return { closed: false, channels, send: (m: SipMessage) => { sent.push(m); return true; }, onMessage: onDeliver } as unknown as SipTunnelLink;
}

function rig() {
  const clock = new ManualClock(0);
  let handler: RequestHandler = () => {};
  const toPhone: SipRequest[] = [];
  const stack = {
    clock,
    onRequest: (h: RequestHandler) => { handler = h; },
    request: (q: SipRequest) => {
      toPhone.push(q);
      return Promise.resolve(buildResponse(q, 200));
    },
    sendStateless: () => Promise.resolve(),
    newVia: () => 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKagent;rport',
    hostPort: () => '10.0.0.1:5060',
  } as unknown as SipStack;
  let port = 30000;
  const media = new CallMedia({ clock, edgeAddress: '10.0.0.1', localBridging: true, openLeg: () => Promise.resolve(new UdpRelayLeg({ rtp: socket(port++), rtcp: socket(port++), clock })) });
  const path = new AgentCallPath({ clock, stack, media, registrations: new RegistrationCache({ clock }) });
  const sent: SipMessage[] = [];
  let deliver: (m: SipMessage) => void = () => {};
  path.attach(newLink(sent, (h) => { deliver = h; }));
  const responses: SipResponse[] = [];
  const fromPhone = (text: string): void => {
    const request = parseMessage(Buffer.from(text.replace(/\n/g, '\r\n'))) as SipRequest;
    const incoming: ServerRequest = { request, source: { transport: 'UDP', address: '10.0.0.5', port: 5062 }, respond: (r) => responses.push(r) };
    handler(incoming);
  };
  return { path, clock, sent, responses, toPhone, fromPhone, fromHub: (m: SipMessage) => deliver(m), newSession: () => path.attach(newLink([], () => {})) };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

const INVITE = `INVITE sip:1003@pbx.test SIP/2.0
Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKphone;rport=5062;received=10.0.0.5
Max-Forwards: 70
From: <sip:1001@pbx.test>;tag=a1
To: <sip:1003@pbx.test>
Call-ID: call-1
CSeq: 2 INVITE
Contact: <sip:1001@10.0.0.5:5062>
Content-Length: 0

`;

/** Phone 1001 calls through the tunnel and the far side answers: the call is up. */
async function callUp(r: ReturnType<typeof rig>): Promise<void> {
  r.fromPhone(INVITE);
  await settle();
  const up = r.sent[0] as SipRequest;
  const branch = /branch=([^;]+)/.exec(getHeader(up, 'Via') ?? '')?.[1] ?? '';
  r.fromHub(parseMessage(Buffer.from([
    'SIP/2.0 200 OK', `Via: SIP/2.0/TCP tunnel.invalid;branch=${branch}`,
    'From: <sip:1001@pbx.test>;tag=a1', 'To: <sip:1003@pbx.test>;tag=b2', `Call-ID: ${getHeader(up, 'Call-ID') ?? ''}`, 'CSeq: 2 INVITE',
    'Contact: <sip:h-abc@tunnel.invalid>', 'Content-Length: 0', '', ''].join('\r\n'))));
  await settle();
  assert.ok(r.responses.some((x) => x.status === 200), 'the phone got the 200');
  assert.equal(r.path.tunnelCalls, 1);
}

test('the tunnel is lost: the call is kept through the resume window and its grace, then ended with a BYE to the phone in its dialog', async () => {
  const r = rig();
  await callUp(r);
  r.path.tunnelLost(WINDOW_MS);
  r.clock.advance(WINDOW_MS + RESUME_GRACE_MS - 1);
  await settle();
  assert.equal(r.toPhone.length, 0, 'no BYE before the resume window has passed');
  r.clock.advance(1);
  await settle();
  assert.equal(r.toPhone.length, 1);
  const bye = r.toPhone[0];
  assert.ok(bye !== undefined);
  assert.equal(bye.method, 'BYE');
  assert.equal(bye.uri, 'sip:1001@10.0.0.5:5062', 'to the phone\'s Contact');
  assert.equal(getHeader(bye, 'Call-ID'), 'call-1', 'the phone\'s own Call-ID');
  assert.match(getHeader(bye, 'From') ?? '', /;tag=b2$/, 'from the far party');
  assert.match(getHeader(bye, 'To') ?? '', /;tag=a1$/, 'to the phone\'s party');
  assert.equal(getHeader(bye, 'CSeq'), '1 BYE');
  assert.match(getHeader(bye, 'Reason') ?? '', /^SIP;cause=480/);
  assert.equal(r.path.tunnelCalls, 0);
  r.clock.advance(WINDOW_MS * 2);
  await settle();
  assert.equal(r.toPhone.length, 1, 'one BYE only');
});

test('the session resumes inside the window: the call is never ended', async () => {
  const r = rig();
  await callUp(r);
  r.path.tunnelLost(WINDOW_MS);
  r.clock.advance(WINDOW_MS - 60_000);
  r.path.tunnelBack();
  r.clock.advance(WINDOW_MS * 3);
  await settle();
  assert.deepEqual(r.toPhone, []);
  assert.equal(r.path.tunnelCalls, 1);
});

test('a new session replaces the lost one (the hub did not resume it): the call ends with a BYE at once', async () => {
  const r = rig();
  await callUp(r);
  r.path.tunnelLost(WINDOW_MS);
  r.clock.advance(WINDOW_MS - 1000);
  r.newSession();
  await settle();
  assert.deepEqual(r.toPhone.map((q) => `${q.method} ${getHeader(q, 'Call-ID') ?? ''}`), ['BYE call-1']);
  r.clock.advance(WINDOW_MS * 2);
  await settle();
  assert.equal(r.toPhone.length, 1, 'the window watch was stopped');
});

test('a call the phone hung up is not ended again when the tunnel is lost', async () => {
  const r = rig();
  await callUp(r);
  r.fromPhone(INVITE.replace('INVITE sip:1003@pbx.test', 'BYE sip:h-abc@10.0.0.1:5060').replace('To: <sip:1003@pbx.test>', 'To: <sip:1003@pbx.test>;tag=b2').replace('CSeq: 2 INVITE', 'CSeq: 3 BYE'));
  await settle();
  assert.equal(r.path.tunnelCalls, 0);
  r.path.tunnelLost(WINDOW_MS);
  r.clock.advance(WINDOW_MS * 2);
  await settle();
  assert.deepEqual(r.toPhone, []);
});
