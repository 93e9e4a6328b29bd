/**
 * A small UAS core (RFC 3261 §8.2, §12.1.1, §13.3, §15.1.2): answers INVITE with 180 and a 200
 * carrying an SDP answer, retransmits the 2xx until the ACK comes (§13.3.1.4), answers BYE,
 * CANCEL (487 to the INVITE, §9.2), OPTIONS and REGISTER, and 405 to the rest. It is the far
 * end for SIPp and the tests, and a base for later layers.
 */
import type { Clock, Timer } from '../core/index.js';
import { buildResponse, newTag } from './response.js';
import { getHeader, getHeaders, type SipHeader, type SipRequest, type SipResponse } from './message.js';
import type { ServerRequest, SipEndpoint } from './stack-types.js';
import { topVia } from './via.js';

export interface UserAgentOptions {
  readonly endpoint: SipEndpoint;
  /** Makes the SDP answer from the offer; the default echoes the offer. Undefined → 488. */
  readonly answer?: (offer: Buffer, request: SipRequest) => Buffer | undefined;
  /** Delay between 180 and 200; 0 answers at once. */
  readonly ringMs?: number;
  readonly t1?: number;
  readonly t2?: number;
}

export interface UserAgentCounters {
  invites: number;
  answered: number;
  acks: number;
  byes: number;
  cancelled: number;
  /** 2xx retransmitted for 64·T1 without an ACK (§13.3.1.4). */
  ackTimeouts: number;
}

const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER';

type DialogState = 'early' | 'confirmed';

interface Dialog {
  readonly key: string;
  readonly invite: ServerRequest;
  readonly branch: string | undefined;
  state: DialogState;
  ok: SipResponse | undefined;
  ringTimer: Timer | undefined;
  retransmitTimer: Timer | undefined;
  retransmitStarted: number;
}

function tagOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return /;\s*tag\s*=\s*([^;\s>]+)/i.exec(value)?.[1];
}

export class UserAgent {
  readonly #endpoint: SipEndpoint;
  readonly #clock: Clock;
  readonly #answer: (offer: Buffer, request: SipRequest) => Buffer | undefined;
  readonly #ringMs: number;
  readonly #t1: number;
  readonly #t2: number;
  /** By Call-ID and our To tag. */
  readonly #dialogs = new Map<string, Dialog>();
  readonly #counters: UserAgentCounters = { invites: 0, answered: 0, acks: 0, byes: 0, cancelled: 0, ackTimeouts: 0 };
  #closed = false;

  constructor(options: UserAgentOptions) {
    this.#endpoint = options.endpoint;
    this.#clock = options.endpoint.clock;
    this.#answer = options.answer ?? ((offer) => offer);
    this.#ringMs = options.ringMs ?? 0;
    this.#t1 = options.t1 ?? 500;
    this.#t2 = options.t2 ?? 4000;
  }

