/**
 * INVITE server transaction: RFC 3261 §17.2.1 with RFC 6026 §8.5–§8.9 ("Accepted", Timer L).
 *
 *   Proceeding ──300-699 from TU──▶ Completed ──ACK──▶ Confirmed ──Timer I──▶ Terminated
 *       │                              └──Timer H / transport error──────────────▲
 *       └──2xx from TU──▶ Accepted ──Timer L─────────────────────────────────────┘
 */
import type { SipRequest, SipResponse } from '../message.js';
import { buildResponse } from '../response.js';
import type { LingeringTransaction } from './completed-store.js';
import { TransactionMachine } from './timer-set.js';
import {
  TransactionError,
  type InviteServerState,
  type ServerTransaction,
  type TransactionContext,
  type TransactionSource,
  type TransactionTarget,
} from './types.js';

const EDGES: Readonly<Record<InviteServerState, readonly InviteServerState[]>> = {
  Proceeding: ['Completed', 'Accepted', 'Terminated'],
  Completed: ['Confirmed', 'Terminated'],
  Confirmed: ['Terminated'],
  Accepted: ['Terminated'],
  Terminated: [],
};

type InviteServerTimer = 'Trying' | 'G' | 'H' | 'I' | 'L';

/** What the INVITE server transaction reports to the layer above it. */
export interface InviteServerEvents {
  /** RFC 6026 §8.7: an ACK received in "Accepted" is passed to the TU, with where it came from. */
  onAck(ack: SipRequest, source: TransactionSource, transaction: InviteServerTransaction): void;
  /** Timer H fired: no ACK came for the final response (§17.2.1). */
  onTimeout(transaction: InviteServerTransaction): void;
  onTransportError(transaction: InviteServerTransaction, error: unknown): void;
}

export class InviteServerTransaction implements ServerTransaction, LingeringTransaction {
  readonly kind = 'invite-server';
  readonly request: SipRequest;
  readonly source: TransactionSource;
  readonly responseTarget: TransactionTarget;
  readonly #ctx: TransactionContext;
  readonly #events: InviteServerEvents;
  readonly #machine: TransactionMachine<InviteServerState, InviteServerTimer>;
  #lastResponse: SipResponse | undefined;
  #intervalG = 0;

  constructor(request: SipRequest, source: TransactionSource, responseTarget: TransactionTarget, ctx: TransactionContext, events: InviteServerEvents) {
    this.request = request;
    this.source = source;
    this.responseTarget = responseTarget;
    this.#ctx = ctx;
    this.#events = events;
    this.#machine = new TransactionMachine('INVITE server transaction', EDGES, 'Proceeding', ctx);
  }

  get state(): InviteServerState {
    return this.#machine.state;
  }

  get runningTimers(): readonly string[] {
    return this.#machine.runningTimers;
  }

  /** The last response sent (RFC 2543 ACK matching compares its To tag, §17.2.3). */
  get lastResponse(): SipResponse | undefined {
    return this.#lastResponse;
  }

  /**
   * §17.2.1: "When a server transaction is constructed for a request, it enters the 'Proceeding'
   * state. The server transaction MUST generate a 100 (Trying) response unless it knows that the
   * TU will generate a provisional or final response within 200 ms".
   */
  start(): void {
    this.#machine.startTimer('Trying', this.#ctx.timers.trying, () => this.onTimerTrying());
  }

