/**
 * Authentication failures per source address, bounded (an LRU of the most recent sources). Counted
 * and logged now; the hardening work blocks a source above a threshold.
 */
import { LRUCache } from 'lru-cache';

export const MAX_FAILURE_SOURCES = 10_000;

export class FailureCounter {
  readonly #counts = new LRUCache<string, number>({ max: MAX_FAILURE_SOURCES });
  #total = 0;

  /** Counts one failure from `address`; returns that source's count. */
  add(address: string): number {
    const count = (this.#counts.get(address) ?? 0) + 1;
    this.#counts.set(address, count);
    this.#total++;
    return count;
  }

  of(address: string): number {
    return this.#counts.get(address) ?? 0;
  }

  get total(): number {
    return this.#total;
  }

  /** The sources with the most failures first. */
  top(n: number): { address: string; failures: number }[] {
    return [...this.#counts.entries()].map(([address, failures]) => ({ address, failures })).sort((a, b) => b.failures - a.failures).slice(0, n);
  }
}