  counters(): Readonly<UserAgentCounters> {
    return { ...this.#counters };
  }

  get dialogCount(): number {
    return this.#dialogs.size;
  }

  /** The TU callback: give it to the stack. */
  readonly handleRequest = (incoming: ServerRequest): void => {
    if (this.#closed) return;
    const { request } = incoming;
    switch (request.method) {
      case 'INVITE':
        this.#onInvite(incoming);
        return;
      case 'ACK':
        this.#onAck(request);
        return;
      case 'BYE':
        this.#onBye(incoming);
        return;
      case 'CANCEL':
        this.#onCancel(incoming);
        return;
      case 'OPTIONS':
        incoming.respond(this.#reply(request, 200, 'OK', [{ name: 'Allow', value: ALLOW }, { name: 'Accept', value: 'application/sdp' }]));
        return;
      case 'REGISTER':
        this.#onRegister(incoming);
        return;
      default:
        // §8.2.1: a method we do not support gets 405 with an Allow header.
        incoming.respond(this.#reply(request, 405, 'Method Not Allowed', [{ name: 'Allow', value: ALLOW }]));
    }
  };

  /** Cancels every timer and forgets every dialog. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const d of this.#dialogs.values()) this.#stopTimers(d);
    this.#dialogs.clear();
  }

  #reply(request: SipRequest, status: number, reason: string, extra: SipHeader[] = [], body?: Buffer, toTag?: string): SipResponse {
    // §8.2.6.2: buildResponse adds the To tag; the 180 and the 200 of one INVITE share it.
    return buildResponse(request, status, reason, extra, body, toTag === undefined ? {} : { toTag });
  }

  #key(request: SipRequest, localTag: string | undefined): string {
    return `${getHeader(request, 'Call-ID') ?? ''}|${localTag ?? ''}`;
  }

  #onInvite(incoming: ServerRequest): void {
    const { request } = incoming;
    const toTag = tagOf(getHeader(request, 'To'));
    if (toTag !== undefined) {
      this.#onReInvite(incoming, toTag);
      return;
    }
    this.#counters.invites++;
    const localTag = newTag();
    const dialog: Dialog = {
      key: this.#key(request, localTag), invite: incoming, branch: this.#branchOf(request), state: 'early',
      ok: undefined, ringTimer: undefined, retransmitTimer: undefined, retransmitStarted: 0,
    };
    this.#dialogs.set(dialog.key, dialog);
    incoming.respond(this.#reply(request, 180, 'Ringing', [], undefined, localTag));
    if (this.#ringMs > 0) {
      dialog.ringTimer = this.#clock.setTimeout(() => this.#accept(dialog, localTag), this.#ringMs);
    } else {
      this.#accept(dialog, localTag);
    }
  }

  #accept(dialog: Dialog, localTag: string): void {
    dialog.ringTimer = undefined;
    const request = dialog.invite.request;
    const answer = this.#answer(request.body, request);
    if (answer === undefined) {
      this.#dialogs.delete(dialog.key);
      dialog.invite.respond(this.#reply(request, 488, 'Not Acceptable Here', [], undefined, localTag));
      return;
    }
    const extra: SipHeader[] = [{ name: 'Contact', value: `<sip:${this.#endpoint.hostPort(dialog.invite.source.transport)};transport=${dialog.invite.source.transport.toLowerCase()}>` }];
    if (answer.length > 0) extra.push({ name: 'Content-Type', value: 'application/sdp' });
    dialog.ok = this.#reply(request, 200, 'OK', extra, answer, localTag);
    this.#counters.answered++;
    dialog.invite.respond(dialog.ok);
    // §13.3.1.4: over unreliable transports the UAS core retransmits the 2xx, T1 doubling to T2.
    if (dialog.invite.source.transport === 'UDP') {
      dialog.retransmitStarted = this.#clock.now();
      this.#armRetransmit(dialog, this.#t1);
    } else {
      this.#armAckTimeout(dialog);
    }
  }

  #armRetransmit(dialog: Dialog, interval: number): void {
    // §13.3.1.4: retransmit "until it receives an ACK ... for 64*T1 seconds", then give up.
    const remaining = dialog.retransmitStarted + 64 * this.#t1 - this.#clock.now();
    if (interval >= remaining) {
      dialog.retransmitTimer = this.#clock.setTimeout(() => this.#ackTimedOut(dialog), remaining);
      return;
    }
    dialog.retransmitTimer = this.#clock.setTimeout(() => {
      if (dialog.ok !== undefined) dialog.invite.respond(dialog.ok);
      this.#armRetransmit(dialog, Math.min(interval * 2, this.#t2));
    }, interval);
  }

  /** Reliable transports: no retransmission, but the ACK is still awaited for 64·T1. */
  #armAckTimeout(dialog: Dialog): void {
    dialog.retransmitTimer = this.#clock.setTimeout(() => this.#ackTimedOut(dialog), 64 * this.#t1);
  }

  /** §13.3.1.4: "the dialog is confirmed, but the session SHOULD be terminated". */
  #ackTimedOut(dialog: Dialog): void {
    this.#counters.ackTimeouts++;
    this.#stopTimers(dialog);
    this.#dialogs.delete(dialog.key);
  }

  #stopTimers(dialog: Dialog): void {
    dialog.ringTimer?.cancel();
    dialog.retransmitTimer?.cancel();
    dialog.ringTimer = undefined;
    dialog.retransmitTimer = undefined;
  }

  #onReInvite(incoming: ServerRequest, toTag: string): void {
    const dialog = this.#dialogs.get(this.#key(incoming.request, toTag));
    if (dialog === undefined || dialog.state !== 'confirmed') {
      incoming.respond(this.#reply(incoming.request, 481, 'Call/Transaction Does Not Exist'));
      return;
    }
    const answer = this.#answer(incoming.request.body, incoming.request) ?? Buffer.alloc(0);
    const extra: SipHeader[] = answer.length > 0 ? [{ name: 'Content-Type', value: 'application/sdp' }] : [];
    incoming.respond(this.#reply(incoming.request, 200, 'OK', extra, answer));
  }

  #onAck(request: SipRequest): void {
    const dialog = this.#dialogs.get(this.#key(request, tagOf(getHeader(request, 'To'))));
    if (dialog === undefined) return;
    this.#counters.acks++;
    dialog.state = 'confirmed';
    this.#stopTimers(dialog);
  }

  #onBye(incoming: ServerRequest): void {
    const key = this.#key(incoming.request, tagOf(getHeader(incoming.request, 'To')));
    const dialog = this.#dialogs.get(key);
    if (dialog === undefined) {
      incoming.respond(this.#reply(incoming.request, 481, 'Call/Transaction Does Not Exist'));
      return;
    }
    this.#counters.byes++;
    this.#stopTimers(dialog);
    this.#dialogs.delete(key);
    incoming.respond(this.#reply(incoming.request, 200, 'OK'));
  }

  /** §9.2: 200 to the CANCEL; if the INVITE has no final response yet, 487 to it. */
  #onCancel(incoming: ServerRequest): void {
    const { request } = incoming;
    const callId = getHeader(request, 'Call-ID');
    const branch = this.#branchOf(request);
    const dialog = [...this.#dialogs.values()].find((d) => d.branch === branch && getHeader(d.invite.request, 'Call-ID') === callId);
    if (dialog === undefined) {
      incoming.respond(this.#reply(request, 481, 'Call/Transaction Does Not Exist'));
      return;
    }
    incoming.respond(this.#reply(request, 200, 'OK'));
    if (dialog.ok !== undefined) return;
    this.#counters.cancelled++;
    this.#stopTimers(dialog);
    this.#dialogs.delete(dialog.key);
    const localTag = dialog.key.slice(dialog.key.lastIndexOf('|') + 1);
    dialog.invite.respond(this.#reply(dialog.invite.request, 487, 'Request Terminated', [], undefined, localTag));
  }

  /** A registrar that accepts every binding (no authentication): enough for tests and PnP. */
  #onRegister(incoming: ServerRequest): void {
    const { request } = incoming;
    const contacts = getHeaders(request, 'Contact');
    const expires = getHeader(request, 'Expires') ?? '3600';
    const extra: SipHeader[] = contacts
      .filter((c) => c.trim() !== '*')
      .map((c) => ({ name: 'Contact', value: /;\s*expires=/i.test(c) ? c : `${c};expires=${expires}` }));
    incoming.respond(this.#reply(request, 200, 'OK', extra));
  }

  #branchOf(request: SipRequest): string | undefined {
    try {
      return topVia(request).params.get('branch');
    } catch {
      return undefined;
    }
  }
}
