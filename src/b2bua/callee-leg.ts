/**
 * A B-leg: our INVITE to one phone contact or one trunk, as a UAC (RFC 3261 §13.2). It answers a
 * 401/407 once from the trunk's HA1 (§22.2, a new CSeq and branch), reports 1xx, builds the
 * dialog from the 2xx (§12.1.2: remote target from Contact, route set from Record-Route reversed)
 * and ACKs it (§13.2.2.4). cancel() sends CANCEL with the INVITE's own Via once a provisional
 * response has come (§9.1: "SHOULD NOT be sent ... until a provisional response"); a 2xx that
 * still arrives after it is ACKed and ended with BYE (§13.2.2.4, §15).
 */
import { randomUUID } from 'node:crypto';
import {
  AuthFailure, DigestClient, SipTimeoutError, getHeader, getHeaders, newTag, withCredentials,
  type SipEndpoint, type SipHeader, type SipRequest, type SipResponse, type TransportTarget,
} from '../sip/index.js';
import { Dialog, contactUri } from './dialog.js';

export type CalleeLegState = 'calling' | 'proceeding' | 'answered' | 'failed' | 'cancelled';

export interface CalleeLegOptions {
  readonly stack: SipEndpoint;
  readonly target: TransportTarget;
  readonly requestUri: string;
  /** The To name-addr (no tag). */
  readonly to: string;
  /** The From name-addr without tag: the caller ID the callee shows. */
  readonly from: string;
  readonly offer: Buffer;
  /** Max-Forwards, P-Asserted-Identity... */
  readonly headers?: readonly SipHeader[];
  /** Digest credentials of a register trunk (HA1, never a password). */
  readonly credentials?: { readonly username: string; readonly ha1: string };
  readonly onProvisional?: (response: SipResponse) => void;
}

/** How a leg ended its INVITE: a dialog, or a final status (408 for no answer at all, 503 for a transport failure). */
export type LegOutcome =
  | { readonly kind: 'answered'; readonly response: SipResponse; readonly dialog: Dialog }
  | { readonly kind: 'failed'; readonly status: number; readonly response?: SipResponse }
  | { readonly kind: 'cancelled' };

export class CalleeLeg {
  readonly callId = `${randomUUID()}@b2bua`;
  readonly fromTag = newTag();
  readonly #o: CalleeLegOptions;
  #state: CalleeLegState = 'calling';
  #invite: SipRequest | undefined;
  #cseq = 1;
  #cancelPending: string | undefined;
  #cancelSent = false;
  #dialog: Dialog | undefined;
  /** Late offer: the 2xx carried the offer, so its ACK waits for the caller's answer. */
  #ackPending = false;

  constructor(options: CalleeLegOptions) {
    this.#o = options;
  }

  get state(): CalleeLegState {
    return this.#state;
  }

  get dialog(): Dialog | undefined {
    return this.#dialog;
  }

  get target(): TransportTarget {
    return this.#o.target;
  }

