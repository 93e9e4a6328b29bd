/**
 * Slows down and then locks out an address that keeps presenting wrong auth keys. Each wrong key
 * within WINDOW doubles the delay before the hub answers (baseDelay, 2×, 4×... up to maxDelay);
 * the maxFailures-th locks the address out for `lockout` (HTTP 429 with Retry-After). Tracking is
 * bounded (lru-cache): a flood of addresses evicts the oldest entries rather than growing memory.
 * IPv6 addresses are grouped by /64, the usual size of one customer's network.
 */
import { LRUCache } from 'lru-cache';
import { isIpv6Literal, type Clock } from '../../core/index.js';

export interface LockoutPolicy {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly lockoutMs: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxTracked: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = { maxFailures: 5, windowMs: 15 * 60_000, lockoutMs: 15 * 60_000, baseDelayMs: 250, maxDelayMs: 4000, maxTracked: 10_000 };

interface Entry {
  failures: number;
  firstFailureAt: number;
  lockedUntil: number;
}

export type LimiterVerdict = { readonly locked: false } | { readonly locked: true; readonly retryAfterMs: number };

/** The key an address is tracked under. */
export function addressKey(address: string): string {
  const plain = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  if (!isIpv6Literal(plain)) return plain;
  const [head = '', tail = ''] = plain.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = plain.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '').toLowerCase()).join(':')}::/64`;
}

export class AttemptLimiter {
  readonly #clock: Clock;
  readonly #policy: LockoutPolicy;
  readonly #entries: LRUCache<string, Entry>;

  constructor(clock: Clock, policy: LockoutPolicy = DEFAULT_LOCKOUT) {
    this.#clock = clock;
    this.#policy = policy;
    this.#entries = new LRUCache({ max: policy.maxTracked });
  }

  get tracked(): number {
    return this.#entries.size;
  }

  #entry(address: string): Entry | undefined {
    const key = addressKey(address);
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    const now = this.#clock.now();
    if (entry.lockedUntil <= now && now - entry.firstFailureAt >= this.#policy.windowMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Whether the address is locked out right now. */
  check(address: string): LimiterVerdict {
    const entry = this.#entry(address);
    const now = this.#clock.now();
    if (entry === undefined || entry.lockedUntil <= now) return { locked: false };
    return { locked: true, retryAfterMs: entry.lockedUntil - now };
  }

  /** Records a wrong key; returns how long to hold the answer back, and whether this locked the address out. */
  recordFailure(address: string): { readonly delayMs: number; readonly lockedOut: boolean } {
    const now = this.#clock.now();
    let entry = this.#entry(address);
    // A lockout that has run out starts a fresh window.
    if (entry === undefined || (entry.lockedUntil > 0 && entry.lockedUntil <= now)) entry = { failures: 0, firstFailureAt: now, lockedUntil: 0 };
    entry.failures += 1;
    this.#entries.set(addressKey(address), entry);
    if (entry.failures >= this.#policy.maxFailures) {
      entry.lockedUntil = now + this.#policy.lockoutMs;
      return { delayMs: 0, lockedOut: true };
    }
    return { delayMs: Math.min(this.#policy.maxDelayMs, this.#policy.baseDelayMs * 2 ** (entry.failures - 1)), lockedOut: false };
  }

  recordSuccess(address: string): void {
    this.#entries.delete(addressKey(address));
  }
}
