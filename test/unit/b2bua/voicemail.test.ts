/**
 * A `voicemail:N` destination run by the B2BUA (here 101's no-answer forwarding): the agent
 * answers, plays the greeting (the built-in tone without one) and the beep on the manual clock,
 * records the caller's RTP until `#`, keeps the message in the box in the state dir, hangs up,
 * and the box's phone gets an MWI NOTIFY (RFC 3842) with the new count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRtpPacket, encodeTelephoneEvent } from '../../../src/rtp/index.js';
import { ManualClock } from '../../../src/core/index.js';
import { VoicemailStore } from '../../../src/voicemail/index.js';
import { getHeader } from '../../../src/sip/index.js';
import type { Rig } from './rig.js';
import { mediaTarget, type TestPhone } from './phone.js';
import { NOW, ext, model, rig, settle, until } from './rig.js';

/** Runs the manual clock in 20 ms steps, letting prompts chain (each starts after the last one's promise). */
async function play(r: Rig, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 20) {
    r.clock.advance(20);
    await settle(1);
  }
}

/** `count` 20 ms PCMU packets of speech-like noise, then RFC 4733 `#` (event 11) with its end packets. */
function speakThenHash(phone: TestPhone, count: number): void {
  const target = mediaTarget(phone.remoteSdp ?? '');
  for (let i = 0; i < count; i++) {
    const payload = Buffer.alloc(160, i % 2 === 0 ? 0x10 : 0x90);
    phone.rtp.send(buildRtpPacket({ payloadType: 0, marker: i === 0, sequenceNumber: i, timestamp: i * 160, ssrc: 0x5151 }, payload), target.port, target.address);
  }
  for (let i = 0; i < 4; i++) {
    const payload = encodeTelephoneEvent({ event: 11, end: i > 0, volume: 10, duration: 800 });
    phone.rtp.send(buildRtpPacket({ payloadType: 101, marker: i === 0, sequenceNumber: count + i, timestamp: count * 160, ssrc: 0x5151 }, payload), target.port, target.address);
  }
}

test('voicemail:101 (101 does not answer in 5 s): greeting, beep, 1.2 s recorded until #; the box has 1 new; 101 gets MWI yes 1/0; BYE to the caller', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'b2bua-vm-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = await VoicemailStore.open({ dir: join(dir, 'voicemail'), clock: new ManualClock(0, NOW) });
  const toVoicemail = { kind: 'voicemail' as const, number: '101' };
  const r = await rig({
    phones: { '100': 1, '101': 1 }, voicemail: store,
    model: () => model({ extensions: [ext('100'), ext('101', { forwarding: { available: { noAnswerSeconds: 5, internal: toVoicemail, external: toVoicemail } } })] }),
  });
  t.after(() => r.close());
  const caller = r.phone('100');
  const calling = caller.call('101', r.port);
  await until(() => r.phone('101').pending !== undefined, '101 ringing');
  r.clock.advance(5000);
  assert.equal((await calling).status, 200);
  // Built-in greeting (1 s) and beep (400 ms), then the recording starts.
  await play(r, 1600);
  assert.ok(caller.rtpReceived.length >= 60, `greeting and beep heard (${caller.rtpReceived.length} packets)`);
  speakThenHash(caller, 60);
  await until(() => caller.requests('BYE').length === 1, 'BYE to the caller after #');
  assert.deepEqual(await store.counts({ kind: 'extension', number: '101' }), { new: 1, old: 0 });
  const index = await store.index({ kind: 'extension', number: '101' });
  assert.equal(index.messages[0]?.caller, '100');
  assert.equal(index.messages[0]?.seconds, 1.2);
  await until(() => r.phone('101').requests('NOTIFY').length === 1, 'MWI NOTIFY to 101');
  const notify = r.phone('101').requests('NOTIFY')[0];
  assert.equal(notify === undefined ? undefined : getHeader(notify, 'Event'), 'message-summary');
  const body = notify?.body.toString() ?? '';
  assert.match(body, /Messages-Waiting: yes/);
  assert.match(body, /Voice-Message: 1\/0/);
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.finalDestination, r.cdrs[0]?.endedReason], ['voicemail:101', 'completed']);
});

