/**
 * `acceptStream()` for callers that pull rather than listen: streams the peer opens wait here
 * only while nobody listens to the `stream` event, and streams closed meanwhile are skipped.
 */
export class AcceptQueue<T extends { readonly closed: boolean }> {
  #items: T[] = [];
  #waiters: Array<{ resolve: (item: T) => void; reject: (error: Error) => void }> = [];
  #closed: Error | undefined;

  /** A new item; kept only if a waiter takes it or nobody listens to the event. */
  offer(item: T, hasListeners: boolean): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter.resolve(item);
    else if (!hasListeners && this.#closed === undefined) this.#items.push(item);
  }

  take(): Promise<T> {
    this.#items = this.#items.filter((i) => !i.closed);
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve(item);
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  close(error: Error): void {
    this.#closed ??= error;
    for (const w of this.#waiters.splice(0)) w.reject(error);
    this.#items = [];
  }
}
