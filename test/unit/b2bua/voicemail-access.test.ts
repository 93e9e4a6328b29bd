/**
 * The voicemail access number (feature code, default 999) run by the B2BUA: the agent answers,
 * takes the PIN by RFC 4733, plays the box's message as RTP on press 1 and deletes it on 7.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/core/index.js';
import { encodeWav, linearToUlaw } from '../../../src/media/index.js';
import { buildRtpPacket, encodeTelephoneEvent, parseRtpHeader } from '../../../src/rtp/index.js';
import { VoicemailStore, type BoxId } from '../../../src/voicemail/index.js';
import type { Rig } from './rig.js';
import { mediaTarget, type TestPhone } from './phone.js';
import { NOW, ext, model, rig, settle, until } from './rig.js';

const EVENTS: Readonly<Record<string, number>> = { '0': 0, '1': 1, '2': 2, '3': 3, '4': 4, '5': 5, '6': 6, '7': 7, '8': 8, '9': 9, '*': 10, '#': 11 };
let eventTimestamp = 0;

/** One RFC 4733 key: a start and three end packets, each key at its own timestamp (§2.5.1.4). */
function key(phone: TestPhone, symbol: string): void {
  const target = mediaTarget(phone.remoteSdp ?? '');
  eventTimestamp += 8000;
  for (let i = 0; i < 4; i++) {
    const payload = encodeTelephoneEvent({ event: EVENTS[symbol] ?? 0, end: i > 0, volume: 10, duration: 800 });
    phone.rtp.send(buildRtpPacket({ payloadType: 101, marker: i === 0, sequenceNumber: eventTimestamp / 100 + i, timestamp: eventTimestamp, ssrc: 0x999 }, payload), target.port, target.address);
  }
}

async function run(r: Rig, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 20) {
    r.clock.advance(20);
    await settle(1);
  }
}

test('999: PIN by RFC 4733, 1 plays the message (its samples arrive as RTP), 7 deletes it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'b2bua-vma-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = await VoicemailStore.open({ dir: join(dir, 'voicemail'), clock: new ManualClock(0, NOW) });
  const box: BoxId = { kind: 'extension', number: '101' };
  await store.setPin(box, '1234');
  const message = new Int16Array(8000).fill(2000);
  await store.deposit(box, { caller: '100', wav: encodeWav(message), seconds: 1 });
  const r = await rig({ phones: { '101': 1 }, voicemail: store, model: () => model({ extensions: [ext('100'), ext('101')] }) });
  t.after(() => r.close());
  const owner = r.phone('101');
  assert.equal((await owner.call('999', r.port)).status, 200);
  // The box is read before the keys are listened to.
  await settle();
  for (const d of '1234#') key(owner, d);
  await settle();
  await run(r, 200);
  key(owner, '1');
  await settle();
  const before = owner.rtpReceived.length;
  await run(r, 400);
  await until(() => owner.rtpReceived.length > before, 'RTP after 1');
  const messageByte = linearToUlaw(2000);
  const played = owner.rtpReceived.slice(before).filter((p) => parseRtpHeader(p).payloadType === 0 && p.subarray(12).every((b) => b === messageByte));
  assert.ok(played.length >= 5, `the message's samples arrived (${played.length} packets)`);
  key(owner, '7');
  const deadline = Date.now() + 3000;
  while ((await store.index(box)).messages.length !== 0 && Date.now() < deadline) await settle(10);
  assert.equal((await store.index(box)).messages.length, 0, 'the message is deleted');
  assert.equal((await owner.send('BYE')).status, 200);
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.equal(r.cdrs[0]?.finalDestination, 'voicemail-access:101');
});

test('999 without voicemail boxes on the agent: 480 with a Warning', async (t) => {
  const r = await rig({ phones: { '101': 1 }, model: () => model({ extensions: [ext('101')] }) });
  t.after(() => r.close());
  assert.equal((await r.phone('101').call('999', r.port)).status, 480);
});
