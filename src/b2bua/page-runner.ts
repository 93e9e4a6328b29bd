/**
 * Paging (issue 13): a paging number's phones are called with the auto-answer headers phones
 * honour and hear the pager one way. The agent answers the pager itself (its media end on the
 * pager's relay leg, terminal-answer.ts) as soon as the first member's phone has answered; every
 * member gets a relay leg of its own (media-anchor.ts listenerLeg), an offer of the pager's
 * answered format marked a=sendonly (so the phone answers recvonly, RFC 3264 §6.1), and a copy of
 * each packet the pager sends. A member's phones ring as one fork (the first to answer takes it)
 * for the number's ring time; a member hanging up leaves the page, the last one ends it, the
 * pager hanging up ends it for all. Intercom (two-way, one extension) is an ordinary ring step
 * with the same headers (call.ts).
 */
import type { PagingGroup, RoutingModel } from '../routing/index.js';
import { parseSdp, serializeSdp, setMediaDirection } from '../sdp/index.js';
import { buildResponse, getHeader, type ServerRequest, type SipHeader } from '../sip/index.js';
import type { CallHost, CallInit } from './call-types.js';
import type { Dialog } from './dialog.js';
import { Fork, type ForkTarget } from './fork.js';
import type { ListenerLeg } from './media-anchor.js';

/**
 * The requests to answer at once: Call-Info answer-after=0 (the form of RFC 3261 §20.9 that
 * Polycom, Yealink, Snom and Grandstream read), Alert-Info info=alert-autoanswer (Yealink, Cisco)
 * and, when asked, `Answer-Mode: Auto` (RFC 5373 §6).
 */
export function autoAnswerHeaders(hostPort: string, answerMode: boolean): SipHeader[] {
  return [
    { name: 'Call-Info', value: `<sip:${hostPort}>;answer-after=0` },
    { name: 'Alert-Info', value: '<http://127.0.0.1/>;info=alert-autoanswer' },
    ...(answerMode ? [{ name: 'Answer-Mode', value: 'Auto' }] : []),
  ];
}

/** Who a paging number calls: its extension or group members, once each, enabled, not on a call, never the caller. */
export function pageTargets(model: RoutingModel, group: PagingGroup, caller: string | undefined, busy: readonly string[]): string[] {
  const listed = group.target.kind === 'extension' ? [group.target.number] : model.ringGroups.find((g) => g.number === group.target.number)?.members ?? [];
  return listed.filter((e, i) => listed.indexOf(e) === i && e !== caller && !busy.includes(e) && model.extensions.some((x) => x.number === e && x.enabled));
}

/** What the call lets a page do with it. */
export interface PageCall {
  readonly host: CallHost;
  readonly init: CallInit;
  readonly callId: string;
  over(): boolean;
  /** The caller's offer anchored on the relay (once per call). */
  anchorOffer(): Promise<unknown>;
  /** B-legs (not started) to every live contact of `extension`, offered `offer`, with `headers` added. */
  legsTo(extension: string, offer: Buffer, headers: SipHeader[]): ForkTarget[];
  /** 200 to the caller with the agent's SDP. */
  answer(sdp: Buffer, calleeOffer: Buffer): void;
  /** A final non-2xx to the caller (a BYE once answered). */
  refuse(status: number, reason: string, headers: SipHeader[]): void;
  /** BYE to the caller. */
  hangUp(reason: string): void;
}

interface Member {
  readonly extension: string;
  readonly listener: ListenerLeg;
  dialog?: Dialog;
}

export class PageRunner {
  readonly #call: PageCall;
  readonly #members: Member[] = [];
  readonly #forks = new Set<Fork>();
  #closed = false;

  constructor(call: PageCall) {
    this.#call = call;
  }

  /** Extensions now listening (answered, not hung up). */
  get listening(): string[] {
    return this.#members.filter((m) => m.dialog !== undefined).map((m) => m.extension);
  }

