/**
 * An `ivr:N` destination run by the B2BUA: the agent answers the caller itself (its SDP names the
 * caller's relay leg), plays the menu prompt as RTP on the manual clock, takes a key by RFC 4733
 * or SIP INFO, and calls the destination of that key; the callee's answer joins the caller's
 * relay leg to the callee's, so RTP flows between the two phones without a re-INVITE.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRtpPacket, encodeTelephoneEvent, parseRtpHeader } from '../../../src/rtp/index.js';
import type { Ivr } from '../../../src/routing/index.js';
import type { PromptLibrary } from '../../../src/b2bua/index.js';
import { mediaTarget, type TestPhone } from './phone.js';
import { ext, model, rig, settle, until } from './rig.js';

const MENU: Ivr = {
  number: '7000', name: 'Reception', prompt: 'menu', options: { '1': { kind: 'extension', number: '101' }, '2': { kind: 'extension', number: '102' } },
  timeoutSeconds: 10, timeoutDestination: { kind: 'end-call' }, invalidDestination: { kind: 'end-call' }, maxRepeats: 3,
  dialByExtension: false, directDestinations: [], interDigitSeconds: 3, waitForHash: false,
};

/** 200 ms of a constant sample: 10 packets of 20 ms. */
const PROMPT = new Int16Array(1600).fill(1000);
const prompts: PromptLibrary & { asked: string[] } = {
  asked: [],
  load(name) {
    this.asked.push(name);
    return Promise.resolve(PROMPT);
  },
};

/** An RFC 4733 digit as the phone sends it: one start packet and three end packets (§2.5.1.4). */
function sendDigit(phone: TestPhone, digit: number): void {
  const target = mediaTarget(phone.remoteSdp ?? '');
  for (let i = 0; i < 4; i++) {
    const payload = encodeTelephoneEvent({ event: digit, end: i > 0, volume: 10, duration: 800 });
    const packet = buildRtpPacket({ payloadType: 101, marker: i === 0, sequenceNumber: 100 + i, timestamp: 16000, ssrc: 0x1234 }, payload);
    phone.rtp.send(packet, target.port, target.address);
  }
}

function ivrModel(): ReturnType<typeof model> {
  return model({ extensions: ['100', '101', '102'].map((n) => ext(n)), ivrs: [MENU] });
}

test('ivr: answered by the agent, the prompt arrives as PCMU RTP, RFC 4733 digit 2 rings 102 (not 101); RTP then flows 100 ↔ 102', async (t) => {
  const r = await rig({ phones: { '100': 1, '101': 1, '102': 1 }, model: ivrModel, prompts });
  t.after(() => r.close());
  const caller = r.phone('100');
  const answered = await caller.call('7000', r.port);
  assert.equal(answered.status, 200);
  const sdp = answered.body.toString();
  assert.match(sdp, /m=audio \d+ RTP\/AVP 0 101\r\n/);
  assert.doesNotMatch(sdp, /a=crypto/, 'no SDES on a RTP/AVP offer');
  for (let i = 0; i < 5; i++) r.clock.advance(20);
  await until(() => caller.rtpReceived.length >= 3, 'prompt RTP at the caller');
  const first = parseRtpHeader(caller.rtpReceived[0] ?? Buffer.alloc(0));
  assert.equal(first.payloadType, 0);
  assert.equal(first.marker, true, 'the first packet of a prompt has the marker bit');

  sendDigit(caller, 2);
  await until(() => r.phone('102').pending !== undefined, '102 ringing');
  assert.equal(r.phone('101').requests('INVITE').length, 0, '101 not rung');
  r.phone('102').answer();
  await until(() => r.events.filter((e) => e.kind === 'answered').length === 2, 'answered by 102');
  // Caller → relay leg A → leg B → 102 (the terminal gave the leg back to the relay).
  await settle();
  caller.sendRtp(3, 0xabc);
  await until(() => r.phone('102').rtpReceived.some((p) => p.readUInt32BE(8) === 0xabc), 'caller RTP at 102');
  assert.equal((await caller.send('BYE')).status, 200);
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.finalDestination, r.cdrs[0]?.endedReason], ['extension:102', 'completed']);
  assert.deepEqual(prompts.asked.slice(-1), ['menu']);
});

