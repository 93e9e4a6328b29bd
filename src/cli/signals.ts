/**
 * Signals for the long-running commands (hub, agent, run, pnp, demo, stun-server): they stop
 * cleanly on the first SIGINT or SIGTERM and then stop listening, so a second signal is the
 * default action again.
 */

/** Resolves with the first of SIGINT or SIGTERM, and stops listening for both. */
export function waitForSignal(): { readonly signal: Promise<string>; cancel(): void } {
  let cancel = (): void => {};
  const signal = new Promise<string>((resolve) => {
    const onInt = (): void => done('SIGINT');
    const onTerm = (): void => done('SIGTERM');
    const done = (name: string): void => {
      cancel();
      resolve(name);
    };
    cancel = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });
  return { signal, cancel };
}

export type ServiceSignal = 'stop' | 'drain' | 'reload';

/**
 * The signals of a service (`sbc-agent run`), listened for from the first line of the command so
 * that a signal during start-up is never lost: SIGINT stops at once (always, also while draining),
 * SIGTERM drains (systemd's stop; a second SIGTERM stops at once), SIGHUP reloads the configuration.
 * `next()` resolves with the next signal; signals that arrive before anyone waits are queued.
 */
export class ServiceSignals {
  readonly #queue: ServiceSignal[] = [];
  #waiter: ((signal: ServiceSignal) => void) | undefined;
  #terms = 0;
  readonly #onInt = (): void => this.#push('stop');
  readonly #onTerm = (): void => this.#push(++this.#terms === 1 ? 'drain' : 'stop');
  readonly #onHup = (): void => this.#push('reload');

  constructor() {
    process.on('SIGINT', this.#onInt);
    process.on('SIGTERM', this.#onTerm);
    process.on('SIGHUP', this.#onHup);
  }

  #push(signal: ServiceSignal): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter !== undefined) waiter(signal);
    else this.#queue.push(signal);
  }

  /** The next signal. One waiter at a time. */
  next(): Promise<ServiceSignal> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  /** A stop is queued (checked between start-up steps). */
  get stopRequested(): boolean {
    return this.#queue.includes('stop') || this.#queue.includes('drain');
  }

  dispose(): void {
    process.off('SIGINT', this.#onInt);
    process.off('SIGTERM', this.#onTerm);
    process.off('SIGHUP', this.#onHup);
  }
}
