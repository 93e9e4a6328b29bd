/**
 * A queue caller with an intro prompt and music (issue 13): the agent answers the caller itself,
 * plays the intro once, then the music round and round (the queue's own, else the agent's
 * `musicOnHold`), and only then rings the agents, offering them the format the caller was
 * answered with; the agent who answers gets the caller's relay leg (RTP both ways, the music
 * stopped); the maximum wait sends the caller on with a BYE. Real UDP on 127.0.0.1, manual clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/core/index.js';
import { VoicemailStore } from '../../../src/voicemail/index.js';
import { buildRtpPacket, encodeTelephoneEvent } from '../../../src/rtp/index.js';
import { mediaTarget } from './phone.js';
import { decodeG711 } from '../../../src/media/index.js';
import { parseRtpHeader } from '../../../src/rtp/index.js';
import type { CallQueue } from '../../../src/routing/index.js';
import type { PromptLibrary } from '../../../src/b2bua/index.js';
import { NOW, ext, model, rig, settle, until, type Rig } from './rig.js';

const QUEUE: CallQueue = {
  number: '8000', name: 'Support', agents: ['101'], strategy: 'prioritized-hunt', ringSeconds: 30, maxWaitSeconds: 60,
  wrapUpSeconds: 0, keepWaitingIfNoAgent: false, noAnswer: { kind: 'end-call' },
};

/** 2.5 packets of +1000 (the last one padded with silence), and 2 packets of -2000. */
const INTRO = new Int16Array(400).fill(1000);
const MUSIC = new Int16Array(320).fill(-2000);

function library(files: Record<string, Int16Array>): PromptLibrary & { asked: string[] } {
  return {
    asked: [],
    load(name) {
      this.asked.push(name);
      return Promise.resolve(files[name] ?? new Int16Array(160));
    },
  };
}

/** Moves the clock in 20 ms steps, letting the sockets deliver between them. */
async function play(r: Rig, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 20) {
    r.clock.advance(20);
    await settle(2);
  }
}

/** Each packet's samples, decoded from PCMU. */
function samplesOf(packets: readonly Buffer[]): Int16Array[] {
  return packets.map((p) => decodeG711(p.subarray(12), 'ulaw'));
}

/** µ-law is not exact: a sample near `value`. */
const near = (s: number, value: number): boolean => Math.abs(s - value) <= Math.abs(value) / 16 + 8;

test('queue with intro and music: answered by the agent, the intro once then the music looping; 101 is rung with the answered format and, answering, gets the caller', async (t) => {
  const prompts = library({ intro: INTRO, jazz: MUSIC });
  const r = await rig({ phones: { '100': 1, '101': 1 }, prompts, model: () => model({ extensions: ['100', '101'].map((n) => ext(n)), queues: [{ ...QUEUE, introPrompt: 'intro', music: 'jazz' }] }) });
  t.after(() => r.close());
  const caller = r.phone('100');
  const answered = await caller.call('8000', r.port);
  assert.equal(answered.status, 200, 'the agent answers a queue caller that has something to hear');
  assert.match(answered.body.toString(), /m=audio \d+ RTP\/AVP 0 101\r\n/);
  await until(() => r.phone('101').pending !== undefined, '101 ringing');
  const offered = r.phone('101').received.find((q) => q.method === 'INVITE')?.body.toString() ?? '';
  assert.match(offered, /m=audio \d+ RTP\/AVP 0 101\r\n/, 'the agent is offered what the caller was answered with');

  await play(r, 200);
  await until(() => caller.rtpReceived.length >= 9, 'intro and music at the caller');
  const packets = caller.rtpReceived.slice(0, 9);
  const headers = packets.map((p) => parseRtpHeader(p));
  assert.ok(headers.every((h) => h.payloadType === 0 && h.ssrc === headers[0]?.ssrc), 'one source, PCMU');
  assert.deepEqual(headers.map((h) => (h.sequenceNumber - (headers[0]?.sequenceNumber ?? 0)) & 0xffff), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(headers.map((h) => ((h.timestamp - (headers[0]?.timestamp ?? 0)) >>> 0) / 160), [0, 1, 2, 3, 4, 5, 6, 7, 8], 'timestamps on the 20 ms grid, intro to music');
  assert.deepEqual(headers.map((h) => h.marker), [true, false, false, true, false, false, false, false, false], 'a marker on the intro, one on the music, none on its rounds');
  const samples = samplesOf(packets);
  assert.ok(samples.slice(0, 2).every((s) => s.every((v) => near(v, 1000))), 'the intro');
  assert.ok(samples[2]?.slice(0, 80).every((v) => near(v, 1000)) && samples[2]?.slice(80).every((v) => Math.abs(v) <= 8), 'the intro ends padded with silence');
  assert.ok(samples.slice(3).every((s) => s.every((v) => near(v, -2000))), 'then the music, round after round');
  assert.deepEqual(prompts.asked, ['intro', 'jazz']);

  r.phone('101').answer();
  await until(() => r.events.filter((e) => e.kind === 'answered').length === 2, 'answered by 101');
  await settle();
  const atAnswer = caller.rtpReceived.length;
  await play(r, 100);
  assert.equal(caller.rtpReceived.length, atAnswer, 'the music stops when the agent answers');
  caller.sendRtp(3, 0xabc);
  await until(() => r.phone('101').rtpReceived.some((p) => p.readUInt32BE(8) === 0xabc), 'caller RTP at 101');
  r.phone('101').sendRtp(3, 0xdef);
  await until(() => caller.rtpReceived.some((p) => p.readUInt32BE(8) === 0xdef), '101 RTP at the caller');
  assert.equal((await caller.send('BYE')).status, 200);
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.finalDestination, r.cdrs[0]?.endedReason], ['extension:101', 'completed']);
});

