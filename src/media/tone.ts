/**
 * Test tones and their detection, for the demo's built-in phones (`sbc-agent demo --call`): a sine
 * tone as 8 kHz linear PCM, and the Goertzel algorithm (the DTMF detector's, ITU-T Q.24 receivers)
 * to tell which of a few frequencies dominates what arrived. Pure functions.
 */

export const TONE_SAMPLE_RATE = 8000;

/** `durationMs` of a sine at `frequencyHz`, amplitude `amplitude` (of 32767). */
export function toneSamples(frequencyHz: number, durationMs: number, amplitude = 8000): Int16Array {
  const count = Math.round((durationMs * TONE_SAMPLE_RATE) / 1000);
  const out = new Int16Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / TONE_SAMPLE_RATE));
  return out;
}

/** The power of `frequencyHz` in `samples` (Goertzel), normalised by the sample count. */
export function goertzelPower(samples: Int16Array, frequencyHz: number): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * frequencyHz) / TONE_SAMPLE_RATE);
  let s1 = 0;
  let s2 = 0;
  for (const x of samples) {
    const s0 = x + coefficient * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const n = Math.max(1, samples.length);
  return (s1 * s1 + s2 * s2 - coefficient * s1 * s2) / (n * n);
}

/** Root mean square of the samples (0 for silence). */
export function rms(samples: Int16Array): number {
  let sum = 0;
  for (const x of samples) sum += x * x;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

/** Which of `candidates` carries the most power in `samples`; undefined for silence or no samples. */
export function dominantFrequency(samples: Int16Array, candidates: readonly number[], silenceRms = 100): number | undefined {
  if (samples.length === 0 || rms(samples) < silenceRms) return undefined;
  let best: number | undefined;
  let bestPower = -1;
  for (const f of candidates) {
    const p = goertzelPower(samples, f);
    if (p > bestPower) {
      bestPower = p;
      best = f;
    }
  }
  return best;
}
