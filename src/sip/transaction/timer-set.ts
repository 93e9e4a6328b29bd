/**
 * What the four transaction machines share: named RFC timers on the injected Clock, the state as a
 * value with the checked transition of the machine's figure, and the way into Terminated.
 */
import type { Clock, Timer } from '../../core/index.js';
import { TransactionError, type TransactionContext } from './types.js';

export class TimerSet<N extends string> {
  readonly #clock: Clock;
  readonly #timers = new Map<N, Timer>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** (Re)starts timer `name`; a value of 0 fires it at once, as the RFC's "0 for reliable" means. */
  start(name: N, ms: number, fire: () => void): void {
    this.cancel(name);
    if (ms <= 0) {
      fire();
      return;
    }
    this.#timers.set(name, this.#clock.setTimeout(() => {
      this.#timers.delete(name);
      fire();
    }, ms));
  }

  cancel(name: N): void {
    this.#timers.get(name)?.cancel();
    this.#timers.delete(name);
  }

  cancelAll(): void {
    for (const timer of this.#timers.values()) timer.cancel();
    this.#timers.clear();
  }

  get running(): N[] {
    return [...this.#timers.keys()];
  }
}

/** Throws unless `from → to` is an edge of the machine's figure. */
function checkTransition<S extends string>(machine: string, edges: Readonly<Record<S, readonly S[]>>, from: S, to: S): void {
  if (!edges[from].includes(to)) throw new TransactionError(`${machine}: no transition ${from} → ${to}`);
}

/** Calls a TU callback; a throwing TU is logged, never let into the state machine (docs/STYLE.md rule 6). */
export function callUser(log: { warn(obj: object, msg: string): void }, what: string, run: () => void): void {
  try {
    run();
  } catch (error) {
    log.warn({ err: error, callback: what }, 'transaction user callback threw');
  }
}

/**
 * The state and timers of one transaction machine; the RFC branches stay in the machine that owns
 * it. Entering Terminated cancels every timer, tells the layer once (`ctx.terminated()`), then runs
 * the machine's own `onTerminated` (the client machines tell their TU).
 */
export class TransactionMachine<S extends string, N extends string> {
  readonly #name: string;
  readonly #edges: Readonly<Record<S | 'Terminated', readonly (S | 'Terminated')[]>>;
  readonly #ctx: TransactionContext;
  readonly #timers: TimerSet<N>;
  readonly #onTerminated: (() => void) | undefined;
  #state: S | 'Terminated';

  constructor(
    name: string,
    edges: Readonly<Record<S | 'Terminated', readonly (S | 'Terminated')[]>>,
    initial: S,
    ctx: TransactionContext,
    onTerminated?: () => void,
  ) {
    this.#name = name;
    this.#edges = edges;
    this.#state = initial;
    this.#ctx = ctx;
    this.#timers = new TimerSet(ctx.clock);
    this.#onTerminated = onTerminated;
  }

  get state(): S | 'Terminated' {
    return this.#state;
  }

  get runningTimers(): readonly string[] {
    return this.#timers.running;
  }

  transition(to: S | 'Terminated'): void {
    checkTransition(this.#name, this.#edges, this.#state, to);
    this.#state = to;
    if (to === 'Terminated') {
      this.#timers.cancelAll();
      this.#ctx.terminated();
      this.#onTerminated?.();
    }
  }

  /** Ends the machine from any state; a second call does nothing. */
  terminate(): void {
    if (this.#state !== 'Terminated') this.transition('Terminated');
  }

  startTimer(name: N, ms: number, fire: () => void): void {
    this.#timers.start(name, ms, fire);
  }

  cancelTimer(name: N): void {
    this.#timers.cancel(name);
  }

  /** Calls a TU callback through callUser with the transaction's logger. */
  callUser(what: string, run: () => void): void {
    callUser(this.#ctx.log, what, run);
  }
}