test('voicemail: the caller hanging up at the greeting keeps nothing and sends no MWI', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'b2bua-vm-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = await VoicemailStore.open({ dir: join(dir, 'voicemail'), clock: new ManualClock(0, NOW) });
  const toVoicemail = { kind: 'voicemail' as const, number: '101' };
  const r = await rig({
    phones: { '100': 1, '101': 1 }, voicemail: store,
    model: () => model({ extensions: [ext('100'), ext('101', { forwarding: { available: { noAnswerSeconds: 5, internal: toVoicemail, external: toVoicemail } } })] }),
  });
  t.after(() => r.close());
  const caller = r.phone('100');
  const calling = caller.call('101', r.port);
  await until(() => r.phone('101').pending !== undefined, '101 ringing');
  r.clock.advance(5000);
  assert.equal((await calling).status, 200);
  await play(r, 200);
  assert.equal((await caller.send('BYE')).status, 200);
  await until(() => r.cdrs.length === 1, 'CDR');
  await settle();
  assert.deepEqual(await store.counts({ kind: 'extension', number: '101' }), { new: 0, old: 0 });
  assert.equal(r.phone('101').requests('NOTIFY').length, 0);
});

test('ivr key 9 → voicemail:101: the caller, answered once by the IVR, leaves a message on the same media', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'b2bua-vm-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = await VoicemailStore.open({ dir: join(dir, 'voicemail'), clock: new ManualClock(0, NOW) });
  const r = await rig({
    phones: { '100': 1, '101': 1 }, voicemail: store,
    model: () => model({
      extensions: [ext('100'), ext('101')],
      ivrs: [{
        number: '7000', name: 'Reception', prompt: 'menu', options: { '9': { kind: 'voicemail', number: '101' } }, timeoutSeconds: 10, timeoutDestination: { kind: 'end-call' },
        invalidDestination: { kind: 'end-call' }, maxRepeats: 3, dialByExtension: false, directDestinations: [], interDigitSeconds: 3, waitForHash: false,
      }],
    }),
  });
  t.after(() => r.close());
  const caller = r.phone('100');
  const answered = await caller.call('7000', r.port);
  assert.equal(answered.status, 200);
  const target = mediaTarget(caller.remoteSdp ?? '');
  for (let i = 0; i < 4; i++) {
    caller.rtp.send(buildRtpPacket({ payloadType: 101, marker: i === 0, sequenceNumber: 500 + i, timestamp: 80000, ssrc: 0x5151 }, encodeTelephoneEvent({ event: 9, end: i > 0, volume: 10, duration: 800 })), target.port, target.address);
  }
  await settle();
  await play(r, 1600);
  speakThenHash(caller, 60);
  await until(() => caller.requests('BYE').length === 1, 'BYE to the caller after #');
  assert.deepEqual(await store.counts({ kind: 'extension', number: '101' }), { new: 1, old: 0 });
  assert.equal(r.events.filter((e) => e.kind === 'answered').length, 1, 'answered once');
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.equal(r.cdrs[0]?.finalDestination, 'voicemail:101');
});

test('queue 8000 with nobody answering in its maximum wait → voicemail:8000: the queue box gets the message and its agents the MWI', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'b2bua-vm-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = await VoicemailStore.open({ dir: join(dir, 'voicemail'), clock: new ManualClock(0, NOW) });
  const r = await rig({
    phones: { '100': 1, '101': 1 }, voicemail: store,
    model: () => model({
      extensions: [ext('100'), ext('101')],
      queues: [{ number: '8000', name: 'Support', agents: ['101'], strategy: 'ring-all', ringSeconds: 20, maxWaitSeconds: 30, wrapUpSeconds: 0, keepWaitingIfNoAgent: false, noAnswer: { kind: 'voicemail', number: '8000' } }],
    }),
  });
  t.after(() => r.close());
  const caller = r.phone('100');
  const calling = caller.call('8000', r.port);
  await until(() => r.phone('101').pending !== undefined, '101 ringing');
  r.clock.advance(30_000);
  assert.equal((await calling).status, 200);
  await play(r, 1600);
  speakThenHash(caller, 60);
  await until(() => caller.requests('BYE').length === 1, 'BYE to the caller after #');
  assert.deepEqual(await store.counts({ kind: 'queue', number: '8000' }), { new: 1, old: 0 });
  await until(() => r.phone('101').requests('NOTIFY').length === 1, 'MWI NOTIFY to the agent');
  assert.match(r.phone('101').requests('NOTIFY')[0]?.body.toString() ?? '', /Voice-Message: 1\/0/);
});
