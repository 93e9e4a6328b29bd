/**
 * Time, injected. Protocol code never calls setTimeout or Date.now itself: it takes a Clock,
 * so tests drive every RFC timer by hand with ManualClock.advance(ms).
 */

export interface Timer {
  /** Stops the timer; calling it again, or after it fired, does nothing. */
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds, for intervals and timeouts. */
  now(): number;
  /** Wall-clock milliseconds since the Unix epoch, for Date headers, expiries and logs. */
  wallNow(): number;
  setTimeout(callback: () => void, ms: number): Timer;
  setInterval(callback: () => void, ms: number): Timer;
}

class RealClock implements Clock {
  now(): number {
    return performance.now();
  }

  wallNow(): number {
    return Date.now();
  }

  setTimeout(callback: () => void, ms: number): Timer {
    const handle = setTimeout(callback, ms);
    handle.unref?.();
    return { cancel: () => clearTimeout(handle) };
  }

  setInterval(callback: () => void, ms: number): Timer {
    const handle = setInterval(callback, ms);
    handle.unref?.();
    return { cancel: () => clearInterval(handle) };
  }
}

/**
 * The process clock. Timers are unref'd: a pending protocol timer never keeps the process
 * alive on its own; sockets and servers do.
 */
export const realClock: Clock = new RealClock();

interface PendingTimer {
  id: number;
  due: number;
  every: number | undefined;
  callback: () => void;
  cancelled: boolean;
}

/** A clock that moves only when a test says so. Timers fire in due order, ties in creation order. */
export class ManualClock implements Clock {
  #now: number;
  #wallOffset: number;
  #nextId = 1;
  #timers: PendingTimer[] = [];

  constructor(start = 0, wallStart = Date.UTC(2026, 0, 1)) {
    this.#now = start;
    this.#wallOffset = wallStart - start;
  }

  now(): number {
    return this.#now;
  }

  wallNow(): number {
    return this.#now + this.#wallOffset;
  }

  setTimeout(callback: () => void, ms: number): Timer {
    return this.#add(callback, ms, undefined);
  }

  setInterval(callback: () => void, ms: number): Timer {
    return this.#add(callback, ms, Math.max(1, ms));
  }

  /** Timers still waiting to fire. */
  get pending(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by ms, firing every timer that falls due on the way, at its due time. */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('a clock does not go backwards');
    const target = this.#now + ms;
    for (;;) {
      const next = this.#nextDue(target);
      if (next === undefined) break;
      this.#now = next.due;
      if (next.every === undefined) {
        next.cancelled = true;
      } else {
        next.due += next.every;
      }
      next.callback();
      this.#timers = this.#timers.filter((t) => !t.cancelled);
    }
    this.#now = target;
  }

  /** Advances to the next due timer (if any) and fires it; returns whether one fired. */
  step(): boolean {
    const next = this.#nextDue(Number.POSITIVE_INFINITY);
    if (next === undefined) return false;
    this.advance(next.due - this.#now);
    return true;
  }

  #nextDue(limit: number): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.#timers) {
      if (t.cancelled || t.due > limit) continue;
      if (best === undefined || t.due < best.due || (t.due === best.due && t.id < best.id)) best = t;
    }
    return best;
  }

  #add(callback: () => void, ms: number, every: number | undefined): Timer {
    const timer: PendingTimer = { id: this.#nextId++, due: this.#now + Math.max(0, ms), every, callback, cancelled: false };
    this.#timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }
}