test("queue without music of its own: the agent's music on hold; the maximum wait ends in a BYE and the agent's ring is cancelled", async (t) => {
  const r = await rig({ phones: { '100': 1, '101': 1 }, musicOnHold: MUSIC, model: () => model({ extensions: ['100', '101'].map((n) => ext(n)), queues: [{ ...QUEUE, maxWaitSeconds: 20 }] }) });
  t.after(() => r.close());
  const caller = r.phone('100');
  assert.equal((await caller.call('8000', r.port)).status, 200);
  await until(() => r.phone('101').pending !== undefined, '101 ringing');
  await play(r, 60);
  await until(() => caller.rtpReceived.length >= 3, 'music at the caller');
  assert.equal(parseRtpHeader(caller.rtpReceived[0] ?? Buffer.alloc(0)).marker, true);
  assert.ok(samplesOf(caller.rtpReceived.slice(0, 3)).every((s) => s.every((v) => near(v, -2000))), "the agent's music");
  r.clock.advance(20_000);
  await until(() => caller.requests('BYE').length === 1, 'BYE to the caller at the maximum wait');
  await until(() => r.phone('101').requests('CANCEL').length === 1, 'CANCEL to 101');
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.finalDestination, r.cdrs[0]?.endedReason], ['queue:8000', 'end-call']);
});

test('a queue caller answered by the agent hangs up while 101 rings: 101 gets a CANCEL, the CDR says the caller ended it', async (t) => {
  const r = await rig({ phones: { '100': 1, '101': 1 }, musicOnHold: MUSIC, model: () => model({ extensions: ['100', '101'].map((n) => ext(n)), queues: [QUEUE] }) });
  t.after(() => r.close());
  const caller = r.phone('100');
  assert.equal((await caller.call('8000', r.port)).status, 200);
  await until(() => r.phone('101').pending !== undefined, '101 ringing');
  assert.equal((await caller.send('BYE')).status, 200);
  await until(() => r.phone('101').requests('CANCEL').length === 1, 'CANCEL to 101');
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.finalDestination, r.cdrs[0]?.endedBy], ['queue:8000', 'caller']);
});

