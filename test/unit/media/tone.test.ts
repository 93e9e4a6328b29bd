/**
 * Test tones for the demo's built-in phones: a sine as 8 kHz PCM and the Goertzel detector that
 * tells which of the two demo frequencies arrived, also after a G.711 µ-law round trip; silence and
 * nothing are no frequency.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeG711, dominantFrequency, encodeG711, goertzelPower, rms, toneSamples } from '../../../src/media/index.js';

const CANDIDATES = [440, 1000];

test('a 2 s tone is 16,000 samples at the asked amplitude', () => {
  const tone = toneSamples(440, 2000, 8000);
  assert.equal(tone.length, 16_000);
  assert.ok(Math.max(...tone) <= 8000 && Math.max(...tone) >= 7990, String(Math.max(...tone)));
  // A sine's RMS is its amplitude / √2.
  assert.ok(Math.abs(rms(tone) - 8000 / Math.SQRT2) < 20, String(rms(tone)));
});

for (const f of CANDIDATES) {
  test(`${f} Hz is found among ${CANDIDATES.join(' and ')} Hz, raw and after PCMU`, () => {
    const tone = toneSamples(f, 200);
    assert.equal(dominantFrequency(tone, CANDIDATES), f);
    assert.equal(dominantFrequency(decodeG711(encodeG711(tone, 'ulaw'), 'ulaw'), CANDIDATES), f);
    const other = CANDIDATES.find((c) => c !== f) ?? 0;
    assert.ok(goertzelPower(tone, f) > 100 * goertzelPower(tone, other));
  });
}

const nothing: { name: string; samples: Int16Array }[] = [
  { name: 'no samples', samples: new Int16Array(0) },
  { name: 'digital silence', samples: new Int16Array(1600) },
  { name: 'PCMU silence decoded', samples: decodeG711(encodeG711(new Int16Array(1600), 'ulaw'), 'ulaw') },
  { name: 'a whisper below the threshold', samples: toneSamples(440, 200, 50) },
];

for (const c of nothing) {
  test(`no frequency in ${c.name}`, () => {
    assert.equal(dominantFrequency(c.samples, CANDIDATES), undefined);
  });
}
