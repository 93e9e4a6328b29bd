/**
 * Call detail records of the calls the agent RELAYS to the PBX through the tunnel (pbx mode, and
 * auto mode while the PBX is reachable). The PBX keeps its own records; these are the branch's
 * view, one per phone leg: who called whom from this branch, when it was answered, how and by whom
 * it ended, and whether the agent had to end it because its far side was gone. They go to the same
 * buffer and hub upload as the routing core's records (src/cdr), with `finalDestination` `pbx:…`
 * so the two kinds stay apart.
 *
 * The log only watches messages as the phone sees them (its own Call-ID): the initial INVITE
 * (no To tag, RFC 3261 §12.1) opens a record, its first final response answers or ends it, a
 * CANCEL or a BYE ends it. A record whose end is never seen is bounded: an unanswered one is closed
 * after Timer C's 3 minutes plus a margin (§16.6 step 11), and beyond `maxOpen` the oldest is closed.
 */
import { randomUUID } from 'node:crypto';
import type { Clock, Timer } from '../core/index.js';
import { getHeader, parseNameAddr, type SipRequest, type SipResponse } from '../sip/index.js';
import { sipUri } from './sip-edit.js';

/** Timer C (3 min) plus a margin: an INVITE with no final answer by then never gets one. */
export const UNANSWERED_LIMIT_MS = 200_000;
const SWEEP_EVERY_MS = 30_000;
const DEFAULT_MAX_OPEN = 20_000;

type EndedBy = 'caller' | 'callee' | 'system';

/**
 * The record, field for field one of the routing core's CDRs (src/routing/cdr.ts `CdrRecord`, which
 * the call path may not import): the agent hands both kinds to one buffer.
 */
export interface RelayedCallRecord {
  readonly id: string;
  readonly callId: string;
  readonly caller: string;
  readonly callee: string;
  readonly direction: 'inbound' | 'outbound';
  readonly startedAt: number;
  readonly answeredAt?: number;
  readonly endedAt: number;
  readonly talkSeconds: number;
  readonly endedReason: string;
  readonly endedBy: EndedBy;
  readonly status?: number;
  readonly finalDestination: string;
  readonly agent: string;
  readonly survival: false;
}

/** Who sent the message: a phone on the LAN, or the far side through the tunnel. */
export type RelayedSide = 'phone' | 'far';

interface OpenCall {
  readonly callId: string;
  readonly caller: string;
  readonly callee: string;
  /** Who sent the INVITE. */
  readonly from: RelayedSide;
  readonly startedAt: number;
  answeredAt?: number;
}

export interface RelayedCdrLogOptions {
  readonly clock: Clock;
  /** The SBC name, the records' `agent`. */
  readonly agent: string;
  readonly onCdr: (record: RelayedCallRecord) => void;
  readonly maxOpen?: number;
}

/** The user part of a From/To value or a URI (`"Bob" <sip:201@pbx>;tag=1` → `201`), else the whole. */
export function partyOf(value: string | undefined): string {
  if (value === undefined) return '';
  let uri = value;
  try {
    uri = parseNameAddr(value).uri;
  } catch {
    // A bare URI (the Request-URI) is not a name-addr.
  }
  return sipUri(uri)?.user ?? uri;
}

function hasToTag(message: SipRequest | SipResponse): boolean {
  return /;\s*tag=/i.test(getHeader(message, 'To') ?? '');
}

/** The reason a final non-2xx gives the record (the names the routing core's records use). */
function refusedReason(status: number): { reason: string; by: EndedBy } {
  if (status === 486 || status === 600) return { reason: 'busy', by: 'callee' };
  if (status === 603) return { reason: 'rejected', by: 'callee' };
  if (status === 487) return { reason: 'cancelled', by: 'caller' };
  if (status === 408 || status === 480) return { reason: 'no-answer', by: 'system' };
  return { reason: 'failed', by: 'system' };
}

export class RelayedCdrLog {
  readonly #o: RelayedCdrLogOptions;
  readonly #open = new Map<string, OpenCall>();
  #sweeper: Timer | undefined;
  #closed = false;

