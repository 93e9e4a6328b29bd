/**
 * The last hour of a few numbers for the status pages' plots (tunnel RTT, active calls): a fixed
 * ring of samples taken every `intervalMs` by the injected clock, so memory stays bounded however
 * long the agent runs and nothing is kept on disk. The API hands the ring out as column arrays
 * (`{ t, <field>... }`), the shape uPlot draws without conversion; a missing value is `null`
 * (uPlot leaves a gap there, e.g. RTT while the tunnel is down).
 */
import type { Clock, Timer } from '../core/index.js';

/** One sample: a value per field, `null` where there was none. */
export type Sample = Readonly<Record<string, number | null>>;

/** Column arrays: `t` in Unix seconds (as uPlot's time axis takes it), then one array per field. */
export interface HistorySeries {
  readonly intervalMs: number;
  readonly t: number[];
  readonly fields: Readonly<Record<string, Array<number | null>>>;
}

/**
 * A fixed-size ring of timed samples; the oldest is overwritten once it is full. A field first
 * seen in a later sample (an SBC added on the hub) gets a column of `null` for the samples before.
 */
export class SampleRing {
  readonly #capacity: number;
  readonly #times: number[] = [];
  readonly #values = new Map<string, Array<number | null>>();
  #next = 0;

  constructor(capacity: number, fields: readonly string[] = []) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a whole number ≥ 1, not ${capacity}`);
    this.#capacity = capacity;
    for (const name of fields) this.#values.set(name, []);
  }

  get size(): number {
    return this.#times.length;
  }

  /** Adds a sample taken at `wallMs`; known fields absent from `sample` are recorded as `null`. */
  push(wallMs: number, sample: Sample): void {
    const at = this.#times.length < this.#capacity ? this.#times.length : this.#next;
    for (const name of Object.keys(sample)) if (!this.#values.has(name)) this.#values.set(name, this.#times.map(() => null));
    this.#times[at] = Math.round(wallMs / 1000);
    for (const [name, column] of this.#values) {
      const v = sample[name];
      column[at] = typeof v === 'number' && Number.isFinite(v) ? v : null;
    }
    this.#next = (at + 1) % this.#capacity;
  }

  /** Oldest first. */
  series(intervalMs: number): HistorySeries {
    const full = this.#times.length === this.#capacity;
    const order = <T>(a: readonly T[]): T[] => (full ? [...a.slice(this.#next), ...a.slice(0, this.#next)] : [...a]);
    const fields: Record<string, Array<number | null>> = {};
    for (const [name, column] of this.#values) fields[name] = order(column);
    return { intervalMs, t: order(this.#times), fields };
  }
}

export interface HistoryOptions {
  readonly clock: Clock;
  /** Time between samples; the ring holds `windowMs / intervalMs` of them. */
  readonly intervalMs: number;
  readonly windowMs: number;
  readonly fields: readonly string[];
  /** Reads the numbers now; a failure skips this sample (the plot shows a gap in time). */
  readonly sample: () => Sample | Promise<Sample>;
}

/** Samples on a timer into a ring; `start()` takes the first sample at once. */
export class History {
  readonly #o: HistoryOptions;
  readonly #ring: SampleRing;
  #timer: Timer | undefined;
  #closed = false;

  constructor(o: HistoryOptions) {
    this.#o = o;
    this.#ring = new SampleRing(Math.max(1, Math.ceil(o.windowMs / o.intervalMs)), o.fields);
  }

  start(): void {
    if (this.#closed || this.#timer !== undefined) return;
    void this.sampleNow();
    this.#timer = this.#o.clock.setInterval(() => void this.sampleNow(), this.#o.intervalMs);
  }

  /** Takes one sample now (the timer calls it; tests may too). */
  async sampleNow(): Promise<void> {
    const at = this.#o.clock.wallNow();
    let sample: Sample;
    try {
      sample = await this.#o.sample();
    } catch {
      return;
    }
    if (!this.#closed) this.#ring.push(at, sample);
  }

  series(): HistorySeries {
    return this.#ring.series(this.#o.intervalMs);
  }

  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }
}
