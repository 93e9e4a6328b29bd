/**
 * 2xx retransmission by the side that answers an INVITE over UDP (RFC 3261 §13.3.1.4): the
 * transaction ends with the 2xx, so the relaying UAS core sends it again at T1, 2·T1, … capped at
 * T2, until the ACK arrives or 64·T1 passes. Without it a 2xx lost on the LAN or toward the PBX
 * would leave the caller ringing: its INVITE retransmissions are absorbed by the server transaction.
 */
import type { Clock, Timer } from '../core/index.js';

export const T1_MS = 500;
export const T2_MS = 4000;

interface Pending {
  timer: Timer | undefined;
  readonly started: number;
}

export class TwoXxRetransmitter {
  readonly #clock: Clock;
  readonly #pending = new Map<string, Pending>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  static key(callId: string, cseq: number): string {
    return `${callId}\u0000${cseq}`;
  }

  get size(): number {
    return this.#pending.size;
  }

  /** Starts resending with `send` (the server transaction's respond) until ack() or 64·T1. */
  start(key: string, send: () => void): void {
    this.ack(key);
    const entry: Pending = { timer: undefined, started: this.#clock.now() };
    const schedule = (interval: number): void => {
      entry.timer = this.#clock.setTimeout(() => {
        if (this.#clock.now() - entry.started >= 64 * T1_MS) {
          this.#pending.delete(key);
          return;
        }
        send();
        schedule(Math.min(interval * 2, T2_MS));
      }, interval);
    };
    this.#pending.set(key, entry);
    schedule(T1_MS);
  }

  /** The ACK for that 2xx arrived. */
  ack(key: string): void {
    const entry = this.#pending.get(key);
    entry?.timer?.cancel();
    this.#pending.delete(key);
  }

  close(): void {
    for (const e of this.#pending.values()) e.timer?.cancel();
    this.#pending.clear();
  }
}
