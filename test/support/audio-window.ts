/**
 * What a baresip phone heard over a stretch of a call that is still up: its sndfile recording
 * (16-bit PCM WAV) grows as frames are decoded, so the samples past a mark are the audio since
 * then. A stretch counts as heard when it has about as many samples as wall-clock time passed,
 * nearly all its 20 ms frames are loud, and their tone is the far phone's.
 */
import { readGrowingPcmWav as readPcm } from './baresip.js';

const FRAME = 160;
const LOUD_RMS = 1000;

export interface HeardStretch {
  /** Seconds of audio recorded in the stretch. */
  readonly seconds: number;
  /** Share of its 20 ms frames that are loud (0–1). */
  readonly loud: number;
  /** Dominant frequency of its loud frames by zero crossings (0 when none). */
  readonly hz: number;
}

/** The number of samples recorded so far: a mark for `heardSince`. */
export function recordedSamples(path: string): number {
  return readPcm(path).samples.length;
}

export function heardSince(path: string, mark: number): HeardStretch {
  const { samples, rate } = readPcm(path);
  const part = samples.subarray(Math.min(mark, samples.length));
  let frames = 0;
  let loudFrames = 0;
  let crossings = 0;
  let loudSamples = 0;
  let previousLoud = false;
  for (let f = 0; f + FRAME <= part.length; f += FRAME) {
    frames++;
    let energy = 0;
    for (let i = f; i < f + FRAME; i++) energy += (part[i] ?? 0) ** 2;
    const loud = Math.sqrt(energy / FRAME) >= LOUD_RMS;
    if (loud) {
      loudFrames++;
      loudSamples += FRAME;
      // The crossing between two loud frames counts too (else a tone reads a few per cent low).
      for (let i = previousLoud ? f : f + 1; i < f + FRAME; i++) if (((part[i - 1] ?? 0) < 0) !== ((part[i] ?? 0) < 0)) crossings++;
    }
    previousLoud = loud;
  }
  return { seconds: part.length / rate, loud: frames === 0 ? 0 : loudFrames / frames, hz: loudSamples === 0 ? 0 : Math.round(crossings / 2 / (loudSamples / rate)) };
}
