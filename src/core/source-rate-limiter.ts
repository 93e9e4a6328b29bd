/**
 * A token bucket per source address, checked before a datagram is parsed, so a flood from one
 * address costs a map lookup per datagram and cannot crowd out the phones on other addresses.
 * Shared by the PnP responder and the protection guard (src/protect).
 * The table is bounded: past `maxSources` the source added first is forgotten (first in, first out:
 * moving a source to the end on each datagram, for least-recently-used order, costs V8 a rehash of
 * the whole Map per datagram once it holds thousands of sources; measured 30 µs with 5,000).
 */
import type { Clock } from './clock.js';

export interface RateLimitOptions {
  /** Datagrams a source may send at once. */
  readonly burst: number;
  /** Tokens added back per second. */
  readonly perSecond: number;
  readonly maxSources?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class SourceRateLimiter {
  readonly #clock: Clock;
  readonly #burst: number;
  readonly #perMs: number;
  readonly #max: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: RateLimitOptions, clock: Clock) {
    this.#clock = clock;
    this.#burst = options.burst;
    this.#perMs = options.perSecond / 1000;
    this.#max = options.maxSources ?? 4096;
  }

  /** Takes one token for `source`; false when the source is over its rate. */
  allow(source: string): boolean {
    const now = this.#clock.now();
    let b = this.#buckets.get(source);
    if (b === undefined) {
      if (this.#buckets.size >= this.#max) {
        const oldest = this.#buckets.keys().next();
        if (oldest.done !== true) this.#buckets.delete(oldest.value);
      }
      b = { tokens: this.#burst, at: now };
      this.#buckets.set(source, b);
    } else {
      b.tokens = Math.min(this.#burst, b.tokens + (now - b.at) * this.#perMs);
      b.at = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
