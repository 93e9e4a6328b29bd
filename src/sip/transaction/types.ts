/**
 * What the transaction layer needs from the transport below it and what it gives the TU above
 * it (RFC 3261 §17, §18). The transport layer of src/sip/transport satisfies TransactionTransport.
 */
import { SbcError, type Clock, type Logger } from '../../core/index.js';
import type { SipMessage, SipRequest, SipResponse } from '../message.js';
import type { TimerValues } from './timers.js';

export type TransactionTransportName = 'UDP' | 'TCP' | 'TLS';

/** Where a message goes. `flowId` names an open connection to use (§18.2.2: responses go back on it). */
export interface TransactionTarget {
  readonly transport: TransactionTransportName;
  readonly host: string;
  readonly port: number;
  readonly flowId?: string;
}

/** Where a received message came from: the packet source, not what its Via says. */
export interface TransactionSource {
  readonly transport: TransactionTransportName;
  readonly address: string;
  readonly port: number;
  /** The connection it arrived on (stream transports). */
  readonly flowId?: string;
}

/**
 * The transport user interface the transaction layer sends through (§18). `send` may throw or
 * reject: either is a transport error for the transaction that sent (§17.1.4, §17.2.4).
 */
export interface TransactionTransport {
  send(message: SipMessage, target: TransactionTarget): void | Promise<void>;
  /**
   * Sends a message already serialized (a completed transaction's stored final response). When
   * absent, completed transactions keep the response as a message and send it with `send`.
   */
  sendSerialized?(bytes: Buffer, target: TransactionTarget): void | Promise<void>;
  /** Whether retransmissions are the transport's job; default: everything but UDP is reliable. */
  isReliable?(transport: TransactionTransportName): boolean;
}

/** The TU side of one client transaction (§17.1). Callbacks that throw are logged, not propagated. */
export interface ClientTransactionUser {
  /** Every response the transaction passes up: 1xx, the final response, and RFC 6026 2xx retransmissions. */
  onResponse(response: SipResponse, transaction: ClientTransaction): void;
  /** Timer B or F fired (§17.1.1.2, §17.1.2.2): the TU treats it as a 408. */
  onTimeout?(transaction: ClientTransaction): void;
  onTransportError?(transaction: ClientTransaction, error: unknown): void;
  onTerminated?(transaction: ClientTransaction): void;
}

export type InviteClientState = 'Calling' | 'Proceeding' | 'Accepted' | 'Completed' | 'Terminated';
export type NonInviteClientState = 'Trying' | 'Proceeding' | 'Completed' | 'Terminated';
export type InviteServerState = 'Proceeding' | 'Completed' | 'Confirmed' | 'Accepted' | 'Terminated';
export type NonInviteServerState = 'Trying' | 'Proceeding' | 'Completed' | 'Terminated';

export interface ClientTransaction {
  readonly kind: 'invite-client' | 'non-invite-client';
  readonly state: InviteClientState | NonInviteClientState;
  readonly request: SipRequest;
  readonly target: TransactionTarget;
  /** The branch of the top Via (§17.1.3). */
  readonly branch: string;
}

export interface ServerTransaction {
  readonly kind: 'invite-server' | 'non-invite-server';
  readonly state: InviteServerState | NonInviteServerState;
  readonly request: SipRequest;
  readonly source: TransactionSource;
  /** Where responses go (§18.2.2, RFC 3581). */
  readonly responseTarget: TransactionTarget;
  /** Passes a response from the TU down (§17.2.1, §17.2.2); throws TransactionError when the state forbids it. */
  respond(response: SipResponse): void;
}

/** A TU (or a caller) asked a transaction for something its state forbids, or the layer is full or closed. */
export class TransactionError extends SbcError {
  constructor(message: string) {
    super('SBC_ERR_SIP_TRANSACTION', message);
  }
}

/** What a transaction machine is given by the layer. */
export interface TransactionContext {
  readonly clock: Clock;
  readonly timers: TimerValues;
  readonly log: Logger;
  /** Sends; a failure comes back later through the machine's onTransportError. */
  send(message: SipMessage, target: TransactionTarget, onError: (error: unknown) => void): void;
  /** Called once when the machine enters Terminated. */
  terminated(): void;
  /**
   * Hands a machine that now only waits for its timer over to the layer's compact store
   * (completed-store.ts). True: the layer keeps the record, sends `response` (if any) and calls
   * the machine's lingerExpired() when `lingerMs` is over; the machine must start no timer. False
   * (legacy RFC 2543 matching, timer 0, layer closed): the machine runs its timer itself.
   */
  retire?(spec: RetireSpec): boolean;
}

/** What a machine that enters a waiting state asks the layer to keep (see TransactionContext.retire). */
export interface RetireSpec {
  readonly lingerMs: number;
  /** The final response to send now and again for each retransmitted request; none: retransmissions are absorbed. */
  readonly response?: SipResponse;
  /** What an ACK matching the record does. */
  readonly ack: 'absorb' | 'pass-up';
  /** A failure sending `response`: the machine's transport error. */
  readonly onSendError?: (error: unknown) => void;
}
