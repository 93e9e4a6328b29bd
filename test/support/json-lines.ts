/**
 * The JSON-lines side of the test child processes (sbc-node.js, tunnel-peer.js, integ-*.js): each
 * stdout line that parses as JSON is kept as an event, and waiters are settled as matching events
 * arrive. Lines that are not JSON (stray output) are skipped.
 */
import { createInterface } from 'node:readline';

interface Waiter<E> {
  readonly match: (e: E) => boolean;
  readonly resolve: (e: E) => void;
}

export class JsonLineEvents<E> {
  readonly events: E[] = [];
  #waiters: Array<Waiter<E>> = [];

  constructor(input: NodeJS.ReadableStream) {
    createInterface({ input }).on('line', (line) => {
      let e: E;
      try {
        e = JSON.parse(line) as E;
      } catch {
        return;
      }
      this.events.push(e);
      for (const w of [...this.#waiters]) {
        if (w.match(e)) {
          this.#waiters = this.#waiters.filter((x) => x !== w);
          w.resolve(e);
        }
      }
    });
  }

  /** The first event from index `since` on (already seen or coming) that matches; rejects with `timeoutError()` after timeoutMs. */
  next(match: (e: E) => boolean, timeoutMs: number, since: number, timeoutError: () => Error): Promise<E> {
    const seen = this.events.slice(since).find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter: Waiter<E> = {
        match,
        resolve: (e: E) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== waiter);
        reject(timeoutError());
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }
}
