/** WavRecorder: G.711 payloads → PCM by timestamp → WAV that wav.ts reads back; bounded; fast-check round trip. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WavRecorder, decodeG711, encodeG711, encodeWav, readPromptWav } from '../../../src/media/index.js';

test('WAV writer → reader round trip: any 16-bit samples come back the same', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 2000 }), (values) => {
      const samples = Int16Array.from(values);
      assert.deepEqual(readPromptWav(encodeWav(samples), 'x.wav'), samples);
    }),
  );
});

test('recorded µ-law packets come back as their decoded PCM, in timestamp order whatever the arrival order', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ minLength: 160, maxLength: 160 }), { minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 0xffffffff }), fc.nat(), (payloads, firstTs, seed) => {
      const r = new WavRecorder({ law: 'ulaw' });
      const order = payloads.map((_, i) => i);
      // The first packet arrives first (it sets the origin); the rest in a shuffled order.
      const rest = order.slice(1).sort((a, b) => ((a * 7919 + seed) % 97) - ((b * 7919 + seed) % 97));
      for (const i of [0, ...rest]) r.push((firstTs + i * 160) >>> 0, Buffer.from(payloads[i] ?? []));
      const expected = decodeG711(Buffer.concat(payloads.map((p) => Buffer.from(p))), 'ulaw');
      assert.deepEqual(readPromptWav(r.toWav(), 'm.wav'), expected);
    }),
  );
});

test('a lost packet leaves 20 ms of silence; the timestamp wrap is followed; maxSeconds bounds the recording', () => {
  const loud = encodeG711(new Int16Array(160).fill(5000), 'alaw');
  const r = new WavRecorder({ law: 'alaw', maxSeconds: 0.06 });
  r.push(0xffffff60, loud); // 160 samples before the 32-bit wrap
  r.push(0x000000a0, loud); // 2 packets later, across the wrap (one lost)
  r.push(0x00000140, loud); // beyond 60 ms (480 samples): dropped
  const s = r.samples();
  assert.equal(s.length, 480);
  assert.ok(s.subarray(160, 320).every((v) => v === 0), 'silence where the packet was lost');
  assert.ok(s.subarray(320, 480).every((v) => v > 4000));
  assert.equal(r.dropped, 160);
  assert.equal(r.seconds, 0.06);
});

test('a packet from before the first one recorded is dropped; a jump of more than 10 s starts a new timeline at the end', () => {
  const tone = (v: number): Buffer => encodeG711(new Int16Array(160).fill(v), 'ulaw');
  const r = new WavRecorder({ law: 'ulaw' });
  r.push(16000, tone(1000));
  r.push(15840, tone(2000)); // 20 ms earlier, arrived late
  r.push(16000 + 8000 * 60, tone(3000)); // a sender that restarted its timestamps: appended, not a minute of silence
  const s = r.samples();
  assert.equal(s.length, 320);
  assert.equal(r.dropped, 160);
  assert.ok(s.subarray(0, 160).every((v) => v > 900 && v < 1100));
  assert.ok(s.subarray(160).every((v) => v > 2800));
});