test('queue no-answer to voicemail: the music stops, the same media end plays the greeting and records the message', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'queue-vm-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = await VoicemailStore.open({ dir: join(dir, 'voicemail'), clock: new ManualClock(0, NOW) });
  const r = await rig({
    phones: { '100': 1, '101': 1 }, musicOnHold: MUSIC, voicemail: store,
    model: () => model({ extensions: ['100', '101'].map((n) => ext(n)), queues: [{ ...QUEUE, maxWaitSeconds: 10, noAnswer: { kind: 'voicemail', number: '101' } }] }),
  });
  t.after(() => r.close());
  const caller = r.phone('100');
  assert.equal((await caller.call('8000', r.port)).status, 200);
  await until(() => r.phone('101').pending !== undefined, '101 ringing');
  await play(r, 100);
  await until(() => caller.rtpReceived.length >= 5, 'music');
  r.clock.advance(10_000);
  await settle();
  const atWait = caller.rtpReceived.length;
  await play(r, 1600);
  const after = caller.rtpReceived.slice(atWait);
  assert.ok(after.length >= 60, `greeting and beep heard (${after.length} packets)`);
  // The 10 s jump sends the music due meanwhile at once; what follows it is the greeting and the beep.
  assert.ok(samplesOf(after.slice(-60)).every((s) => !s.every((v) => near(v, -2000))), 'no music once the queue sent the caller on');
  const ssrcs = new Set(caller.rtpReceived.map((p) => parseRtpHeader(p).ssrc));
  assert.equal(ssrcs.size, 1, 'one media end from the answer to the voicemail');
  const target = mediaTarget(caller.remoteSdp ?? '');
  for (let i = 0; i < 60; i++) caller.rtp.send(buildRtpPacket({ payloadType: 0, marker: i === 0, sequenceNumber: i, timestamp: i * 160, ssrc: 0x5151 }, Buffer.alloc(160, 0x10)), target.port, target.address);
  for (let i = 0; i < 4; i++) caller.rtp.send(buildRtpPacket({ payloadType: 101, marker: i === 0, sequenceNumber: 60 + i, timestamp: 9600, ssrc: 0x5151 }, encodeTelephoneEvent({ event: 11, end: i > 0, volume: 10, duration: 800 })), target.port, target.address);
  await until(() => caller.requests('BYE').length === 1, 'BYE to the caller after #');
  assert.deepEqual(await store.counts({ kind: 'extension', number: '101' }), { new: 1, old: 0 });
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.equal(r.cdrs[0]?.finalDestination, 'voicemail:101');
});

test('IVR key 2 to the queue: the caller answered once by the menu hears the queue music on the same media end, then 101', async (t) => {
  const prompts = library({ menu: INTRO, jazz: MUSIC });
  const menu = {
    number: '7000', name: 'Reception', prompt: 'menu', options: { '2': { kind: 'queue' as const, number: '8000' } }, timeoutSeconds: 10, timeoutDestination: { kind: 'end-call' as const },
    invalidDestination: { kind: 'end-call' as const }, maxRepeats: 3, dialByExtension: false, directDestinations: [], interDigitSeconds: 3, waitForHash: false,
  };
  const r = await rig({ phones: { '100': 1, '101': 1 }, prompts, model: () => model({ extensions: ['100', '101'].map((n) => ext(n)), ivrs: [menu], queues: [{ ...QUEUE, music: 'jazz' }] }) });
  t.after(() => r.close());
  const caller = r.phone('100');
  assert.equal((await caller.call('7000', r.port)).status, 200);
  await play(r, 100);
  const target = mediaTarget(caller.remoteSdp ?? '');
  for (let i = 0; i < 4; i++) caller.rtp.send(buildRtpPacket({ payloadType: 101, marker: i === 0, sequenceNumber: 100 + i, timestamp: 16000, ssrc: 0x1234 }, encodeTelephoneEvent({ event: 2, end: i > 0, volume: 10, duration: 800 })), target.port, target.address);
  await until(() => r.phone('101').pending !== undefined, '101 ringing');
  const atQueue = caller.rtpReceived.length;
  await play(r, 100);
  await until(() => caller.rtpReceived.length >= atQueue + 4, 'music after the menu');
  assert.ok(samplesOf(caller.rtpReceived.slice(-3)).every((s) => s.every((v) => near(v, -2000))), 'the queue music');
  assert.equal(new Set(caller.rtpReceived.map((p) => parseRtpHeader(p).ssrc)).size, 1, 'one media end from the menu to the music');
  assert.equal(caller.received.filter((q) => q.method === 'INVITE').length, 0, 'no re-INVITE to the caller');
  r.phone('101').answer();
  await until(() => r.events.filter((e) => e.kind === 'answered').length === 2, 'answered by 101');
  await settle();
  caller.sendRtp(3, 0xabc);
  await until(() => r.phone('101').rtpReceived.some((p) => p.readUInt32BE(8) === 0xabc), 'caller RTP at 101');
  assert.equal((await caller.send('BYE')).status, 200);
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.finalDestination, r.cdrs[0]?.endedReason], ['extension:101', 'completed']);
});
