/**
 * Reconnect delays (PROTOCOL.md "Reconnect"): attempt n waits min(MAX, INITIAL × 2^n) scaled by a
 * random factor in [0.5, 1), so many agents cut by the same outage do not return in step.
 */
export interface BackoffOptions {
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
}

export const DEFAULT_INITIAL_DELAY_MS = 500;
export const DEFAULT_MAX_DELAY_MS = 30_000;

export function backoffDelay(attempt: number, random: () => number, options: BackoffOptions = {}): number {
  const initial = options.initialDelayMs ?? DEFAULT_INITIAL_DELAY_MS;
  const max = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const base = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return base * (0.5 + Math.min(Math.max(random(), 0), 1) * 0.5);
}
