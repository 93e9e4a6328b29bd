/**
 * One side of a B2BUA call as a dialog of ours (RFC 3261 §12): the identifiers, our local CSeq,
 * the remote target and route set, and where requests go (the flow the peer is reached by, so
 * phones behind a NAT stay reachable). Both the caller's dialog (we are its UAS) and each
 * callee's dialog (we are its UAC) send their in-dialog requests through it (§12.2.1.1).
 */
import {
  getHeader, getHeaders, parseNameAddr, type SipEndpoint, type SipHeader, type SipRequest, type SipResponse, type TransportTarget,
} from '../sip/index.js';

export interface DialogInit {
  readonly callId: string;
  /** Our side's name-addr with our tag: the From of the requests we send. */
  readonly local: string;
  /** The peer's name-addr with its tag: the To of the requests we send. */
  readonly remote: string;
  /** The peer's Contact URI: the Request-URI (§12.2.1.1). */
  readonly remoteTarget: string;
  /** Route headers, in the order they are sent (§12.1.1 / §12.1.2). */
  readonly routeSet: readonly string[];
  readonly localCseq: number;
  readonly target: TransportTarget;
}

export function tagOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return /;\s*tag\s*=\s*([^;\s>]+)/i.exec(value)?.[1];
}

/** The URI inside a Contact (or any name-addr), or undefined. */
export function contactUri(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    const uri = parseNameAddr(value).uri;
    return uri === '*' ? undefined : uri;
  } catch {
    return undefined;
  }
}

/** The user part of a SIP URI (`sip:101@host` → `101`), unescaped enough for numbers. */
export function userOf(uri: string | undefined): string | undefined {
  if (uri === undefined) return undefined;
  const m = /^(?:sips?|tel):([^@;?]+)/i.exec(uri);
  return m?.[1] === undefined ? undefined : decodeURIComponent(m[1]);
}

/** The headers of a relayed request or response that describe its body or its meaning. */
const RELAYED_HEADERS = ['Content-Type', 'Content-Disposition', 'Event', 'Info-Package', 'Subscription-State', 'Refer-To', 'Referred-By', 'Reason', 'Allow', 'Supported'];

export function relayedHeaders(message: SipRequest | SipResponse): SipHeader[] {
  const out: SipHeader[] = [];
  for (const name of RELAYED_HEADERS) for (const value of getHeaders(message, name)) out.push({ name, value });
  return out;
}

export class Dialog {
  readonly callId: string;
  readonly local: string;
  readonly remoteTarget: string;
  readonly routeSet: readonly string[];
  readonly target: TransportTarget;
  readonly #stack: SipEndpoint;
  remote: string;
  #cseq: number;

  constructor(stack: SipEndpoint, init: DialogInit) {
    this.#stack = stack;
    this.callId = init.callId;
    this.local = init.local;
    this.remote = init.remote;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.target = init.target;
    this.#cseq = init.localCseq;
  }

  get localTag(): string | undefined {
    return tagOf(this.local);
  }

  /** A new request in this dialog with the next CSeq (§12.2.1.1); ACK and CANCEL use their own. */
  build(method: string, headers: readonly SipHeader[] = [], body: Buffer = Buffer.alloc(0), cseq = ++this.#cseq): SipRequest {
    return {
      kind: 'request', method, uri: this.remoteTarget, version: 'SIP/2.0', body,
      headers: [
        { name: 'Via', value: this.#stack.newVia(this.target.transport) },
        { name: 'Max-Forwards', value: '70' },
        ...this.routeSet.map((value) => ({ name: 'Route', value })),
        { name: 'From', value: this.local },
        { name: 'To', value: this.remote },
        { name: 'Call-ID', value: this.callId },
        { name: 'CSeq', value: `${cseq} ${method}` },
        { name: 'Contact', value: `<sip:${this.#stack.hostPort(this.target.transport)};transport=${this.target.transport.toLowerCase()}>` },
        ...headers,
      ],
    };
  }

  /** Sends a request in the dialog and resolves with its final response. */
  request(method: string, headers: readonly SipHeader[] = [], body?: Buffer): Promise<SipResponse> {
    return this.#stack.request(this.build(method, headers, body), this.target);
  }

  /** §13.2.2.4: the ACK for a 2xx carries the INVITE's CSeq number and goes outside any transaction. */
  ack(cseq: number, body?: Buffer, headers: readonly SipHeader[] = []): Promise<void> {
    return this.#stack.sendStateless(this.build('ACK', headers, body, cseq), this.target);
  }
}

/** Whether a message carries an SDP body. */
export function isSdp(message: SipRequest | SipResponse): boolean {
  return message.body.length > 0 && /^application\/sdp/i.test(getHeader(message, 'Content-Type') ?? '');
}

/** The CSeq number of a request or response. */
export function cseqNumber(message: SipRequest | SipResponse): number {
  return Number.parseInt(getHeader(message, 'CSeq') ?? '0', 10);
}
