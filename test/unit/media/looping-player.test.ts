/** Music on hold: rounds follow each other on the 20 ms grid with continuous sequence and timestamps. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { LoopingPlayer, RtpPlayer } from '../../../src/media/index.js';
import { parseRtpHeader } from '../../../src/rtp/index.js';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

async function run(clock: ManualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 5) {
    clock.advance(5);
    await flush();
  }
}

test('three rounds of a 60 ms WAV: a packet every 20 ms, sequence +1 and timestamp +160 each, marker only on the first', async () => {
  const clock = new ManualClock();
  const sent: { at: number; seq: number; ts: number; marker: boolean }[] = [];
  const player = new RtpPlayer({ clock, law: 'ulaw', ssrc: 1, firstSequence: 100, firstTimestamp: 1000, send: (p) => {
    const h = parseRtpHeader(p);
    sent.push({ at: clock.now(), seq: h.sequenceNumber, ts: h.timestamp, marker: h.marker });
  } });
  const moh = new LoopingPlayer(player, clock, new Int16Array(480));
  moh.start();
  moh.start(); // already running: no second round
  await run(clock, 175);
  assert.equal(moh.rounds, 3);
  assert.deepEqual(sent.map((s) => s.at), Array.from({ length: 9 }, (_, i) => i * 20));
  assert.deepEqual(sent.map((s) => s.seq), Array.from({ length: 9 }, (_, i) => 100 + i));
  assert.deepEqual(sent.map((s) => s.ts), Array.from({ length: 9 }, (_, i) => 1000 + i * 160));
  assert.deepEqual(sent.map((s) => s.marker), [true, false, false, false, false, false, false, false, false]);
  moh.stop();
  const count = sent.length;
  await run(clock, 200);
  assert.equal(sent.length, count, 'nothing after stop');
  assert.equal(moh.running, false);
  moh.start();
  await run(clock, 5);
  assert.equal(sent.at(-1)?.marker, true, 'restarted after the hold: a new talkspurt');
  moh.close();
  moh.close();
  assert.equal(moh.running, false);
});

test('an empty WAV does not start', () => {
  const clock = new ManualClock();
  const moh = new LoopingPlayer(new RtpPlayer({ clock, law: 'alaw', send: () => assert.fail('sent') }), clock, new Int16Array(0));
  moh.start();
  assert.equal(moh.running, false);
  assert.equal(clock.pending, 0);
});
