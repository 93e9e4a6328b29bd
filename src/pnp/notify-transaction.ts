/**
 * The NOTIFY's non-INVITE client transaction over UDP (RFC 3261 §17.1.2.2), kept here because
 * the responder needs only this much of it. Timer E fires first at T1 and doubles up to T2; a
 * provisional response moves retransmissions to every T2; a final response ends it; Timer F
 * (64·T1) gives up. Retransmissions are scheduled from the start time, not from the previous
 * firing, so a late event loop cannot push the last retransmission past Timer F.
 */
import type { Clock, Timer } from '../core/index.js';

export const T1_MS = 500;
export const T2_MS = 4_000;

export type NotifyOutcome = { readonly kind: 'answered'; readonly status: number } | { readonly kind: 'timeout' };

/** Offsets (ms after the first send) of each Timer E retransmission before Timer F fires. */
export function timerESchedule(t1: number, t2: number): number[] {
  const out: number[] = [];
  let at = 0;
  let interval = t1;
  for (;;) {
    at += interval;
    if (at >= 64 * t1) return out;
    out.push(at);
    interval = Math.min(interval * 2, t2);
  }
}

export class NotifyTransaction {
  readonly branch: string;
  readonly #clock: Clock;
  readonly #send: () => void;
  readonly #done: (outcome: NotifyOutcome, sends: number) => void;
  readonly #t1: number;
  readonly #t2: number;
  #state: 'trying' | 'proceeding' | 'terminated' = 'trying';
  #sends = 0;
  #started = 0;
  #nextOffset = 0;
  #interval = 0;
  #timerE: Timer | undefined;
  #timerF: Timer | undefined;

  constructor(branch: string, clock: Clock, t1: number, t2: number, send: () => void, done: (outcome: NotifyOutcome, sends: number) => void) {
    this.branch = branch;
    this.#clock = clock;
    this.#t1 = t1;
    this.#t2 = t2;
    this.#send = send;
    this.#done = done;
  }

  get sends(): number {
    return this.#sends;
  }

  start(): void {
    this.#started = this.#clock.now();
    this.#transmit();
    this.#interval = this.#t1;
    this.#nextOffset = this.#t1;
    this.#armE();
    // §17.1.2.2: "the client transaction MUST set timer F to fire in 64*T1 seconds".
    this.#timerF = this.#clock.setTimeout(() => this.#onTimerF(), 64 * this.#t1);
  }

  /** A response whose top Via branch is ours. */
  onResponse(status: number): void {
    if (this.#state === 'terminated') return;
    if (status < 200) {
      // §17.1.2.2: in Proceeding, "retransmissions ... at an interval of T2".
      this.#state = 'proceeding';
      this.#interval = this.#t2;
      return;
    }
    this.#terminate({ kind: 'answered', status });
  }

  close(): void {
    this.#state = 'terminated';
    this.#timerE?.cancel();
    this.#timerF?.cancel();
  }

  #transmit(): void {
    this.#sends++;
    this.#send();
  }

  #armE(): void {
    const delay = this.#started + this.#nextOffset - this.#clock.now();
    this.#timerE = this.#clock.setTimeout(() => this.#onTimerE(), Math.max(0, delay));
  }

  #onTimerE(): void {
    if (this.#state === 'terminated') return;
    this.#transmit();
    // §17.1.2.2: "the next retransmission interval is MIN(2*T1, T2)", and so on doubling.
    this.#interval = this.#state === 'proceeding' ? this.#t2 : Math.min(this.#interval * 2, this.#t2);
    this.#nextOffset += this.#interval;
    if (this.#nextOffset < 64 * this.#t1) this.#armE();
  }

  #onTimerF(): void {
    if (this.#state === 'terminated') return;
    this.#terminate({ kind: 'timeout' });
  }

  #terminate(outcome: NotifyOutcome): void {
    this.close();
    this.#done(outcome, this.#sends);
  }
}
