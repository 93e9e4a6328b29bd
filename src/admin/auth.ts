/**
 * Bearer-token checks for the admin API. The token is compared in constant time: both sides are
 * hashed to 32-byte SHA-256 digests first, so `timingSafeEqual` always compares equal lengths and
 * the time taken says nothing about the token's length or its first differing byte. Wrong tokens
 * are counted per source address: past `maxFailures` in `windowMs` the source gets 429 until the
 * window has passed, before its token is even looked at.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/index.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export function tokensEqual(expected: string, given: string): boolean {
  return timingSafeEqual(digest(expected), digest(given));
}

/** The token of `Authorization: Bearer <token>`, else of `?token=` when allowed (browsers' WebSocket). */
export function presentedToken(authorization: string | string[] | undefined, query: URLSearchParams | undefined): string | undefined {
  const header = Array.isArray(authorization) ? authorization[0] : authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match?.[1] !== undefined) return match[1];
  return query?.get('token') ?? undefined;
}

export interface FailureLimiterOptions {
  readonly clock: Clock;
  /** Wrong tokens a source may present per window; default 10. */
  readonly maxFailures?: number;
  /** Default one minute. */
  readonly windowMs?: number;
  /** Sources remembered at most (the oldest are forgotten first); default 10,000. */
  readonly maxTracked?: number;
}

export class FailureLimiter {
  readonly #clock: Clock;
  readonly #max: number;
  readonly #windowMs: number;
  readonly #maxTracked: number;
  readonly #failures = new Map<string, number[]>();

  constructor(o: FailureLimiterOptions) {
    this.#clock = o.clock;
    this.#max = o.maxFailures ?? 10;
    this.#windowMs = o.windowMs ?? 60_000;
    this.#maxTracked = o.maxTracked ?? 10_000;
  }

  #recent(source: string): number[] {
    const since = this.#clock.now() - this.#windowMs;
    const kept = (this.#failures.get(source) ?? []).filter((t) => t > since);
    if (kept.length === 0) this.#failures.delete(source);
    else this.#failures.set(source, kept);
    return kept;
  }

  /** True while the source has used up its wrong tokens for the window. */
  blocked(source: string): boolean {
    return this.#recent(source).length >= this.#max;
  }

  /** Seconds until the source may try again (for Retry-After). */
  retryAfterSeconds(source: string): number {
    const first = this.#recent(source)[0];
    return first === undefined ? 0 : Math.max(1, Math.ceil((first + this.#windowMs - this.#clock.now()) / 1000));
  }

  fail(source: string): void {
    const list = this.#recent(source);
    list.push(this.#clock.now());
    this.#failures.delete(source);
    this.#failures.set(source, list);
    if (this.#failures.size > this.#maxTracked) {
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
  }
}