  /** Sends the INVITE; resolves when it has a final outcome. Never rejects. */
  async start(): Promise<LegOutcome> {
    const digest = this.#o.credentials === undefined ? undefined : new DigestClient({ username: this.#o.credentials.username, ha1: this.#o.credentials.ha1 });
    let credentials: SipHeader | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const invite = this.#build(credentials);
      this.#invite = invite;
      let response: SipResponse;
      try {
        response = await this.#o.stack.request(invite, this.#o.target, (r) => this.#provisional(r));
      } catch (error) {
        this.#state = this.#state === 'cancelled' ? 'cancelled' : 'failed';
        return this.#state === 'cancelled' ? { kind: 'cancelled' } : { kind: 'failed', status: error instanceof SipTimeoutError ? 408 : 503 };
      }
      if (response.status >= 200 && response.status < 300) return this.#answered(response);
      if ((response.status === 401 || response.status === 407) && digest !== undefined && this.#state !== 'cancelled' && attempt === 0) {
        try {
          credentials = digest.answer(response, { method: 'INVITE', uri: this.#o.requestUri });
        } catch (error) {
          if (!(error instanceof AuthFailure)) throw error;
          this.#state = 'failed';
          return { kind: 'failed', status: response.status, response };
        }
        this.#cseq += 1;
        this.#cancelSent = false;
        continue;
      }
      if (this.#state === 'cancelled') return { kind: 'cancelled' };
      this.#state = 'failed';
      return { kind: 'failed', status: response.status, response };
    }
    this.#state = 'failed';
    return { kind: 'failed', status: 403 };
  }

  /**
   * Gives up the leg before it is answered (a fork lost, the caller hung up, the ring time
   * ran out). `reason` is an RFC 3326 Reason header value.
   */
  cancel(reason?: string): void {
    if (this.#state !== 'calling' && this.#state !== 'proceeding') return;
    const wasProceeding = this.#state === 'proceeding';
    this.#state = 'cancelled';
    this.#cancelPending = reason ?? '';
    if (wasProceeding) this.#sendCancel();
  }

  /** Sends the held ACK of a late offer (with the caller's answer); does nothing otherwise. */
  ack(answer: Buffer = Buffer.alloc(0)): void {
    if (!this.#ackPending || this.#dialog === undefined) return;
    this.#ackPending = false;
    const headers: SipHeader[] = answer.length > 0 ? [{ name: 'Content-Type', value: 'application/sdp' }] : [];
    void this.#dialog.ack(this.#cseq, answer, headers).catch(() => {});
  }

  #provisional(response: SipResponse): void {
    if (this.#state === 'calling') this.#state = 'proceeding';
    if (this.#state === 'cancelled') {
      this.#sendCancel();
      return;
    }
    if (response.status > 100) this.#o.onProvisional?.(response);
  }

  #sendCancel(): void {
    const invite = this.#invite;
    if (invite === undefined || this.#cancelSent || this.#cancelPending === undefined) return;
    this.#cancelSent = true;
    // §9.1: Request-URI, Call-ID, To, From, the CSeq number and the top Via of the INVITE.
    const keep = new Set(['via', 'from', 'to', 'call-id', 'route', 'max-forwards']);
    const headers: SipHeader[] = invite.headers.filter((h) => keep.has(h.name.toLowerCase()));
    headers.push({ name: 'CSeq', value: `${this.#cseq} CANCEL` });
    if (this.#cancelPending !== '') headers.push({ name: 'Reason', value: this.#cancelPending });
    const cancel: SipRequest = { kind: 'request', method: 'CANCEL', uri: invite.uri, version: 'SIP/2.0', headers, body: Buffer.alloc(0) };
    this.#o.stack.request(cancel, this.#o.target).catch(() => {});
  }

  #answered(response: SipResponse): LegOutcome {
    const dialog = new Dialog(this.#o.stack, {
      callId: this.callId,
      local: `${this.#o.from};tag=${this.fromTag}`,
      remote: getHeader(response, 'To') ?? this.#o.to,
      remoteTarget: contactUri(getHeader(response, 'Contact')) ?? this.#o.requestUri,
      routeSet: [...getHeaders(response, 'Record-Route')].reverse(),
      localCseq: this.#cseq,
      target: this.#o.target,
    });
    this.#dialog = dialog;
    // RFC 3264 §4 / RFC 3261 §13.2.2.4: with no offer in our INVITE the 2xx holds the offer and
    // the ACK must carry the answer, which only the caller can give.
    if (this.#o.offer.length === 0 && this.#state !== 'cancelled') this.#ackPending = true;
    else void dialog.ack(this.#cseq).catch(() => {});
    if (this.#state === 'cancelled') {
      // §15: a 2xx after our CANCEL: the session exists; end it.
      void dialog.request('BYE', [{ name: 'Reason', value: this.#cancelPending === '' || this.#cancelPending === undefined ? 'SIP;cause=487' : this.#cancelPending }]).catch(() => {});
      return { kind: 'cancelled' };
    }
    this.#state = 'answered';
    return { kind: 'answered', response, dialog };
  }

  #build(credentials: SipHeader | undefined): SipRequest {
    const transport = this.#o.target.transport;
    const stack = this.#o.stack;
    const headers: SipHeader[] = [
      { name: 'Via', value: stack.newVia(transport) },
      { name: 'From', value: `${this.#o.from};tag=${this.fromTag}` },
      { name: 'To', value: this.#o.to },
      { name: 'Call-ID', value: this.callId },
      { name: 'CSeq', value: `${this.#cseq} INVITE` },
      { name: 'Contact', value: `<sip:${stack.hostPort(transport)};transport=${transport.toLowerCase()}>` },
      ...(this.#o.headers ?? []),
      ...(this.#o.offer.length > 0 ? [{ name: 'Content-Type', value: 'application/sdp' }] : []),
    ];
    if (!headers.some((h) => h.name === 'Max-Forwards')) headers.splice(1, 0, { name: 'Max-Forwards', value: '70' });
    const request: SipRequest = { kind: 'request', method: 'INVITE', uri: this.#o.requestUri, version: 'SIP/2.0', headers, body: this.#o.offer };
    return credentials === undefined ? request : withCredentials(request, credentials);
  }
}

