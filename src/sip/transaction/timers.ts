/**
 * Transaction timer values (RFC 3261 §17 and Table 4, RFC 6026 §8.11 for L and M). T1, T2 and
 * T4 come from configuration; the other timers derive from them and from whether the transport
 * is reliable: over TCP/TLS timers A, E and G are not used and D, I, J and K are 0.
 */

export interface TransactionTimerConfig {
  /** RTT estimate; default 500 ms. */
  readonly T1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses; default 4 s. */
  readonly T2: number;
  /** Maximum duration a message remains in the network; default 5 s. */
  readonly T4: number;
  /** Timer D on unreliable transports: "> 32 s" (Table 4); default 32 s. */
  readonly D: number;
  /**
   * Timer C (§16.6 step 11, "greater than 3 minutes"): how long an INVITE client transaction waits
   * in Proceeding for a final response before it reports a timeout; default 180 s. RFC 3261 lets a
   * UAC wait forever there; this bound keeps a silent peer from holding a transaction for good.
   */
  readonly C: number;
  /** §17.2.1: an INVITE server transaction sends 100 Trying when the TU has not answered in this time; default 200 ms. */
  readonly trying: number;
}

export const DEFAULT_TIMER_CONFIG: TransactionTimerConfig = { T1: 500, T2: 4000, T4: 5000, C: 180_000, D: 32_000, trying: 200 };

/** Resolved values for one transaction; `undefined` means the timer is not used on this transport. */
export interface TimerValues {
  readonly T2: number;
  readonly A: number | undefined;
  readonly B: number;
  readonly C: number;
  readonly D: number;
  readonly E: number | undefined;
  readonly F: number;
  readonly G: number | undefined;
  readonly H: number;
  readonly I: number;
  readonly J: number;
  readonly K: number;
  readonly L: number;
  readonly M: number;
  readonly trying: number;
}

export function resolveTimerConfig(partial: Partial<TransactionTimerConfig> = {}): TransactionTimerConfig {
  const config = { ...DEFAULT_TIMER_CONFIG, ...partial };
  for (const [name, value] of Object.entries(config)) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`transaction timer ${name} must be a positive number of ms, got ${value}`);
  }
  if (config.T2 < config.T1) throw new RangeError('transaction timer T2 must not be below T1');
  return config;
}

export function timerValues(config: TransactionTimerConfig, reliable: boolean): TimerValues {
  const { T1, T2, T4 } = config;
  return {
    T2,
    A: reliable ? undefined : T1,
    B: 64 * T1,
    C: config.C,
    D: reliable ? 0 : config.D,
    E: reliable ? undefined : T1,
    F: 64 * T1,
    G: reliable ? undefined : T1,
    H: 64 * T1,
    I: reliable ? 0 : T4,
    J: reliable ? 0 : 64 * T1,
    K: reliable ? 0 : T4,
    L: 64 * T1,
    M: 64 * T1,
    trying: config.trying,
  };
}
