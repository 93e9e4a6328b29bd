/**
 * Shared subscriptions with a fake tunnel and a fake LAN stack: several watchers of one resource
 * cost one upstream SUBSCRIBE, each upstream NOTIFY reaches every watcher in the watcher's own
 * dialog, the last watcher leaving ends the upstream subscription with Expires: 0, and the
 * upstream subscription is refreshed before it expires (ManualClock).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { SharedSubscriptions } from '../../../src/sbc/index.js';
import {
  buildResponse, getHeader, parseMessage, parseNameAddr,
  type ServerRequest, type SipMessage, type SipRequest, type SipResponse, type TransportTarget,
} from '../../../src/sip/index.js';

const DIALOG_INFO = '<?xml version="1.0"?>\n<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="sip:1002@pbx.test"><dialog id="x"><state>early</state></dialog></dialog-info>\n';

function rig(options: { notifyStatus?: number; admit?: (source: string) => boolean } = {}) {
  const clock = new ManualClock(0);
  const up: SipRequest[] = [];
  const upResponses: SipResponse[] = [];
  const down: { request: SipRequest; target: TransportTarget }[] = [];
  let tunnelUp = true;
  const subs = new SharedSubscriptions({
    clock,
    sendUp: (m: SipMessage) => {
      if (!tunnelUp) return false;
      if (m.kind === 'request') up.push(m);
      else upResponses.push(m);
      return true;
    },
    requestDown: (request, target) => {
      down.push({ request, target });
      return Promise.resolve(buildResponse(request, options.notifyStatus ?? 200));
    },
    newVia: () => 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKagent;rport',
    lanContact: (_t, user) => `sip:${user}@10.0.0.1:5060`,
    upstreamExpires: 600,
    ...(options.admit === undefined ? {} : { admit: (incoming: ServerRequest) => options.admit?.(incoming.source.address) ?? true }),
  });
  const responses: SipResponse[][] = [];
  const subscribe = (n: number, extra: { toTag?: string; expires?: number; event?: string } = {}): SipResponse[] => {
    const text = [
      'SUBSCRIBE sip:1002@pbx.test SIP/2.0',
      `Via: SIP/2.0/UDP 10.0.0.${10 + n}:5060;branch=z9hG4bKw${n}-${Math.random()};rport=5060;received=10.0.0.${10 + n}`,
      'Max-Forwards: 70',
      `From: <sip:10${n}@pbx.test>;tag=w${n}`,
      `To: <sip:1002@pbx.test>${extra.toTag === undefined ? '' : `;tag=${extra.toTag}`}`,
      `Call-ID: watch-${n}`,
      'CSeq: 1 SUBSCRIBE',
      `Contact: <sip:10${n}@10.0.0.${10 + n}:5060>`,
      `Event: ${extra.event ?? 'dialog'}`,
      'Accept: application/dialog-info+xml',
      `Expires: ${extra.expires ?? 300}`,
      'Content-Length: 0', '', '',
    ].join('\r\n');
    const request = parseMessage(Buffer.from(text)) as SipRequest;
    const got: SipResponse[] = [];
    responses.push(got);
    const incoming: ServerRequest = { request, source: { transport: 'UDP', address: `10.0.0.${10 + n}`, port: 5060 }, respond: (r) => got.push(r) };
    got.push(...(subs.fromPhone(incoming) ? [] : [buildResponse(request, 999, 'relayed')]));
    return got;
  };
  const answerUp = (request: SipRequest, status: number, expires = 600): void => {
    const extra = status < 300 ? [{ name: 'Contact', value: '<sip:h-pbx@tunnel.invalid>' }, { name: 'Expires', value: String(expires) }] : [{ name: 'Proxy-Authenticate', value: 'Digest realm="pbx.test", nonce="n1"' }];
    assert.equal(subs.fromTunnel(buildResponse(request, status, undefined, extra, Buffer.alloc(0), { toTag: 'pbx1' })), true);
  };
  const notifyUp = (subState: string, body = DIALOG_INFO): void => {
    const first = up[0];
    assert.ok(first !== undefined);
    const contact = parseNameAddr(getHeader(first, 'Contact') ?? '').uri;
    const text = [
      `NOTIFY ${contact} SIP/2.0`, 'Via: SIP/2.0/TCP tunnel.invalid;branch=z9hG4bKhub1',
      'From: <sip:1002@pbx.test>;tag=pbx1', `To: ${getHeader(first, 'From') ?? ''}`, `Call-ID: ${getHeader(first, 'Call-ID') ?? ''}`,
      'CSeq: 7 NOTIFY', 'Contact: <sip:h-pbx@tunnel.invalid>', 'Event: dialog', `Subscription-State: ${subState}`,
      'Content-Type: application/dialog-info+xml', `Content-Length: ${Buffer.byteLength(body)}`, '', body,
    ].join('\r\n');
    assert.equal(subs.fromTunnel(parseMessage(Buffer.from(text))), true);
  };
  return { clock, subs, up, upResponses, down, responses, subscribe, answerUp, notifyUp, tunnelDown: () => { tunnelUp = false; } };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
const subscribes = (up: SipRequest[]): SipRequest[] => up.filter((m) => m.method === 'SUBSCRIBE');

for (const watchers of [1, 5]) {
  test(`${watchers} watcher(s) of one extension: one upstream SUBSCRIBE, every watcher gets each NOTIFY in its own dialog`, async () => {
    const r = rig();
    const got = Array.from({ length: watchers }, (_, i) => r.subscribe(i + 1));
    assert.equal(subscribes(r.up).length, 1, 'one SUBSCRIBE into the tunnel');
    const upSub = r.up[0];
    assert.ok(upSub !== undefined);
    assert.equal(upSub.uri, 'sip:1002@pbx.test');
    assert.equal(getHeader(upSub, 'Expires'), '600');
    assert.match(getHeader(upSub, 'Contact') ?? '', /^<sip:a-sub-[0-9a-f]+@tunnel\.invalid>$/);
    assert.doesNotMatch(JSON.stringify(upSub.headers), /10\.0\.0\./, 'no LAN address upstream');
    assert.ok(got.every((g) => g.length === 0), 'watchers wait for the upstream answer');
    r.answerUp(upSub, 200);
    for (const [i, g] of got.entries()) {
      assert.equal(g[0]?.status, 200);
      assert.match(getHeader(g[0] as SipResponse, 'To') ?? '', /;tag=sbcw/);
      assert.equal(getHeader(g[0] as SipResponse, 'Call-ID'), `watch-${i + 1}`);
    }
    r.notifyUp('active;expires=600');
    await settle();
    assert.equal(r.upResponses.at(-1)?.status, 200, 'the upstream NOTIFY is answered');
    assert.equal(r.down.length, watchers);
    for (const [i, d] of r.down.entries()) {
      const n = i + 1;
      assert.equal(d.request.method, 'NOTIFY');
      assert.equal(d.request.uri, `sip:10${n}@10.0.0.${10 + n}:5060`);
      assert.equal(getHeader(d.request, 'Call-ID'), `watch-${n}`);
      assert.equal(getHeader(d.request, 'To'), `<sip:10${n}@pbx.test>;tag=w${n}`);
      assert.equal(getHeader(d.request, 'From'), `${getHeader(got[i]?.[0] as SipResponse, 'To') ?? ''}`);
      assert.equal(getHeader(d.request, 'CSeq'), '1 NOTIFY');
      assert.equal(getHeader(d.request, 'Subscription-State'), 'active;expires=300');
      assert.equal(getHeader(d.request, 'Contact'), '<sip:sbc@10.0.0.1:5060>');
      assert.equal(d.request.body.toString(), DIALOG_INFO, 'the body is kept as it is');
      assert.deepEqual(d.target, { transport: 'UDP', host: `10.0.0.${10 + n}`, port: 5060 });
    }
  });
}

test('a watcher joining later gets the last known state at once (RFC 6665 §4.2.2), without a new upstream SUBSCRIBE', async () => {
  const r = rig();
  r.subscribe(1);
  r.answerUp(r.up[0] as SipRequest, 200);
  r.notifyUp('active;expires=600');
  r.clock.advance(100_000);
  const got = r.subscribe(2);
  await settle();
  assert.equal(subscribes(r.up).length, 1);
  assert.equal(got[0]?.status, 200);
  const last = r.down.at(-1);
  assert.equal(getHeader(last?.request as SipRequest, 'Call-ID'), 'watch-2');
  assert.equal(last?.request.body.toString(), DIALOG_INFO);
});

test('a watcher leaving (Expires: 0) gets a terminated NOTIFY; the last one leaving ends the upstream with Expires: 0', async () => {
  const r = rig();
  const g1 = r.subscribe(1);
  r.subscribe(2);
  r.answerUp(r.up[0] as SipRequest, 200);
  r.notifyUp('active;expires=600');
  await settle();
  const tag1 = /tag=(sbcw[0-9a-f]+)/.exec(getHeader(g1[0] as SipResponse, 'To') ?? '')?.[1];
  const leave1 = r.subscribe(1, { toTag: tag1 ?? '', expires: 0 });
  await settle();
  assert.equal(leave1[0]?.status, 200);
  assert.equal(getHeader(r.down.at(-1)?.request as SipRequest, 'Subscription-State'), 'terminated;reason=timeout');
  assert.equal(subscribes(r.up).length, 1, 'another watcher remains: upstream untouched');
  r.clock.advance(300_000);
  await settle();
  const ends = subscribes(r.up);
  assert.equal(ends.length, 2, 'the last watcher expired: unsubscribe');
  assert.equal(getHeader(ends[1] as SipRequest, 'Expires'), '0');
  assert.equal((ends[1] as SipRequest).uri, 'sip:h-pbx@tunnel.invalid', 'in-dialog, to the notifier\'s contact');
  assert.equal(getHeader(ends[1] as SipRequest, 'Call-ID'), getHeader(r.up[0] as SipRequest, 'Call-ID'));
  assert.match(getHeader(ends[1] as SipRequest, 'To') ?? '', /;tag=pbx1/);
  assert.equal(getHeader(ends[1] as SipRequest, 'CSeq'), '2 SUBSCRIBE');
  assert.equal(r.subs.resources().size, 0);
});

test('an upstream terminated NOTIFY ends every watcher with a terminated NOTIFY', async () => {
  const r = rig();
  r.subscribe(1);
  r.subscribe(2);
  r.answerUp(r.up[0] as SipRequest, 200);
  r.notifyUp('terminated;reason=noresource');
  await settle();
  assert.deepEqual(r.down.map((d) => getHeader(d.request, 'Subscription-State')), ['terminated;reason=noresource', 'terminated;reason=noresource']);
  assert.equal(r.subs.resources().size, 0);
  r.subscribe(3);
  assert.equal(subscribes(r.up).length, 2, 'a new watcher starts a new upstream subscription');
});

test('the upstream subscription is refreshed a minute before it expires, in its dialog', () => {
  const r = rig();
  r.subscribe(1, { expires: 3600 });
  r.answerUp(r.up[0] as SipRequest, 200, 600);
  r.clock.advance(539_000);
  assert.equal(subscribes(r.up).length, 1);
  r.clock.advance(1000);
  const refresh = subscribes(r.up)[1];
  assert.ok(refresh !== undefined);
  assert.equal(getHeader(refresh, 'Expires'), '600');
  assert.equal(refresh.uri, 'sip:h-pbx@tunnel.invalid');
  assert.equal(getHeader(refresh, 'CSeq'), '2 SUBSCRIBE');
  r.answerUp(refresh, 200, 120);
  r.clock.advance(59_000);
  assert.equal(subscribes(r.up).length, 2);
  r.clock.advance(1000);
  assert.equal(subscribes(r.up).length, 3, 'a short grant is refreshed half-way');
});

test('a challenge to the upstream SUBSCRIBE reaches the watcher; its retry carries the credentials upstream', () => {
  const r = rig();
  const got = r.subscribe(1);
  r.answerUp(r.up[0] as SipRequest, 407);
  assert.equal(got[0]?.status, 407);
  assert.equal(getHeader(got[0] as SipResponse, 'Proxy-Authenticate'), 'Digest realm="pbx.test", nonce="n1"');
  assert.equal(r.subs.resources().size, 0);
});

const negative: { name: string; event: string; handled: boolean }[] = [
  { name: 'dialog', event: 'dialog', handled: true },
  { name: 'presence', event: 'presence', handled: true },
  { name: 'message-summary', event: 'message-summary', handled: true },
  { name: 'refer (not shared)', event: 'refer', handled: false },
  { name: 'conference (not shared)', event: 'conference', handled: false },
];
for (const c of negative) {
  test(`Event: ${c.name} ${c.handled ? 'is' : 'is not'} shared`, () => {
    const r = rig();
    const request = parseMessage(Buffer.from(`SUBSCRIBE sip:1002@pbx.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKx\r\nFrom: <sip:1@pbx.test>;tag=a\r\nTo: <sip:1002@pbx.test>\r\nCall-ID: c\r\nCSeq: 1 SUBSCRIBE\r\nEvent: ${c.event}\r\nContact: <sip:1@10.0.0.9>\r\nContent-Length: 0\r\n\r\n`)) as SipRequest;
    assert.equal(r.subs.fromPhone({ request, source: { transport: 'UDP', address: '10.0.0.9', port: 5060 }, respond: () => {} }), c.handled);
  });
}

test('an in-dialog SUBSCRIBE for a watcher the agent does not know is answered 481', () => {
  const r = rig();
  const got = r.subscribe(1, { toTag: 'sbcwdead' });
  assert.equal(got[0]?.status, 481);
});

test('a watcher answering 481 to a NOTIFY is removed (RFC 6665 §4.2.2); the upstream then ends', async () => {
  const r = rig({ notifyStatus: 481 });
  r.subscribe(1);
  r.answerUp(r.up[0] as SipRequest, 200);
  r.notifyUp('active;expires=600');
  await settle();
  await settle();
  assert.equal(getHeader(subscribes(r.up)[1] as SipRequest, 'Expires'), '0');
});

test('with the tunnel down a new watcher gets 503', () => {
  const r = rig();
  r.tunnelDown();
  assert.equal(r.subscribe(1)[0]?.status, 503);
});

test('an upstream NOTIFY overtaking the 200 (RFC 6665 §4.1.2.4) completes the dialog and reaches the watchers once they are answered', async () => {
  const r = rig();
  const got = r.subscribe(1);
  r.notifyUp('active;expires=600');
  await settle();
  assert.equal(r.down.length, 0, 'no watcher dialog yet');
  r.answerUp(r.up[0] as SipRequest, 200);
  await settle();
  assert.equal(got[0]?.status, 200);
  assert.equal(r.down.length, 1, 'the state already known is sent at once');
  assert.equal(r.down[0]?.request.body.toString(), DIALOG_INFO);
});

test('a new tunnel session ends every watcher with reason=deactivated, so phones re-subscribe at once (§4.1.3)', async () => {
  const r = rig();
  r.subscribe(1);
  r.subscribe(2);
  r.answerUp(r.up[0] as SipRequest, 200);
  r.notifyUp('active;expires=600');
  await settle();
  r.subs.reset();
  await settle();
  assert.deepEqual(r.down.slice(2).map((d) => getHeader(d.request, 'Subscription-State')), ['terminated;reason=deactivated', 'terminated;reason=deactivated']);
  assert.equal(r.subs.resources().size, 0);
});

test('a refused refresh ends the watchers with reason=deactivated', async () => {
  const r = rig();
  r.subscribe(1, { expires: 3600 });
  r.answerUp(r.up[0] as SipRequest, 200, 600);
  r.clock.advance(540_000);
  const refresh = subscribes(r.up)[1] as SipRequest;
  r.answerUp(refresh, 481);
  await settle();
  assert.equal(getHeader(r.down.at(-1)?.request as SipRequest, 'Subscription-State'), 'terminated;reason=deactivated');
  assert.equal(r.subs.resources().size, 0);
});

test('an upstream SUBSCRIBE left unanswered counts as 408 after 32 s: the waiting watchers get it', () => {
  const r = rig();
  const got = r.subscribe(1);
  r.clock.advance(32_000);
  assert.equal(got[0]?.status, 408);
  assert.equal(r.subs.resources().size, 0);
});

test('an upstream pending state is mirrored to the watchers (pending;expires=)', async () => {
  const r = rig();
  r.subscribe(1);
  r.answerUp(r.up[0] as SipRequest, 200);
  r.notifyUp('pending;expires=600');
  await settle();
  assert.equal(getHeader(r.down[0]?.request as SipRequest, 'Subscription-State'), 'pending;expires=300');
});

test('close() leaves no timer behind', () => {
  const r = rig();
  r.subscribe(1);
  r.answerUp(r.up[0] as SipRequest, 200);
  r.subs.close();
  assert.equal(r.clock.pending, 0);
});

test('a watcher the agent does not admit (no registration from its host) is relayed one to one', () => {
  const r = rig({ admit: (host) => host === '10.0.0.11' });
  assert.equal(r.subscribe(1).length, 0, 'admitted: held for the shared subscription');
  assert.equal(r.subscribe(2)[0]?.status, 999, 'not admitted: the caller relays it');
  assert.equal(subscribes(r.up).length, 1);
});

test('MWI: the last message-summary body the PBX sent is remembered per mailbox (for survival); dialog bodies are not', async () => {
  const r = rig();
  r.subscribe(1, { event: 'message-summary' });
  const upSub = r.up[0];
  assert.ok(upSub !== undefined);
  r.answerUp(upSub, 200);
  const contact = parseNameAddr(getHeader(upSub, 'Contact') ?? '').uri;
  const notify = (cseq: number, body: string): void => {
    const text = [
      `NOTIFY ${contact} SIP/2.0`, 'Via: SIP/2.0/TCP tunnel.invalid;branch=z9hG4bKhub' + String(cseq),
      'From: <sip:1002@pbx.test>;tag=pbx1', `To: ${getHeader(upSub, 'From') ?? ''}`, `Call-ID: ${getHeader(upSub, 'Call-ID') ?? ''}`,
      `CSeq: ${cseq} NOTIFY`, 'Event: message-summary', 'Subscription-State: active;expires=600',
      'Content-Type: application/simple-message-summary', `Content-Length: ${Buffer.byteLength(body)}`, '', body,
    ].join('\r\n');
    assert.equal(r.subs.fromTunnel(parseMessage(Buffer.from(text))), true);
  };
  assert.equal(r.subs.lastMessageSummary('1002'), undefined);
  notify(1, 'Messages-Waiting: yes\r\nVoice-Message: 2/8 (0/2)\r\n');
  notify(2, 'Messages-Waiting: yes\r\nVoice-Message: 3/8 (1/2)\r\n');
  await settle();
  const known = r.subs.lastMessageSummary('1002');
  assert.equal(known?.contentType, 'application/simple-message-summary');
  assert.equal(known?.body.toString(), 'Messages-Waiting: yes\r\nVoice-Message: 3/8 (1/2)\r\n', 'the latest one');
  assert.equal(r.subs.lastMessageSummary('1001'), undefined, 'another mailbox');

  const blf = rig();
  blf.subscribe(1);
  const blfSub = blf.up[0];
  assert.ok(blfSub !== undefined);
  blf.answerUp(blfSub, 200);
  blf.notifyUp('active;expires=600');
  assert.equal(blf.subs.lastMessageSummary('1002'), undefined, 'a dialog-info body is no message summary');
});

test('MWI: a message-summary NOTIFY relayed outside the shared subscriptions (unsolicited) is remembered for its To mailbox', () => {
  const r = rig();
  const notify = (event: string, to: string, body: string): SipRequest => parseMessage(Buffer.from([
    'NOTIFY sip:a-0123456789abcdef@tunnel.invalid SIP/2.0', 'Via: SIP/2.0/TCP tunnel.invalid;branch=z9hG4bKhubu',
    'From: <sip:voicemail@pbx.test>;tag=vm1', `To: ${to}`, 'Call-ID: mwi-unsolicited', 'CSeq: 1 NOTIFY', `Event: ${event}`,
    'Subscription-State: active', 'Content-Type: application/simple-message-summary', `Content-Length: ${Buffer.byteLength(body)}`, '', body,
  ].join('\r\n'))) as SipRequest;
  r.subs.noteRelayedNotify(notify('message-summary', '<sip:1003@pbx.test>', 'Messages-Waiting: yes\r\n'));
  assert.equal(r.subs.lastMessageSummary('1003')?.body.toString(), 'Messages-Waiting: yes\r\n');
  const ignored: Array<[string, SipRequest]> = [
    ['another package', notify('dialog', '<sip:1004@pbx.test>', 'x')],
    ['a To that does not parse', notify('message-summary', '<<<', 'Messages-Waiting: yes\r\n')],
    ['a tel: To', notify('message-summary', '<tel:1004>', 'Messages-Waiting: yes\r\n')],
  ];
  for (const [name, request] of ignored) {
    r.subs.noteRelayedNotify(request);
    assert.equal(r.subs.lastMessageSummary('1004'), undefined, name);
  }
});
