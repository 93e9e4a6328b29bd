/**
 * Non-INVITE client transaction: RFC 3261 §17.1.2 (Figure 6).
 *
 *   Trying ──1xx──▶ Proceeding ──200-699──▶ Completed ──Timer K──▶ Terminated
 *     │  ╲────────────200-699─────────────────▲                        ▲
 *     └──────────── Timer F / transport error (Trying, Proceeding) ────┘
 */
import type { SipRequest, SipResponse } from '../message.js';
import { TransactionMachine } from './timer-set.js';
import type { ClientTransaction, ClientTransactionUser, NonInviteClientState, TransactionContext, TransactionTarget } from './types.js';

const EDGES: Readonly<Record<NonInviteClientState, readonly NonInviteClientState[]>> = {
  Trying: ['Proceeding', 'Completed', 'Terminated'],
  Proceeding: ['Completed', 'Terminated'],
  Completed: ['Terminated'],
  Terminated: [],
};

type NonInviteClientTimer = 'E' | 'F' | 'K';

export class NonInviteClientTransaction implements ClientTransaction {
  readonly kind = 'non-invite-client';
  readonly request: SipRequest;
  readonly target: TransactionTarget;
  readonly branch: string;
  readonly #ctx: TransactionContext;
  readonly #user: ClientTransactionUser;
  readonly #machine: TransactionMachine<NonInviteClientState, NonInviteClientTimer>;
  #intervalE = 0;

  constructor(request: SipRequest, target: TransactionTarget, branch: string, ctx: TransactionContext, user: ClientTransactionUser) {
    this.request = request;
    this.target = target;
    this.branch = branch;
    this.#ctx = ctx;
    this.#user = user;
    this.#machine = new TransactionMachine('non-INVITE client transaction', EDGES, 'Trying', ctx, () =>
      this.#machine.callUser('onTerminated', () => this.#user.onTerminated?.(this)));
  }

  get state(): NonInviteClientState {
    return this.#machine.state;
  }

  get runningTimers(): readonly string[] {
    return this.#machine.runningTimers;
  }

  /**
   * §17.1.2.2: "The 'Trying' state is entered when the TU initiates a new client transaction with
   * a request. When entering this state, the client transaction SHOULD set timer F to fire in
   * 64*T1 seconds. The request MUST be passed to the transport layer for transmission. If an
   * unreliable transport is in use, the client transaction MUST set timer E to fire in T1 seconds."
   */
  start(): void {
    this.#machine.startTimer('F', this.#ctx.timers.F, () => this.onTimerF());
    this.#send();
    const e = this.#ctx.timers.E;
    if (e !== undefined) {
      this.#intervalE = e;
      this.#machine.startTimer('E', e, () => this.onTimerE());
    }
  }

  /**
   * §17.1.2.2: "If timer E fires while still in this state [Trying], the timer is reset, but this
   * time with a value of MIN(2*T1, T2) ... If Timer E fires while in the 'Proceeding' state, the
   * request MUST be passed to the transport layer for retransmission, and Timer E MUST be reset with a value of T2 seconds."
   */
  onTimerE(): void {
    if (this.#machine.state === 'Trying') {
      this.#intervalE = Math.min(2 * this.#intervalE, this.#ctx.timers.T2);
    } else if (this.#machine.state === 'Proceeding') {
      this.#intervalE = this.#ctx.timers.T2;
    } else {
      return;
    }
    this.#send();
    this.#machine.startTimer('E', this.#intervalE, () => this.onTimerE());
  }

  /**
   * §17.1.2.2: "If Timer F fires while the client transaction is still in the 'Trying' state, the
   * client transaction SHOULD inform the TU about the timeout, and then it SHOULD enter the
   * 'Terminated' state." Likewise in 'Proceeding'.
   */
  onTimerF(): void {
    if (this.#machine.state !== 'Trying' && this.#machine.state !== 'Proceeding') return;
    this.#machine.transition('Terminated');
    this.#machine.callUser('onTimeout', () => this.#user.onTimeout?.(this));
  }

  /** §17.1.2.2: "If Timer K fires while in this state [Completed], the client transaction MUST transition to the 'Terminated' state." */
  onTimerK(): void {
    if (this.#machine.state === 'Completed') this.#machine.transition('Terminated');
  }

  /** The layer's record of this transaction expired: Timer K fired. */
  lingerExpired(): void {
    this.onTimerK();
  }

  receiveResponse(response: SipResponse): void {
    switch (this.#machine.state) {
      case 'Trying':
      case 'Proceeding':
        if (response.status < 200) {
          // §17.1.2.2: "If a provisional response is received while in the 'Trying' state, the
          // response MUST be passed to the TU, and then the client transaction SHOULD move to the 'Proceeding' state."
          if (this.#machine.state === 'Trying') this.#machine.transition('Proceeding');
          this.#toUser(response);
          return;
        }
        // §17.1.2.2: "If a final response (status codes 200-699) is received while in the 'Trying'
        // [or 'Proceeding'] state, the response MUST be passed to the TU, and the client
        // transaction MUST transition to the 'Completed' state ... [and] set Timer K".
        this.#machine.transition('Completed');
        this.#machine.cancelTimer('E');
        this.#machine.cancelTimer('F');
        this.#toUser(response);
        if (this.state !== 'Completed') return;
        // Completed only absorbs retransmissions until Timer K: a small record in the layer.
        if (this.#ctx.retire?.({ lingerMs: this.#ctx.timers.K, ack: 'absorb' }) === true) return;
        this.#machine.startTimer('K', this.#ctx.timers.K, () => this.onTimerK());
        return;
      case 'Completed':
        // §17.1.2.2: the Completed state exists "to buffer any additional response retransmissions that may be received".
        return;
      case 'Terminated':
        return;
    }
  }

  /** §17.1.4 (Figure 6: "Transport Err. Inform TU" from Trying and Proceeding). */
  onTransportError(error: unknown): void {
    if (this.#machine.state !== 'Trying' && this.#machine.state !== 'Proceeding') return;
    this.#machine.transition('Terminated');
    this.#machine.callUser('onTransportError', () => this.#user.onTransportError?.(this, error));
  }

  terminate(): void {
    this.#machine.terminate();
  }

  #toUser(response: SipResponse): void {
    this.#machine.callUser('onResponse', () => this.#user.onResponse(response, this));
  }

  #send(): void {
    this.#ctx.send(this.request, this.target, (error) => this.onTransportError(error));
  }
}
