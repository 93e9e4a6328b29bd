/**
 * Keep-alive and dead path detection (PROTOCOL.md "Keep-alive and dead path detection"): a tick
 * every ping interval, and the path is dead once nothing at all has been received for the dead
 * interval. One timer re-armed from the last sign of life, so a busy path costs no timer churn.
 */
import type { Clock, Timer } from '../core/index.js';

export class KeepAlive {
  readonly #clock: Clock;
  readonly #pingIntervalMs: number;
  readonly #deadAfterMs: number;
  readonly #onPing: () => void;
  readonly #onDead: () => void;
  #pingTimer: Timer | undefined;
  #deadTimer: Timer | undefined;
  #lastReceived = 0;

  constructor(clock: Clock, pingIntervalMs: number, deadAfterMs: number, onPing: () => void, onDead: () => void) {
    this.#clock = clock;
    this.#pingIntervalMs = pingIntervalMs;
    this.#deadAfterMs = deadAfterMs;
    this.#onPing = onPing;
    this.#onDead = onDead;
  }

  start(): void {
    this.stop();
    this.#lastReceived = this.#clock.now();
    this.#pingTimer = this.#clock.setInterval(this.#onPing, this.#pingIntervalMs);
    this.#armDeadTimer();
  }

  /** Any received byte is a sign of life. */
  alive(): void {
    this.#lastReceived = this.#clock.now();
  }

  /** Milliseconds since the last received byte. */
  get silentMs(): number {
    return this.#clock.now() - this.#lastReceived;
  }

  stop(): void {
    this.#pingTimer?.cancel();
    this.#deadTimer?.cancel();
    this.#pingTimer = undefined;
    this.#deadTimer = undefined;
  }

  #armDeadTimer(): void {
    const due = this.#lastReceived + this.#deadAfterMs - this.#clock.now();
    this.#deadTimer = this.#clock.setTimeout(() => {
      if (this.#clock.now() - this.#lastReceived >= this.#deadAfterMs) {
        this.stop();
        this.#onDead();
      } else {
        this.#armDeadTimer();
      }
    }, Math.max(0, due));
  }
}
