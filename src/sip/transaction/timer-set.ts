/** Named RFC timers of one transaction on the injected Clock, and the checked state transition. */
import type { Clock, Timer } from '../../core/index.js';
import { TransactionError } from './types.js';

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
export function checkTransition<S extends string>(machine: string, edges: Readonly<Record<S, readonly S[]>>, from: S, to: S): void {
  if (!edges[from].includes(to)) throw new TransactionError(`${machine}: no transition ${from} → ${to}`);
}

/** Calls a TU callback; a throwing TU is logged, never allowed into the state machine (STYLE.md rule 6). */
export function callUser(log: { warn(obj: object, msg: string): void }, what: string, run: () => void): void {
  try {
    run();
  } catch (error) {
    log.warn({ err: error, callback: what }, 'transaction user callback threw');
  }
}
