/**
 * The status page's per-call plot: jitter (ms) and loss (%) of each direction over each active
 * call's life, sampled from the calls document (`/api/calls`) every `intervalMs`. Loss is of the
 * interval (lost ÷ expected since the sample before, RFC 3550 §6.4.1's "fraction lost" over our own
 * interval), so a burst shows where it happened rather than being averaged into the whole call;
 * jitter is the RFC 3550 A.8 estimate at the sample. A call with several streams (audio and
 * video) is plotted by its worst stream. Bounded: `capacity` samples per call (the oldest
 * overwritten) and `maxCalls` calls (a new call beyond that is not plotted); an ended call's ring
 * is dropped at the next sample.
 */
import type { Clock, Timer } from '../core/index.js';
import type { CallRow, CallsDocument } from '../sbc/index.js';
import { SampleRing, type HistorySeries } from './history.js';

export const CALL_PLOT_FIELDS = ['jitterFromPhoneMs', 'jitterToPhoneMs', 'lossFromPhonePct', 'lossToPhonePct'] as const;

/** `GET /api/calls/history`: per Call-ID, column arrays as `/api/history` (t in Unix seconds). */
export interface CallPlotsDocument {
  readonly intervalMs: number;
  readonly calls: Readonly<Record<string, HistorySeries>>;
}

export interface CallPlotsOptions {
  readonly clock: Clock;
  readonly intervalMs: number;
  /** Samples kept per call. */
  readonly capacity: number;
  /** Calls plotted at once. */
  readonly maxCalls: number;
  readonly calls: () => Promise<CallsDocument>;
}

interface Counters {
  packets: number;
  lost: number;
}

interface CallTrack {
  readonly ring: SampleRing;
  /** The counters at the sample before, per stream and direction (`<leg>/<stream>/<dir>`). */
  readonly last: Map<string, Counters>;
}

type Direction = 'fromEdge' | 'toEdge';

function maxOrNull(values: readonly (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : Math.max(...present);
}

export class CallPlots {
  readonly #o: CallPlotsOptions;
  readonly #tracks = new Map<string, CallTrack>();
  #timer: Timer | undefined;
  #closed = false;

  constructor(o: CallPlotsOptions) {
    this.#o = o;
  }

  start(): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#timer = this.#o.clock.setInterval(() => void this.sampleNow(), this.#o.intervalMs);
  }

  /** Reads the calls and samples them (the timer calls it; tests may too); a failed read skips. */
  async sampleNow(): Promise<void> {
    const at = this.#o.clock.wallNow();
    let doc: CallsDocument;
    try {
      doc = await this.#o.calls();
    } catch {
      return;
    }
    if (!this.#closed) this.add(at, doc.calls);
  }

  /** One sample of every call in `rows` at `wallMs`; calls not in `rows` have ended. */
  add(wallMs: number, rows: readonly CallRow[]): void {
    const byCall = new Map<string, CallRow[]>();
    for (const row of rows) byCall.set(row.callId, [...(byCall.get(row.callId) ?? []), row]);
    for (const callId of this.#tracks.keys()) if (!byCall.has(callId)) this.#tracks.delete(callId);
    for (const [callId, callRows] of byCall) {
      let track = this.#tracks.get(callId);
      if (track === undefined) {
        if (this.#tracks.size >= this.#o.maxCalls) continue;
        track = { ring: new SampleRing(this.#o.capacity, CALL_PLOT_FIELDS), last: new Map() };
        this.#tracks.set(callId, track);
      }
      const jitter = (dir: Direction): number | null => maxOrNull(callRows.map((r) => r[dir]?.jitterMs ?? null));
      const loss = (dir: Direction): number | null => maxOrNull(callRows.map((r) => this.#intervalLoss(track, `${r.leg}/${r.stream}/${dir}`, r[dir])));
      track.ring.push(wallMs, {
        jitterFromPhoneMs: jitter('fromEdge'), jitterToPhoneMs: jitter('toEdge'),
        lossFromPhonePct: loss('fromEdge'), lossToPhonePct: loss('toEdge'),
      });
    }
  }

  /** Lost ÷ expected since the last sample, in %; null when no packet was expected. */
  #intervalLoss(track: CallTrack, key: string, now: { readonly packets: number; readonly lost: number } | undefined): number | null {
    if (now === undefined) return null;
    const before = track.last.get(key) ?? { packets: 0, lost: 0 };
    track.last.set(key, { packets: now.packets, lost: now.lost });
    // A counter that went back (a stream restarted) starts a new interval from zero.
    const packets = now.packets >= before.packets ? now.packets - before.packets : now.packets;
    const lost = Math.max(0, now.lost >= before.lost ? now.lost - before.lost : now.lost);
    const expected = packets + lost;
    return expected === 0 ? null : Math.round((lost / expected) * 10_000) / 100;
  }

  document(): CallPlotsDocument {
    const calls: Record<string, HistorySeries> = {};
    for (const [callId, track] of this.#tracks) calls[callId] = track.ring.series(this.#o.intervalMs);
    return { intervalMs: this.#o.intervalMs, calls };
  }

  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#tracks.clear();
  }
}
