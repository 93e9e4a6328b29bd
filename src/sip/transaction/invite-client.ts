/**
 * INVITE client transaction: RFC 3261 §17.1.1 with the RFC 6026 §8.4 "Accepted" state.
 *
 *   Calling ──1xx──▶ Proceeding ──2xx──▶ Accepted ──Timer M──▶ Terminated
 *      │  ╲──2xx──────────────────────────▲                        ▲
 *      │   ╲─300-699─▶ Completed ──Timer D──────────────────────────┤
 *      └──Timer B / transport error──────────────────────────────────┘
 */
import { formatCSeq, parseCSeq } from '../cseq.js';
import { getHeader, getHeaders, type SipHeader, type SipRequest, type SipResponse } from '../message.js';
import { TransactionMachine } from './timer-set.js';
import type { ClientTransaction, ClientTransactionUser, InviteClientState, TransactionContext, TransactionTarget } from './types.js';

const EDGES: Readonly<Record<InviteClientState, readonly InviteClientState[]>> = {
  Calling: ['Proceeding', 'Accepted', 'Completed', 'Terminated'],
  Proceeding: ['Accepted', 'Completed', 'Terminated'],
  Accepted: ['Terminated'],
  Completed: ['Terminated'],
  Terminated: [],
};

type InviteClientTimer = 'A' | 'B' | 'C' | 'D' | 'M';

export class InviteClientTransaction implements ClientTransaction {
  readonly kind = 'invite-client';
  readonly request: SipRequest;
  readonly target: TransactionTarget;
  readonly branch: string;
  readonly #ctx: TransactionContext;
  readonly #user: ClientTransactionUser;
  readonly #machine: TransactionMachine<InviteClientState, InviteClientTimer>;
  #intervalA = 0;
  #ack: SipRequest | undefined;

  constructor(request: SipRequest, target: TransactionTarget, branch: string, ctx: TransactionContext, user: ClientTransactionUser) {
    this.request = request;
    this.target = target;
    this.branch = branch;
    this.#ctx = ctx;
    this.#user = user;
    this.#machine = new TransactionMachine('INVITE client transaction', EDGES, 'Calling', ctx, () =>
      this.#machine.callUser('onTerminated', () => this.#user.onTerminated?.(this)));
  }

  get state(): InviteClientState {
    return this.#machine.state;
  }

  /** Timers running now, for tests and diagnostics. */
  get runningTimers(): readonly string[] {
    return this.#machine.runningTimers;
  }

  /** The ACK this transaction built for a non-2xx final response, if any (§17.1.1.3). */
  get ack(): SipRequest | undefined {
    return this.#ack;
  }

  /**
   * §17.1.1.2: "The initial state, 'calling', MUST be entered when the TU initiates a new client
   * transaction with an INVITE request. The client transaction MUST pass the request to the
   * transport layer for transmission. If an unreliable transport is being used, the client
   * transaction MUST start timer A with a value of T1 ... [and] MUST start timer B with a value of 64*T1."
   */
  start(): void {
    this.#send(this.request);
    const a = this.#ctx.timers.A;
    if (a !== undefined) {
      this.#intervalA = a;
      this.#machine.startTimer('A', a, () => this.onTimerA());
    }
    this.#machine.startTimer('B', this.#ctx.timers.B, () => this.onTimerB());
  }

