/**
 * The A-leg: the caller's INVITE server transaction and, once answered, our UAS dialog with the
 * caller (RFC 3261 §13.3). One To tag for every response, whichever fork they relay (the caller
 * sees one dialog: the B2BUA, not a forking proxy). The 2xx is retransmitted at T1, 2·T1 …
 * capped at T2 until the ACK comes (§13.3.1.4); without an ACK for 64·T1 the session ends.
 */
import { buildResponse, getHeader, getHeaders, newTag, type ServerRequest, type SipEndpoint, type SipHeader, type SipResponse } from '../sip/index.js';
import { Dialog, contactUri } from './dialog.js';
import { TwoXxRetransmission } from './two-xx.js';

export type CallerSideState = 'proceeding' | 'answered' | 'confirmed' | 'rejected';

export class CallerSide {
  readonly invite: ServerRequest;
  readonly localTag = newTag();
  readonly #stack: SipEndpoint;
  readonly #onAckTimeout: () => void;
  #state: CallerSideState = 'proceeding';
  #ringingSent = false;
  #progressSent = false;
  #retransmit: TwoXxRetransmission | undefined;
  #dialog: Dialog | undefined;
  #confirm: (acked: boolean) => void = () => {};
  readonly #confirmed = new Promise<boolean>((resolve) => {
    this.#confirm = resolve;
  });

  constructor(stack: SipEndpoint, invite: ServerRequest, onAckTimeout: () => void) {
    this.#stack = stack;
    this.invite = invite;
    this.#onAckTimeout = onAckTimeout;
  }

  get state(): CallerSideState {
    return this.#state;
  }

  get dialog(): Dialog | undefined {
    return this.#dialog;
  }

  get callId(): string {
    return getHeader(this.invite.request, 'Call-ID') ?? '';
  }

  /** 180 Ringing, once per call whatever the number of forks. */
  ringing(): void {
    if (this.#state !== 'proceeding' || this.#ringingSent || this.#progressSent) return;
    this.#ringingSent = true;
    this.#send(180);
  }

  /** 183 with early media (RFC 3960 style: the first fork with SDP), once. */
  progress(sdp: Buffer): void {
    if (this.#state !== 'proceeding' || this.#progressSent) return;
    this.#progressSent = true;
    this.#send(183, [{ name: 'Content-Type', value: 'application/sdp' }], sdp);
  }

  /** 200 with our SDP answer; the dialog with the caller starts (§12.1.1). */
  answer(sdp: Buffer): Dialog {
    const { request, source } = this.invite;
    const contact = `<sip:${this.#stack.hostPort(source.transport)};transport=${source.transport.toLowerCase()}>`;
    const headers: SipHeader[] = [{ name: 'Contact', value: contact }];
    if (sdp.length > 0) headers.push({ name: 'Content-Type', value: 'application/sdp' });
    const ok = this.#response(200, headers, sdp);
    this.#state = 'answered';
    this.invite.respond(ok);
    this.#dialog = new Dialog(this.#stack, {
      callId: this.callId,
      local: getHeader(ok, 'To') ?? '',
      remote: getHeader(request, 'From') ?? '',
      remoteTarget: contactUri(getHeader(request, 'Contact')) ?? request.uri,
      routeSet: getHeaders(request, 'Record-Route'),
      localCseq: 0,
      target: { transport: source.transport, host: source.address, port: source.port, ...(source.flowId === undefined ? {} : { flowId: source.flowId }) },
    });
    this.#retransmit = new TwoXxRetransmission(this.#stack.clock, source.transport !== 'UDP', () => this.invite.respond(ok), () => this.#ackTimedOut());
    return this.#dialog;
  }

  /** A final non-2xx answer to the caller. */
  reject(status: number, headers: readonly SipHeader[] = [], reason?: string): void {
    if (this.#state !== 'proceeding') return;
    this.#state = 'rejected';
    this.invite.respond(this.#response(status, headers, Buffer.alloc(0), reason));
  }

  /** The ACK for our 2xx came. */
  acked(): void {
    if (this.#state !== 'answered') return;
    this.#state = 'confirmed';
    this.#retransmit?.stop();
    this.#confirm(true);
  }

  /** True once the ACK for our 2xx came; false when it never did (§13.3.1.4) or the call closed first. */
  confirmed(): Promise<boolean> {
    return this.#confirmed;
  }

  close(): void {
    this.#retransmit?.stop();
    this.#confirm(false);
  }

  #send(status: number, headers: readonly SipHeader[] = [], body?: Buffer): void {
    this.invite.respond(this.#response(status, headers, body ?? Buffer.alloc(0)));
  }

  #response(status: number, headers: readonly SipHeader[], body: Buffer, reason?: string): SipResponse {
    return buildResponse(this.invite.request, status, reason, headers, body, { toTag: this.localTag });
  }

  /** §13.3.1.4: "the dialog is confirmed, but the session SHOULD be terminated". */
  #ackTimedOut(): void {
    if (this.#state !== 'answered') return;
    this.#state = 'confirmed';
    this.#confirm(false);
    this.#onAckTimeout();
  }
}
