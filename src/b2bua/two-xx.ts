/**
 * 2xx retransmission by the UAS core (RFC 3261 §13.3.1.4): the INVITE server transaction ends with
 * the 2xx, so over UDP the 2xx is sent again at T1, 2·T1, … capped at T2 until the ACK arrives;
 * after 64·T1 without one the session "SHOULD be terminated". Over TCP and TLS nothing is resent,
 * but the ACK is still awaited for 64·T1. Used for the caller's INVITE and for every re-INVITE
 * the B2BUA answers on either side.
 */
import type { Clock, Timer } from '../core/index.js';

/** RFC 3261 Table 4. */
export const T1_MS = 500;
export const T2_MS = 4000;

export class TwoXxRetransmission {
  readonly #clock: Clock;
  readonly #send: () => void;
  readonly #onGiveUp: () => void;
  readonly #started: number;
  #timer: Timer | undefined;

  /** Starts at once; `send` resends the 2xx, `onGiveUp` runs once after 64·T1 without an ACK. */
  constructor(clock: Clock, reliable: boolean, send: () => void, onGiveUp: () => void) {
    this.#clock = clock;
    this.#send = send;
    this.#onGiveUp = onGiveUp;
    this.#started = clock.now();
    if (reliable) this.#timer = clock.setTimeout(() => this.#giveUp(), 64 * T1_MS);
    else this.#arm(T1_MS);
  }

  /** The ACK came (or the dialog ended). Idempotent. */
  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #arm(interval: number): void {
    const remaining = this.#started + 64 * T1_MS - this.#clock.now();
    if (interval >= remaining) {
      this.#timer = this.#clock.setTimeout(() => this.#giveUp(), remaining);
      return;
    }
    this.#timer = this.#clock.setTimeout(() => {
      this.#send();
      this.#arm(Math.min(interval * 2, T2_MS));
    }, interval);
  }

  #giveUp(): void {
    this.#timer = undefined;
    this.#onGiveUp();
  }
}
