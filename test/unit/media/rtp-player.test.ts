/** The RTP player on a manual clock: 20 ms pacing, sequence and timestamp continuity, marker bits. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { RtpPlayer, decodeG711 } from '../../../src/media/index.js';
import { parseRtpHeader } from '../../../src/rtp/index.js';

interface Sent {
  readonly at: number;
  readonly seq: number;
  readonly ts: number;
  readonly marker: boolean;
  readonly pt: number;
  readonly ssrc: number;
  readonly payload: Buffer;
}

function rig(law: 'ulaw' | 'alaw' = 'ulaw'): { clock: ManualClock; sent: Sent[]; player: RtpPlayer } {
  const clock = new ManualClock();
  const sent: Sent[] = [];
  const player = new RtpPlayer({
    clock, law, ssrc: 0x11223344, firstSequence: 65534, firstTimestamp: 0xffffff00,
    send: (p) => {
      const h = parseRtpHeader(p);
      sent.push({ at: clock.now(), seq: h.sequenceNumber, ts: h.timestamp, marker: h.marker, pt: h.payloadType, ssrc: h.ssrc, payload: p.subarray(h.headerLength) });
    },
  });
  return { clock, sent, player };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

test('one second of audio: 50 packets of 160 samples every 20 ms, sequence and timestamp wrap, marker on the first only', async () => {
  const { clock, sent, player } = rig();
  const samples = Int16Array.from({ length: 8000 }, (_, i) => (i % 160) * 100);
  const done = player.play(samples);
  for (let t = 0; t < 1000; t += 5) clock.advance(5);
  assert.deepEqual(await done, { packets: 50, stopped: false });
  assert.equal(sent.length, 50);
  assert.deepEqual(sent.map((s) => s.at), Array.from({ length: 50 }, (_, i) => clock.now() - 1000 + i * 20));
  assert.deepEqual(sent.slice(0, 4).map((s) => s.seq), [65534, 65535, 0, 1]);
  for (let i = 1; i < sent.length; i++) {
    assert.equal(sent[i]!.seq, (sent[i - 1]!.seq + 1) & 0xffff);
    assert.equal(sent[i]!.ts, (sent[i - 1]!.ts + 160) >>> 0);
  }
  assert.equal(sent[2]!.ts, 0x40, 'the timestamp wraps at 2^32');
  assert.deepEqual(sent.map((s) => s.marker), [true, ...Array.from({ length: 49 }, () => false)]);
  assert.ok(sent.every((s) => s.pt === 0 && s.ssrc === 0x11223344 && s.payload.length === 160));
  // The samples come back out of the payloads (within G.711's quantization).
  const back = decodeG711(Buffer.concat(sent.map((s) => s.payload)), 'ulaw');
  assert.ok(back.every((v, i) => Math.abs(v - (samples[i] ?? 0)) <= Math.abs(samples[i] ?? 0) / 16 + 8));
});

test('a late timer sends the packets that are due at once, each once; a short last packet is padded with silence', async () => {
  const { clock, sent, player } = rig('alaw');
  const done = player.play(new Int16Array(8 * 70)); // 70 ms: four packets, the last half silence
  clock.advance(100);
  await done;
  assert.equal(sent.length, 4);
  assert.deepEqual(sent.map((s) => s.seq), [65534, 65535, 0, 1]);
  assert.ok(sent.every((s) => s.pt === 8 && s.payload.length === 160));
  assert.ok(sent[3]!.payload.subarray(80).every((b) => b === 0xd5), 'A-law silence');
});

test('a second prompt after a pause: same SSRC, sequence goes on, timestamp advances by the pause, marker again', async () => {
  const { clock, sent, player } = rig();
  const first = player.play(new Int16Array(320));
  clock.advance(40);
  await first;
  clock.advance(1000);
  const second = player.play(new Int16Array(320));
  clock.advance(40);
  await second;
  assert.deepEqual(sent.map((s) => s.seq), [65534, 65535, 0, 1]);
  assert.deepEqual(sent.map((s) => s.marker), [true, false, true, false]);
  // Sampling instants: packet 2 starts 1040 ms after packet 0 → 8,320 timestamp units.
  assert.equal((sent[2]!.ts - sent[0]!.ts) >>> 0, 8320);
  assert.equal(new Set(sent.map((s) => s.ssrc)).size, 1);
});

test('stop() ends a prompt at once; a new play() replaces the one playing; close() refuses more', async () => {
  const { clock, sent, player } = rig();
  const long = player.play(new Int16Array(8000));
  clock.advance(60);
  player.stop();
  assert.deepEqual(await long, { packets: 4, stopped: true });
  clock.advance(200);
  assert.equal(sent.length, 4, 'nothing after stop');
  const a = player.play(new Int16Array(8000));
  clock.advance(20);
  const b = player.play(new Int16Array(160));
  assert.equal((await a).stopped, true);
  clock.advance(20);
  await flush();
  assert.equal((await b).stopped, false);
  player.close();
  assert.deepEqual(await player.play(new Int16Array(160)), { packets: 0, stopped: true });
});