  /**
   * §17.1.1.2: "When timer A fires, the client transaction MUST retransmit the request by passing
   * it to the transport layer, and MUST reset the timer with a value of 2*T1."
   */
  onTimerA(): void {
    if (this.#machine.state !== 'Calling') return;
    this.#send(this.request);
    this.#intervalA *= 2;
    this.#machine.startTimer('A', this.#intervalA, () => this.onTimerA());
  }

  /**
   * §17.1.1.2: "If the client transaction is still in the 'Calling' state when timer B fires, the
   * client transaction SHOULD inform the TU that a timeout has occurred."
   */
  onTimerB(): void {
    if (this.#machine.state !== 'Calling') return;
    this.#machine.transition('Terminated');
    this.#machine.callUser('onTimeout', () => this.#user.onTimeout?.(this));
  }

  /**
   * Timer C, borrowed from the proxy (§16.6 step 11): a transaction in Proceeding that sees
   * neither a final nor a new provisional response for more than 3 minutes reports a timeout, so the TU (which would otherwise
   * CANCEL, §9.1) is never left waiting for good.
   */
  onTimerC(): void {
    if (this.#machine.state !== 'Proceeding') return;
    this.#machine.transition('Terminated');
    this.#machine.callUser('onTimeout', () => this.#user.onTimeout?.(this));
  }

  /** §17.1.1.2: "If timer D fires while the client transaction is in the 'Completed' state, the client transaction MUST move to the terminated state." */
  onTimerD(): void {
    if (this.#machine.state === 'Completed') this.#machine.transition('Terminated');
  }

  /** RFC 6026 §8.4: "If Timer M fires while the client transaction is in the 'Accepted' state, the client transaction MUST move to the 'Terminated' state." */
  onTimerM(): void {
    if (this.#machine.state === 'Accepted') this.#machine.transition('Terminated');
  }

  /**
   * A, B and C only act in Calling and Proceeding; once a final response came they would do
   * nothing when they fire, but each pending timer keeps this transaction (its request and SDP)
   * in memory: C for up to 3 minutes after the call was answered.
   */
  #cancelCallingTimers(): void {
    this.#machine.cancelTimer('A');
    this.#machine.cancelTimer('B');
    this.#machine.cancelTimer('C');
  }

  /** The layer's record of this transaction expired: Timer M fired. */
  lingerExpired(): void {
    this.onTimerM();
  }

  receiveResponse(response: SipResponse): void {
    const status = response.status;
    switch (this.#machine.state) {
      case 'Calling':
      case 'Proceeding':
        if (status < 200) {
          // §17.1.1.2: "If the client transaction receives a provisional response while in the
          // 'Calling' state, it transitions to the 'Proceeding' state ... the client transaction
          // SHOULD NOT retransmit the request any longer. Furthermore, the provisional response
          // MUST be passed to the TU."
          if (this.#machine.state === 'Calling') {
            this.#machine.transition('Proceeding');
            this.#machine.cancelTimer('A');
            this.#machine.cancelTimer('B');
          }
          // §16.7 step 2 (for Timer C): "If a provisional response is received ... timer C MUST be reset".
          this.#machine.startTimer('C', this.#ctx.timers.C, () => this.onTimerC());
          this.#toUser(response);
        } else if (status < 300) {
          this.#cancelCallingTimers();
          // RFC 6026 §8.4: "a 2xx response ... MUST be passed up to the TU ... the client
          // transaction MUST transition to the 'Accepted' state, and Timer M MUST be started with a value of 64*T1."
          this.#machine.transition('Accepted');
          // Accepted only passes 2xx retransmissions up until Timer M: the layer keeps that as a
          // small record (completed-store.ts) and hands them back to this machine while it lives.
          if (this.#ctx.retire?.({ lingerMs: this.#ctx.timers.M, ack: 'pass-up' }) !== true) {
            this.#machine.startTimer('M', this.#ctx.timers.M, () => this.onTimerM());
          }
          this.#toUser(response);
        } else {
          // §17.1.1.2: "When in either the 'Calling' or 'Proceeding' states, reception of a response
          // with status code from 300-699 MUST cause the client transaction to transition to
          // 'Completed'. The client transaction MUST pass the received response up to the TU, and
          // the client transaction MUST generate an ACK request ... [and] start timer D".
          this.#cancelCallingTimers();
          this.#machine.transition('Completed');
          this.#ack = buildNon2xxAck(this.request, response);
          this.#send(this.#ack);
          this.#toUser(response);
          if (this.state === 'Completed') this.#machine.startTimer('D', this.#ctx.timers.D, () => this.onTimerD());
        }
        return;
      case 'Accepted':
        // RFC 6026 §8.4: "any 2xx response that matches this transaction ... MUST be passed up to the TU";
        // other responses are absorbed.
        if (status >= 200 && status < 300) this.#toUser(response);
        return;
      case 'Completed':
        // §17.1.1.2: "Any retransmissions of the final response that are received while in the
        // 'Completed' state MUST cause the ACK to be re-passed to the transport layer for
        // retransmission, but the newly received response MUST NOT be passed up to the TU."
        if (status >= 300 && this.#ack !== undefined) this.#send(this.#ack);
        return;
      case 'Terminated':
        return;
    }
  }

  /**
   * §17.1.4: "the client transaction SHOULD inform the TU that a transport failure has occurred,
   * and the client transaction SHOULD transition directly to the 'Terminated' state."
   */
  onTransportError(error: unknown): void {
    if (this.#machine.state === 'Terminated') return;
    this.#machine.transition('Terminated');
    this.#machine.callUser('onTransportError', () => this.#user.onTransportError?.(this, error));
  }

  /** Ends the transaction without telling the TU (the layer is closing). */
  terminate(): void {
    this.#machine.terminate();
  }

  #toUser(response: SipResponse): void {
    this.#machine.callUser('onResponse', () => this.#user.onResponse(response, this));
  }

  #send(message: SipRequest): void {
    this.#ctx.send(message, this.target, (error) => this.onTransportError(error));
  }
}

/**
 * §17.1.1.3: the ACK for a non-2xx final response. "The Request-URI ... MUST be equal to the
 * Request-URI of the original request ... The Call-ID, From, and Request-URI header fields MUST
 * be the same as the original request, the To header field MUST be equal to the To of the
 * response being acknowledged ... The ACK MUST contain a single Via header field, and this MUST
 * be equal to the top Via header field of the original request. The CSeq header field ... MUST
 * contain the same value for the sequence number as was present in the original request, but the
 * method parameter MUST be equal to 'ACK'. If the INVITE request ... contained Route header
 * fields, the ACK MUST contain those header fields."
 */
export function buildNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const headers: SipHeader[] = [];
  const copy = (name: string, from: SipRequest | SipResponse = invite): void => {
    const value = getHeader(from, name);
    if (value !== undefined) headers.push({ name, value });
  };
  copy('Via');
  for (const value of getHeaders(invite, 'Route')) headers.push({ name: 'Route', value });
  headers.push({ name: 'Max-Forwards', value: getHeader(invite, 'Max-Forwards') ?? '70' });
  copy('From');
  copy('To', response);
  copy('Call-ID');
  const cseq = getHeader(invite, 'CSeq');
  if (cseq !== undefined) headers.push({ name: 'CSeq', value: formatCSeq({ seq: parseCSeq(cseq).seq, method: 'ACK' }) });
  return { kind: 'request', method: 'ACK', uri: invite.uri, version: invite.version, headers, body: Buffer.alloc(0) };
}
