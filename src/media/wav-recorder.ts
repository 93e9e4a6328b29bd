/**
 * Records the audio a phone sends: G.711 RTP payloads decoded to 8 kHz linear PCM, placed by
 * their RTP timestamp (a lost packet leaves silence where it was, a reordered one lands in its
 * place, a duplicate overwrites the same samples), then written as a WAV file (wav.ts encodeWav).
 * Bounded: samples past `maxSeconds` are dropped and counted, so a call left open cannot fill
 * memory. Pure; the caller writes the bytes (voicemail does it crash-safely).
 */
import { decodeG711, type G711Law } from './g711.js';
import { PROMPT_SAMPLE_RATE, encodeWav } from './wav.js';

export interface WavRecorderOptions {
  readonly law: G711Law;
  /** Default 300 s. */
  readonly maxSeconds?: number;
}

/** A timestamp jump larger than this (10 s) is a new timeline, not a gap (a sender that restarted). */
const MAX_GAP_SAMPLES = 10 * PROMPT_SAMPLE_RATE;

export class WavRecorder {
  readonly #law: G711Law;
  readonly #maxSamples: number;
  #pcm: Int16Array;
  #length = 0;
  /** RTP timestamp of sample 0 of the current timeline, and where that timeline starts in #pcm. */
  #origin: { timestamp: number; at: number } | undefined;
  #dropped = 0;

  constructor(o: WavRecorderOptions) {
    this.#law = o.law;
    this.#maxSamples = Math.round((o.maxSeconds ?? 300) * PROMPT_SAMPLE_RATE);
    this.#pcm = new Int16Array(Math.min(this.#maxSamples, PROMPT_SAMPLE_RATE * 10));
  }

  get seconds(): number {
    return this.#length / PROMPT_SAMPLE_RATE;
  }

  /** Samples that fell beyond maxSeconds, or came from before the first packet recorded. */
  get dropped(): number {
    return this.#dropped;
  }

  /** One RTP packet's G.711 payload and its RTP timestamp. */
  push(timestamp: number, payload: Buffer): void {
    const samples = decodeG711(payload, this.#law);
    if (this.#origin === undefined) this.#origin = { timestamp, at: 0 };
    // Offset from the timeline's origin, modulo 2^32 as RTP timestamps wrap (RFC 3550 §5.1).
    let offset = ((timestamp - this.#origin.timestamp) | 0) + this.#origin.at;
    if (offset < 0 && offset > -MAX_GAP_SAMPLES) {
      // Sent before the first packet recorded but arrived after it: too late to place.
      this.#dropped += samples.length;
      return;
    }
    if (offset < 0 || offset - this.#length > MAX_GAP_SAMPLES) {
      this.#origin = { timestamp, at: this.#length };
      offset = this.#length;
    }
    const end = Math.min(offset + samples.length, this.#maxSamples);
    this.#dropped += offset + samples.length - end;
    if (end <= offset) return;
    this.#ensure(end);
    this.#pcm.set(samples.subarray(0, end - offset), offset);
    this.#length = Math.max(this.#length, end);
  }

  /** The PCM recorded so far (a copy). */
  samples(): Int16Array {
    return this.#pcm.slice(0, this.#length);
  }

  /** The recording as a WAV file: 8 kHz, 16-bit, mono PCM. */
  toWav(): Buffer {
    return encodeWav(this.samples());
  }

  #ensure(size: number): void {
    if (size <= this.#pcm.length) return;
    const grown = new Int16Array(Math.min(this.#maxSamples, Math.max(size, this.#pcm.length * 2)));
    grown.set(this.#pcm.subarray(0, this.#length));
    this.#pcm = grown;
  }
}