  /** Calls the members of `group` (page mode) and relays the pager to those who answer. */
  async run(group: PagingGroup, members: readonly string[]): Promise<void> {
    const { host, init } = this.#call;
    await this.#call.anchorOffer();
    if (this.#call.over()) return;
    const served = await init.media.terminal();
    if (this.#call.over()) return;
    // The relay cannot decrypt the pager's SRTP (its key is the phone's), so page audio is plain RTP.
    if ('refused' in served || served.plan.srtp !== undefined) {
      const why = 'refused' in served ? served.refused : 'paging relays plain RTP only (RTP/AVP)';
      if (!('refused' in served)) served.endpoint.close();
      this.#call.refuse(488, 'not-acceptable', [{ name: 'Warning', value: `305 ${host.agent} "${why.replace(/"/g, "'")}"` }]);
      return;
    }
    const offer = Buffer.from(serializeSdp(setMediaDirection(parseSdp(served.calleeOffer), 'all', 'sendonly')));
    const headers = autoAnswerHeaders(host.stack.hostPort('UDP'), group.answerMode);
    served.endpoint.onPacket((packet) => {
      for (const m of this.#members) if (m.dialog !== undefined) m.listener.send(packet);
    });
    let answered = false;
    const rings: Promise<void>[] = [];
    for (const extension of members) {
      const listener = await init.media.listenerLeg(offer);
      if (this.#call.over()) {
        listener.close();
        break;
      }
      const targets = this.#call.legsTo(extension, listener.offer, headers);
      if (targets.length === 0) {
        listener.close();
        continue;
      }
      const member: Member = { extension, listener };
      this.#members.push(member);
      const fork = new Fork(host.clock, targets, group.ringSeconds, 0);
      this.#forks.add(fork);
      rings.push(fork.run().then((result) => {
        this.#forks.delete(fork);
        if (result.kind !== 'answered' || this.#closed) {
          if (result.kind === 'answered') void result.dialog.request('BYE').catch(() => {});
          this.#leave(member);
          return;
        }
        member.dialog = result.dialog;
        if (result.response.body.length > 0) listener.answered(result.response.body, result.dialog.target.host);
        host.bindDialog(result.dialog.callId, result.dialog.localTag ?? '', 'callee');
        if (!answered) {
          answered = true;
          this.#call.answer(served.answer, served.calleeOffer);
        }
      }));
    }
    await Promise.all(rings);
    if (this.#closed || this.#call.over()) return;
    if (!answered) {
      served.endpoint.close();
      this.#call.refuse(480, 'no-answer', [{ name: 'Reason', value: 'SIP;cause=480;text="no-answer"' }]);
    }
  }

  /** An in-dialog request from a member: BYE leaves the page (the last one ends it); true when it was one. */
  inDialog(incoming: ServerRequest): boolean {
    const { request } = incoming;
    const callId = getHeader(request, 'Call-ID');
    const member = this.#members.find((m) => m.dialog?.callId === callId);
    if (member === undefined) return false;
    if (request.method === 'ACK') return true;
    if (request.method === 'BYE') {
      incoming.respond(buildResponse(request, 200));
      this.#leave(member);
      if (this.listening.length === 0 && this.#forks.size === 0) this.#call.hangUp('completed');
      return true;
    }
    // A page's media does not change once set up (RFC 3261 §14.2: 488 leaves the session as it was).
    incoming.respond(buildResponse(request, request.method === 'INVITE' || request.method === 'UPDATE' ? 488 : 200));
    return true;
  }

  #leave(member: Member): void {
    const at = this.#members.indexOf(member);
    if (at >= 0) this.#members.splice(at, 1);
    member.listener.close();
  }

  /** The page ends: pending rings cancelled, BYE to every member still listening. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const fork of this.#forks) fork.abort();
    this.#forks.clear();
    for (const m of [...this.#members]) {
      if (m.dialog !== undefined) void m.dialog.request('BYE').catch(() => {});
      this.#leave(m);
    }
  }
}
