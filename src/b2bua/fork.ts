/**
 * A fork: INVITEs to several B-legs at once (a ring-all group, an extension with several phones,
 * one trunk route), ringing for at most `seconds` on the injected clock. The first 2xx wins; every
 * other pending leg gets CANCEL with `Reason: SIP;cause=200;text="Call completed elsewhere"`
 * (RFC 3326 §2; RFC 3261 §16.7 step 10 for a forking proxy). A 6xx from any leg ends the whole fork
 * (§16.7 step 5: "the proxy SHOULD cancel all client pending transactions"); otherwise the fork
 * ends unanswered when every leg failed or the time ran out, busy when every leg said 486 or 600.
 */
import type { Clock, Timer } from '../core/index.js';
import type { SipResponse } from '../sip/index.js';
import type { CalleeLeg } from './callee-leg.js';
import type { Dialog } from './dialog.js';

export const COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';

export interface ForkTarget {
  readonly leg: CalleeLeg;
  /** `extension:101`, `trunk:itsp/+442345`. */
  readonly destination: string;
  readonly extension?: string;
}

export type ForkResult =
  | { readonly kind: 'answered'; readonly target: ForkTarget; readonly response: SipResponse; readonly dialog: Dialog }
  | { readonly kind: 'declined'; readonly status: number }
  /** `statuses`: the final status of each leg that answered (408 timeout, 503 transport). */
  | { readonly kind: 'unanswered'; readonly busy: boolean; readonly timedOut: boolean; readonly statuses: readonly number[] }
  | { readonly kind: 'aborted' };

const BUSY = new Set([486, 600]);

export class Fork {
  readonly #clock: Clock;
  readonly #targets: readonly ForkTarget[];
  readonly #seconds: number | null;
  /** Extensions of the step with no live contact: failed legs from the start. */
  readonly #missing: number;
  #timer: Timer | undefined;
  #finish: ((result: ForkResult, cancelReason?: string) => void) | undefined;

  constructor(clock: Clock, targets: readonly ForkTarget[], seconds: number | null, missing = 0) {
    this.#clock = clock;
    this.#targets = targets;
    this.#seconds = seconds;
    this.#missing = missing;
  }

  get targets(): readonly ForkTarget[] {
    return this.#targets;
  }

  run(): Promise<ForkResult> {
    return new Promise((resolve) => {
      const statuses: number[] = [];
      let outstanding = this.#targets.length;
      let settled = false;
      const finish = (result: ForkResult, cancelReason?: string): void => {
        if (settled) return;
        settled = true;
        this.#timer?.cancel();
        this.#timer = undefined;
        this.#finish = undefined;
        for (const t of this.#targets) t.leg.cancel(cancelReason);
        resolve(result);
      };
      this.#finish = finish;
      const unanswered = (timedOut: boolean): ForkResult => ({
        kind: 'unanswered', timedOut, statuses,
        busy: !timedOut && this.#missing === 0 && statuses.length > 0 && statuses.every((s) => BUSY.has(s)),
      });
      if (outstanding === 0) {
        finish(unanswered(false));
        return;
      }
      if (this.#seconds !== null) this.#timer = this.#clock.setTimeout(() => finish(unanswered(true)), this.#seconds * 1000);
      for (const target of this.#targets) {
        void target.leg.start().then((outcome) => {
          if (outcome.kind === 'answered') {
            if (settled) {
              // §13.2.2.4: a 2xx from another fork after one won: ACK, then BYE.
              target.leg.ack();
              void outcome.dialog.request('BYE').catch(() => {});
              return;
            }
            finish({ kind: 'answered', target, response: outcome.response, dialog: outcome.dialog }, COMPLETED_ELSEWHERE);
            return;
          }
          if (outcome.kind === 'failed') {
            statuses.push(outcome.status);
            if (outcome.status >= 600 && !BUSY.has(outcome.status)) {
              finish({ kind: 'declined', status: outcome.status });
              return;
            }
          }
          outstanding -= 1;
          if (outstanding === 0) finish(unanswered(false));
        });
      }
    });
  }

  /** Gives up: every pending leg is cancelled (the caller hung up, the agent stops, a pickup: `reason`, RFC 3326). */
  abort(reason?: string): void {
    this.#finish?.({ kind: 'aborted' }, reason);
  }
}
