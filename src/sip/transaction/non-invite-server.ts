/**
 * Non-INVITE server transaction: RFC 3261 §17.2.2 (Figure 8).
 *
 *   Trying ──1xx from TU──▶ Proceeding ──200-699 from TU──▶ Completed ──Timer J──▶ Terminated
 *     └──────────200-699 from TU──────────────────────────────▲
 *   transport error in Proceeding or Completed ──────────────────────────────────▶ Terminated
 */
import type { SipRequest, SipResponse } from '../message.js';
import type { LingeringTransaction } from './completed-store.js';
import { TransactionMachine } from './timer-set.js';
import {
  TransactionError,
  type NonInviteServerState,
  type ServerTransaction,
  type TransactionContext,
  type TransactionSource,
  type TransactionTarget,
} from './types.js';

const EDGES: Readonly<Record<NonInviteServerState, readonly NonInviteServerState[]>> = {
  Trying: ['Proceeding', 'Completed', 'Terminated'],
  Proceeding: ['Completed', 'Terminated'],
  Completed: ['Terminated'],
  Terminated: [],
};

export interface NonInviteServerEvents {
  onTransportError(transaction: NonInviteServerTransaction, error: unknown): void;
}

export class NonInviteServerTransaction implements ServerTransaction, LingeringTransaction {
  readonly kind = 'non-invite-server';
  readonly request: SipRequest;
  readonly source: TransactionSource;
  readonly responseTarget: TransactionTarget;
  readonly #ctx: TransactionContext;
  readonly #events: NonInviteServerEvents;
  readonly #machine: TransactionMachine<NonInviteServerState, 'J'>;
  #lastResponse: SipResponse | undefined;

  constructor(request: SipRequest, source: TransactionSource, responseTarget: TransactionTarget, ctx: TransactionContext, events: NonInviteServerEvents) {
    this.request = request;
    this.source = source;
    this.responseTarget = responseTarget;
    this.#ctx = ctx;
    this.#events = events;
    this.#machine = new TransactionMachine('non-INVITE server transaction', EDGES, 'Trying', ctx);
  }

  get state(): NonInviteServerState {
    return this.#machine.state;
  }

  get runningTimers(): readonly string[] {
    return this.#machine.runningTimers;
  }

  get lastResponse(): SipResponse | undefined {
    return this.#lastResponse;
  }

  respond(response: SipResponse): void {
    const provisional = response.status < 200;
    switch (this.#machine.state) {
      case 'Trying':
      case 'Proceeding':
        this.#lastResponse = response;
        if (provisional) {
          // §17.2.2: "While in the 'Trying' state, if the TU passes a provisional response to the
          // server transaction, the server transaction MUST enter the 'Proceeding' state. The
          // response MUST be passed to the transport layer for transmission." Further 1xx in Proceeding are sent too.
          if (this.#machine.state === 'Trying') this.#machine.transition('Proceeding');
          this.#send(response);
          return;
        }
        // §17.2.2: "If the TU passes a final response (status codes 200-699) to the server while in
        // the 'Proceeding' [or 'Trying'] state, the transaction MUST enter the 'Completed' state, and
        // the response MUST be passed to the transport layer for transmission." Timer J = 64*T1 (0 reliable).
        this.#machine.transition('Completed');
        // While Completed only resends the final response, the layer keeps it as a small record
        // (completed-store.ts) that sends it now and on each retransmission until Timer J.
        if (this.#ctx.retire?.({ lingerMs: this.#ctx.timers.J, response, ack: 'absorb', onSendError: (error) => this.onTransportError(error) }) === true) return;
        this.#send(response);
        if (this.state === 'Completed') this.#machine.startTimer('J', this.#ctx.timers.J, () => this.onTimerJ());
        return;
      case 'Completed':
      case 'Terminated':
        // §17.2.2: "Any other final responses passed by the TU to the server transaction MUST be
        // discarded while in the 'Completed' state." Terminated too: with J = 0 (reliable
        // transports) the two states are one, and the TU must not see a difference.
        if (!provisional) return;
        throw new TransactionError(`non-INVITE server transaction in ${this.#machine.state} cannot send ${response.status}`);
    }
  }

  /** A retransmission of the request (§17.2.3). */
  receiveRequest(_request: SipRequest): void {
    switch (this.#machine.state) {
      case 'Trying':
        // §17.2.2: "Once in the 'Trying' state, any further request retransmissions are discarded."
        return;
      case 'Proceeding':
      case 'Completed':
        // §17.2.2: "If a retransmission of the request is received while in the 'Proceeding' state,
        // the most recently sent provisional response MUST be passed to the transport layer for
        // retransmission." / "While in the 'Completed' state, the server transaction MUST pass the
        // final response to the transport layer for retransmission whenever a retransmission of the request is received."
        if (this.#lastResponse !== undefined) this.#send(this.#lastResponse);
        return;
      case 'Terminated':
        return;
    }
  }

  /** §17.2.2: "The server transaction remains in this state until Timer J fires, at which point it MUST transition to the 'Terminated' state." */
  onTimerJ(): void {
    if (this.#machine.state === 'Completed') this.#machine.transition('Terminated');
  }

  /** The layer's record of this transaction expired: Timer J fired. */
  lingerExpired(): void {
    this.onTimerJ();
  }

  /** §17.2.4 / Figure 8: "Transport Err. Inform TU" from Proceeding and Completed to Terminated. */
  onTransportError(error: unknown): void {
    if (this.#machine.state === 'Terminated') return;
    this.#machine.transition('Terminated');
    this.#machine.callUser('onTransportError', () => this.#events.onTransportError(this, error));
  }

  terminate(): void {
    this.#machine.terminate();
  }

  #send(response: SipResponse): void {
    this.#ctx.send(response, this.responseTarget, (error) => this.onTransportError(error));
  }
}