  constructor(options: RelayedCdrLogOptions) {
    this.#o = options;
  }

  /** Calls open now (started and not yet ended). */
  get openCalls(): number {
    return this.#open.size;
  }

  /** A request on its way between a phone and the tunnel, as the phone sees it. */
  request(side: RelayedSide, request: SipRequest): void {
    if (this.#closed) return;
    const callId = getHeader(request, 'Call-ID') ?? '';
    if (request.method === 'INVITE' && !hasToTag(request)) {
      if (this.#open.has(callId)) return; // a retransmission
      this.#open.set(callId, {
        callId, from: side, startedAt: this.#o.clock.wallNow(),
        caller: partyOf(getHeader(request, 'From')),
        // To a phone the Request-URI is its contact: the dialled number is in To.
        callee: side === 'phone' ? partyOf(request.uri) : partyOf(getHeader(request, 'To')),
      });
      this.#sweep();
      return;
    }
    const call = this.#open.get(callId);
    if (call === undefined) return;
    if (request.method === 'CANCEL' && call.answeredAt === undefined) this.#end(call, 'cancelled', side === call.from ? 'caller' : 'callee', 487);
    else if (request.method === 'BYE') this.#end(call, call.answeredAt === undefined ? 'cancelled' : 'completed', side === call.from ? 'caller' : 'callee');
  }

  /** A response on its way between a phone and the tunnel, to a request of `method`. */
  response(method: string, response: SipResponse): void {
    if (this.#closed || method !== 'INVITE' || response.status < 200) return;
    const call = this.#open.get(getHeader(response, 'Call-ID') ?? '');
    if (call === undefined || call.answeredAt !== undefined) return;
    if (response.status < 300) {
      call.answeredAt = this.#o.clock.wallNow();
      return;
    }
    const { reason, by } = refusedReason(response.status);
    this.#end(call, reason, by, response.status);
  }

  /** The agent ended the call itself (its far side is gone: tunnel-dialogs.ts). */
  agentEnded(callId: string): void {
    const call = this.#open.get(callId);
    if (call !== undefined) this.#end(call, 'far-side-gone', 'system');
  }

  #end(call: OpenCall, endedReason: string, endedBy: EndedBy, status?: number): void {
    this.#open.delete(call.callId);
    const endedAt = this.#o.clock.wallNow();
    const answered = call.answeredAt !== undefined;
    this.#o.onCdr({
      id: randomUUID(), callId: call.callId, caller: call.caller, callee: call.callee,
      // The branch's view: a phone's call goes out of the branch, the PBX's comes in.
      direction: call.from === 'phone' ? 'outbound' : 'inbound',
      startedAt: call.startedAt,
      ...(answered ? { answeredAt: call.answeredAt } : {}),
      endedAt,
      talkSeconds: answered ? Math.max(0, Math.floor((endedAt - (call.answeredAt ?? endedAt)) / 1000)) : 0,
      endedReason, endedBy,
      ...(status === undefined || answered ? {} : { status }),
      finalDestination: `pbx:${call.callee}`,
      agent: this.#o.agent,
      survival: false,
    });
  }

  /** Closes unanswered calls past Timer C, and the oldest beyond the bound. */
  #sweep(): void {
    this.#sweeper ??= this.#o.clock.setInterval(() => this.#sweep(), SWEEP_EVERY_MS);
    const now = this.#o.clock.wallNow();
    for (const call of this.#open.values()) {
      if (call.answeredAt === undefined && now - call.startedAt > UNANSWERED_LIMIT_MS) this.#end(call, 'no-answer', 'system', 408);
    }
    const max = this.#o.maxOpen ?? DEFAULT_MAX_OPEN;
    for (const call of this.#open.values()) {
      if (this.#open.size <= max) break;
      this.#end(call, 'unknown', 'system');
    }
    if (this.#open.size === 0) {
      this.#sweeper.cancel();
      this.#sweeper = undefined;
    }
  }

  /** Stops the sweeper; calls still open get no record (the agent is stopping). Idempotent. */
  close(): void {
    this.#closed = true;
    this.#sweeper?.cancel();
    this.#sweeper = undefined;
    this.#open.clear();
  }
}
