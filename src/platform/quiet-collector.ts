/**
 * One full garbage collection when the process falls quiet after a busy spell, so that the heap a
 * load left behind is given back rather than kept until the next load.
 *
 * Why: V8 collects when JavaScript allocates. When the calls stop, the agent and the hub allocate
 * almost nothing, so no collection comes: measured by `npm run bench:calls -- --memory-dir`, 60 s
 * after 300 concurrent calls and 30 s at 100 calls/s the hub still held a 77 MiB heap with 54 MiB
 * "used", of which 36 MiB was garbage (a full collection left 18 MiB), and its memory stayed at
 * the peak (PSS 101 MiB, idle 46). V8's memory reducer, meant to shrink the heap of an idle
 * program, did not in these runs. A collection made once the process has been quiet for one
 * interval lets V8 shrink the heap and unmap its pages.
 *
 * Quiet: the event loop was busy less than `quietLoad` of one interval (under load it is not: a
 * collection of a big heap in the middle of calls would delay their packets), and heap use grew
 * by less than `quietBytes` over it with no collection between (use fell: a collection ran, so the
 * process allocated). Worth collecting: the heap's committed size is more than `slackBytes` above
 * the smallest seen (the idle figure). V8 gives committed pages back over several collections, so
 * a quiet process may be collected again, at most once per `spacingMs`, until its heap is back
 * within the slack; a collection after which nothing came back by the next one makes the present
 * size the new idle figure (the live data grew: more phones registered), so a process that stays
 * quiet is not collected forever.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Clock, Timer } from '../core/index.js';

export interface HeapReading {
  /** Bytes of the heap in use (live objects and garbage not yet collected). */
  readonly used: number;
  /** Bytes the heap has committed. */
  readonly total: number;
}

export interface QuietCollectorOptions {
  readonly clock: Clock;
  /** How often the heap is read; default 5 s. */
  readonly intervalMs?: number;
  /** Growth of heap use over one interval below which the process is quiet; default 1 MiB. */
  readonly quietBytes?: number;
  /** Share of an interval the event loop may be busy for the process to count as quiet; default 0.05. */
  readonly quietLoad?: number;
  /** The event loop's busy share since the previous call; default from performance.eventLoopUtilization(). */
  readonly loopLoad?: () => number;
  /** Committed heap above the idle figure that makes a collection worth it; default 8 MiB. */
  readonly slackBytes?: number;
  /** The shortest time between two collections; default 20 s. */
  readonly spacingMs?: number;
  /** Reads the heap; default v8.getHeapStatistics(). */
  readonly read?: () => HeapReading;
  /** A full collection; default V8's gc(). */
  readonly collect?: () => void;
  /** Told after each collection, with the readings before and after it. */
  readonly onCollected?: (before: HeapReading, after: HeapReading) => void;
}

/** A reader of the event loop's busy share, each call covering the time since the previous one. */
export function eventLoopLoad(): () => number {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const share = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    return share;
  };
}

/** V8's heap as this process sees it. */
export function readHeap(): HeapReading {
  const s = getHeapStatistics();
  return { used: s.used_heap_size, total: s.total_heap_size };
}

let gc: (() => void) | undefined;

/**
 * A full collection without `--expose-gc` on the command line: the flag set at run time exposes
 * gc() in contexts created afterwards, so it is taken from a new one (once).
 */
export function fullCollection(): void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

export class QuietCollector {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #quietBytes: number;
  readonly #quietLoad: number;
  readonly #loopLoad: () => number;
  readonly #slackBytes: number;
  readonly #spacingMs: number;
  readonly #read: () => HeapReading;
  readonly #collect: () => void;
  readonly #onCollected: ((before: HeapReading, after: HeapReading) => void) | undefined;
  #timer: Timer | undefined;
  #previous: HeapReading | undefined;
  /** The smallest committed heap seen: the idle figure. */
  #baseline = 0;
  #lastCollection = Number.NEGATIVE_INFINITY;
  /** The committed heap when the last collection of this quiet spell was made. */
  #collectedAt: number | undefined;
  #collections = 0;
  #closed = false;

  constructor(options: QuietCollectorOptions) {
    this.#clock = options.clock;
    this.#intervalMs = options.intervalMs ?? 5_000;
    this.#quietBytes = options.quietBytes ?? 1024 * 1024;
    this.#quietLoad = options.quietLoad ?? 0.05;
    this.#loopLoad = options.loopLoad ?? eventLoopLoad();
    this.#slackBytes = options.slackBytes ?? 8 * 1024 * 1024;
    this.#spacingMs = options.spacingMs ?? 20_000;
    this.#read = options.read ?? readHeap;
    this.#collect = options.collect ?? fullCollection;
    this.#onCollected = options.onCollected;
  }

  /** Collections made so far. */
  get collections(): number {
    return this.#collections;
  }

  start(): void {
    if (this.#closed || this.#timer !== undefined) return;
    const first = this.#read();
    this.#loopLoad();
    this.#previous = first;
    this.#baseline = first.total;
    this.#arm();
  }

  /** Stops reading the heap. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #arm(): void {
    this.#timer = this.#clock.setTimeout(() => this.#tick(), this.#intervalMs);
  }

  #tick(): void {
    const now = this.#read();
    const previous = this.#previous;
    this.#previous = now;
    this.#baseline = Math.min(this.#baseline, now.total);
    const load = this.#loopLoad();
    const quiet = load < this.#quietLoad && previous !== undefined && now.used >= previous.used && now.used - previous.used < this.#quietBytes;
    // Progress is judged between collections, not right after one: V8 releases the pages a
    // collection freed later (at its next collection, or when its sweeper is done).
    if (!quiet) this.#collectedAt = undefined;
    const at = this.#clock.now();
    if (quiet && now.total > this.#baseline + this.#slackBytes && at - this.#lastCollection >= this.#spacingMs) {
      if (this.#collectedAt !== undefined && now.total > this.#collectedAt - 1024 * 1024) {
        // The last collection gave nothing back: the live data grew; this is the idle figure now.
        this.#baseline = now.total;
        this.#collectedAt = undefined;
      } else {
        this.#collect();
        this.#collections++;
        this.#lastCollection = at;
        this.#collectedAt = now.total;
        const after = this.#read();
        this.#previous = after;
        this.#onCollected?.(now, after);
      }
    }
    if (!this.#closed) this.#arm();
  }
}