  onTimerTrying(): void {
    if (this.#machine.state === 'Proceeding' && this.#lastResponse === undefined) this.respond(buildResponse(this.request, 100));
  }

  respond(response: SipResponse): void {
    const status = response.status;
    switch (this.#machine.state) {
      case 'Proceeding':
        this.#machine.cancelTimer('Trying');
        this.#lastResponse = response;
        if (status < 200) {
          // §17.2.1: "The TU passes any number of provisional responses to the server transaction.
          // So long as the server transaction is in the 'Proceeding' state, each of these MUST be passed to the transport layer".
          this.#send(response);
        } else if (status < 300) {
          // RFC 6026 §8.5: "If, while in the 'Proceeding' state, the TU passes a 2xx response to the
          // server transaction, the server transaction MUST pass this response to the transport layer
          // for transmission ... The server transaction MUST then transition to the 'Accepted' state" (Timer L = 64*T1).
          this.#machine.transition('Accepted');
          // Accepted only absorbs INVITE retransmissions and passes ACKs up: the layer keeps that
          // as a small record until Timer L (completed-store.ts); the TU's 2xx retransmissions still come through respond().
          if (this.#ctx.retire?.({ lingerMs: this.#ctx.timers.L, ack: 'pass-up' }) !== true) {
            this.#machine.startTimer('L', this.#ctx.timers.L, () => this.onTimerL());
          }
          this.#send(response);
        } else {
          // §17.2.1: "While in the 'Proceeding' state, if the TU passes a response with status code
          // from 300 to 699 to the server transaction, the response MUST be passed to the transport
          // layer for transmission, and the state machine MUST enter the 'Completed' state. For
          // unreliable transports, timer G is set to fire in T1 seconds ... timer H MUST be set to fire in 64*T1 seconds".
          this.#machine.transition('Completed');
          const g = this.#ctx.timers.G;
          if (g !== undefined) {
            this.#intervalG = g;
            this.#machine.startTimer('G', g, () => this.onTimerG());
          }
          this.#machine.startTimer('H', this.#ctx.timers.H, () => this.onTimerH());
          this.#send(response);
        }
        return;
      case 'Accepted':
        // RFC 6026 §8.7: "2xx responses from the TU ... MUST be passed to the transport layer for transmission" (UAS core retransmissions, §13.3.1.4).
        if (status >= 200 && status < 300) {
          this.#lastResponse = response;
          this.#send(response);
          return;
        }
        throw new TransactionError(`INVITE server transaction in Accepted cannot send ${status}`);
      case 'Completed':
      case 'Confirmed':
      case 'Terminated':
        throw new TransactionError(`INVITE server transaction in ${this.#machine.state} cannot send ${status}`);
    }
  }

  /** A request that matched this transaction: an INVITE retransmission or an ACK (§17.2.3). */
  receiveRequest(request: SipRequest, source: TransactionSource = this.source): void {
    if (request.method === 'ACK') {
      this.#receiveAck(request, source);
      return;
    }
    switch (this.#machine.state) {
      case 'Proceeding':
        // §17.2.1: "If a request retransmission is received while in the 'Proceeding' state, the
        // most recent provisional response that was received from the TU MUST be passed to the transport layer for retransmission."
        if (this.#lastResponse !== undefined) this.#send(this.#lastResponse);
        return;
      case 'Completed':
        // §17.2.1: "while in the 'Completed' state, if a request retransmission is received, the
        // server SHOULD pass the response to the transport for retransmission."
        if (this.#lastResponse !== undefined) this.#send(this.#lastResponse);
        return;
      case 'Accepted':
        // RFC 6026 §8.7: "the server transaction MUST NOT pass ... INVITE retransmissions to the TU" — absorbed;
        // the UAS core retransmits the 2xx itself.
        return;
      case 'Confirmed':
      case 'Terminated':
        return;
    }
  }

  #receiveAck(ack: SipRequest, source: TransactionSource): void {
    switch (this.#machine.state) {
      case 'Completed':
        // §17.2.1: "If an ACK is received while the server transaction is in the 'Completed' state,
        // the server transaction MUST transition to the 'Confirmed' state. As Timer G is ignored
        // in this state, any retransmissions of the response will cease."  Timer I = T4 (0 reliable).
        this.#machine.transition('Confirmed');
        this.#machine.cancelTimer('G');
        this.#machine.cancelTimer('H');
        // Confirmed only absorbs ACK and INVITE retransmissions: a small record until Timer I.
        if (this.#ctx.retire?.({ lingerMs: this.#ctx.timers.I, ack: 'absorb' }) === true) return;
        this.#machine.startTimer('I', this.#ctx.timers.I, () => this.onTimerI());
        return;
      case 'Accepted':
        // RFC 6026 §8.7: "The server transaction MUST pass any received ACKs to the TU".
        this.#machine.callUser('onAck', () => this.#events.onAck(ack, source, this));
        return;
      case 'Proceeding':
      case 'Confirmed':
      case 'Terminated':
        // §17.2.1: in Confirmed the transaction absorbs ACK retransmissions; elsewhere an ACK has nothing to acknowledge.
        return;
    }
  }

  /**
   * §17.2.1: "If timer G fires, the response is passed to the transport layer once more for
   * retransmission, and timer G is set to fire in MIN(2*T1, T2) seconds. From then on, when timer G
   * fires, the response is passed to the transport again for transmission, and timer G is reset
   * with a value that doubles, unless that value exceeds T2, in which case it is reset with the value of T2."
   */
  onTimerG(): void {
    if (this.#machine.state !== 'Completed' || this.#lastResponse === undefined) return;
    this.#send(this.#lastResponse);
    this.#intervalG = Math.min(2 * this.#intervalG, this.#ctx.timers.T2);
    this.#machine.startTimer('G', this.#intervalG, () => this.onTimerG());
  }

  /**
   * §17.2.1: "If timer H fires while in the 'Completed' state, it implies that the ACK was never
   * received. In this case, the server transaction MUST transition to the 'Terminated' state, and
   * MUST indicate to the TU that a transaction failure has occurred."
   */
  onTimerH(): void {
    if (this.#machine.state !== 'Completed') return;
    this.#machine.transition('Terminated');
    this.#machine.callUser('onTimeout', () => this.#events.onTimeout(this));
  }

  /** §17.2.1: "Once timer I fires, the server MUST transition to the 'Terminated' state." */
  onTimerI(): void {
    if (this.#machine.state === 'Confirmed') this.#machine.transition('Terminated');
  }

  /** RFC 6026 §8.7: "If Timer L fires while the INVITE server transaction is in the 'Accepted' state, the transaction MUST transition to the 'Terminated' state." */
  onTimerL(): void {
    if (this.#machine.state === 'Accepted') this.#machine.transition('Terminated');
  }

  /** The layer's record of this transaction expired: Timer L (Accepted) or Timer I (Confirmed) fired. */
  lingerExpired(): void {
    if (this.#machine.state === 'Accepted') this.onTimerL();
    else this.onTimerI();
  }

  /**
   * §17.2.4 as amended by RFC 6026 Figure 7: a transport error is reported to the TU; it ends the
   * transaction in Completed, while Proceeding and Accepted stay (the TU may still answer, and
   * Accepted must keep absorbing retransmissions until Timer L).
   */
  onTransportError(error: unknown): void {
    if (this.#machine.state === 'Terminated' || this.#machine.state === 'Confirmed') return;
    if (this.#machine.state === 'Completed') this.#machine.transition('Terminated');
    this.#machine.callUser('onTransportError', () => this.#events.onTransportError(this, error));
  }

  terminate(): void {
    this.#machine.terminate();
  }

  #send(response: SipResponse): void {
    this.#ctx.send(response, this.responseTarget, (error) => this.onTransportError(error));
  }
}
