/**
 * Reconnect delays (PROTOCOL.md "Reconnect"): attempt n waits min(MAX, INITIAL × 2^n) scaled by a
 * random factor in [0.5, 1), so many agents cut by the same outage do not return in step.
 *
 * For the first FAST_FOR after an open session lost its carriage, MAX is FAST_MAX (1 s): calls
 * are up on that session and it can be resumed, so the wait after the path returns is what the
 * callers hear as silence. With the plain backoff a 10 s WAN cut left the next attempt up to 8 s
 * after the link came back (the soak, bench/soak.ts, measured 4.2 s of lost audio).
 */
export interface BackoffOptions {
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** MAX while an open session was lost less than fastForMs ago. */
  readonly fastMaxDelayMs?: number;
  readonly fastForMs?: number;
}

export const DEFAULT_INITIAL_DELAY_MS = 500;
export const DEFAULT_MAX_DELAY_MS = 30_000;
export const DEFAULT_FAST_MAX_DELAY_MS = 1_000;
export const DEFAULT_FAST_FOR_MS = 60_000;

/** `sinceLossMs`: how long ago an open session lost its carriage (undefined: none was open). */
export function backoffDelay(attempt: number, random: () => number, options: BackoffOptions = {}, sinceLossMs?: number): number {
  const initial = options.initialDelayMs ?? DEFAULT_INITIAL_DELAY_MS;
  const fast = sinceLossMs !== undefined && sinceLossMs < (options.fastForMs ?? DEFAULT_FAST_FOR_MS);
  const slowMax = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const max = fast ? Math.min(slowMax, options.fastMaxDelayMs ?? DEFAULT_FAST_MAX_DELAY_MS) : slowMax;
  const base = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return base * (0.5 + Math.min(Math.max(random(), 0), 1) * 0.5);
}

/**
 * Errors of a connect that failed at once for want of a route to the hub (the WAN link is down,
 * its address gone): nothing was sent, so trying again soon costs one system call and no packet.
 */
const NO_ROUTE_CODES: ReadonlySet<string> = new Set(['ENETUNREACH', 'ENETDOWN', 'EHOSTUNREACH', 'EADDRNOTAVAIL']);

/** Whether `error`, or an error it was caused by (connectors wrap the carriage's), is a no-route failure. */
export function isNoRouteError(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NO_ROUTE_CODES.has(code)) return true;
    e = e.cause;
  }
  return false;
}
