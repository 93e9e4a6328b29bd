/**
 * What the transaction user (a UA core, a registrar client, the SBC) sees of the SIP stack:
 * requests arrive with a handle to answer them, requests go out through client transactions.
 */
import type { Clock } from '../core/index.js';
import type { SipMessage, SipRequest, SipResponse } from './message.js';
import type { TransactionSource } from './transaction/index.js';
import type { SipTransportName, TransportTarget } from './transport/index.js';

/** A request delivered to the TU, with the way back. */
export interface ServerRequest {
  readonly request: SipRequest;
  readonly source: TransactionSource;
  /**
   * Sends a response through the request's server transaction. For INVITE, calling it again
   * with the same 2xx retransmits it (RFC 6026 §7.1 Accepted state; the UAS core drives
   * §13.3.1.4 retransmission). Does nothing for ACK (§17: ACK gets no response).
   */
  respond(response: SipResponse): void;
}

/** Receives requests: new ones, ACKs for 2xx (no transaction, §17.2.3) and CANCELs. */
export type RequestHandler = (incoming: ServerRequest) => void;

/** The client side of the stack as the TU uses it. */
export interface SipEndpoint {
  readonly clock: Clock;
  /**
   * Sends `request` in a new client transaction. Resolves with the final response;
   * provisional responses go to `onProvisional`. Rejects with SipTimeoutError (Timer B or F)
   * or SipTransportError.
   */
  request(request: SipRequest, target: TransportTarget, onProvisional?: (response: SipResponse) => void): Promise<SipResponse>;
  /** Sends outside any transaction: the ACK for a 2xx (§13.2.2.4), stateless forwarding. */
  sendStateless(message: SipMessage, target: TransportTarget): Promise<void>;
  /** A top Via value for a new request over `transport`, with a fresh branch (§8.1.1.7). */
  newVia(transport: SipTransportName): string;
  /** `host:port` we are reachable at over `transport` (for Contact). */
  hostPort(transport: SipTransportName): string;
}