test('ivr: a SIP INFO key (answered 200) rings 101; an INFO without a key is answered 400', async (t) => {
  const r = await rig({ phones: { '100': 1, '101': 1, '102': 1 }, model: ivrModel, prompts });
  t.after(() => r.close());
  const caller = r.phone('100');
  assert.equal((await caller.call('7000', r.port)).status, 200);
  assert.equal((await caller.send('INFO', 'Duration=160\r\n')).status, 400);
  assert.equal((await caller.send('INFO', 'Signal=1\r\nDuration=160\r\n')).status, 200);
  await until(() => r.phone('101').pending !== undefined, '101 ringing');
  assert.equal(r.phone('102').requests('INVITE').length, 0);
});

test('ivr: no key before the timeout → end-call: the caller gets a BYE; the CDR says where', async (t) => {
  const r = await rig({ phones: { '100': 1 }, model: () => model({ extensions: [ext('100')], ivrs: [MENU] }), prompts });
  t.after(() => r.close());
  const caller = r.phone('100');
  assert.equal((await caller.call('7000', r.port)).status, 200);
  // The prompt (200 ms) ends, then 10 s of silence.
  for (let i = 0; i < 15; i++) {
    r.clock.advance(20);
    await settle(2);
  }
  r.clock.advance(10_000);
  await until(() => caller.requests('BYE').length === 1, 'BYE to the caller');
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.finalDestination, r.cdrs[0]?.endedReason], ['ivr:7000', 'timeout']);
});

test('ivr: refusals (table): an offer the agent cannot terminate gets 488 with a Warning naming why', async (t) => {
  const cases: Array<{ name: string; sdp: string | undefined; dialled: string; ivrs: Ivr[]; status: number; warning: RegExp }> = [
    {
      name: 'G.722 only', dialled: '7000', ivrs: [MENU], status: 488, warning: /^305 branch-1 "no PCMU or PCMA/,
      sdp: ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 9', 'a=rtpmap:9 G722/8000', ''].join('\r\n'),
    },
  ];
  for (const c of cases) {
    const r = await rig({ phones: { '100': 1 }, model: () => model({ extensions: [ext('100')], ivrs: c.ivrs }), prompts });
    t.after(() => r.close());
    const caller = r.phone('100');
    caller.sdpOverride = c.sdp;
    const response = await caller.call(c.dialled, r.port);
    assert.equal(response.status, c.status, c.name);
    assert.match(response.headers.find((h) => h.name.toLowerCase() === 'warning')?.value ?? '', c.warning, c.name);
  }
});

test('ivr: a caller offering PCMA, PCMU and G.722 is answered PCMA alone, and the extension it chooses is offered only PCMA and telephone-event', async (t) => {
  const r = await rig({ phones: { '100': 1, '101': 1 }, model: ivrModel, prompts });
  t.after(() => r.close());
  const caller = r.phone('100');
  caller.sdpOverride = [
    'v=0', 'o=- 7 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${caller.rtp.local.port} RTP/AVP 8 0 9 101`,
    'a=rtpmap:8 PCMA/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:9 G722/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20', 'a=sendrecv', '',
  ].join('\r\n');
  const answered = await caller.call('7000', r.port);
  assert.equal(answered.status, 200);
  assert.match(answered.body.toString(), /m=audio \d+ RTP\/AVP 8 101\r\n/);
  assert.equal((await caller.send('INFO', 'Signal=1\r\nDuration=160\r\n')).status, 200);
  await until(() => r.phone('101').pending !== undefined, '101 ringing');
  const offered = r.phone('101').pending?.request.body.toString() ?? '';
  assert.match(offered, /m=audio \d+ RTP\/AVP 8 101\r\n/);
  assert.doesNotMatch(offered, /PCMU|G722/);
});
