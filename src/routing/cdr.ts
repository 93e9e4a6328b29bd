/**
 * A call detail record: one per call the agent's routing core handled, with the fields of the
 * PBX guides the model follows (PortSIP's CDR: caller, callee, times, direction, why it ended and
 * by whom, where it ended up). The executor (src/b2bua) makes them; the agent buffers them on disk
 * and uploads them to the hub (src/cdr), which keeps them for `sbc-agent hub cdr`.
 * Times are epoch milliseconds (UTC); `answeredAt` is absent for a call nobody answered.
 */

export type CdrDirection = 'internal' | 'inbound' | 'outbound' | 'emergency';

/** Who ended the call: the caller, the callee, or the system (a timer, a reject, a failure). */
export type CdrEndedBy = 'caller' | 'callee' | 'system';

export interface CdrRecord {
  /** Unique per record (the agent mints it): the hub drops a second upload of the same id. */
  readonly id: string;
  /** The caller leg's Call-ID as the caller sent it. */
  readonly callId: string;
  /** The caller's number (an extension, or the presented caller ID of an external call). */
  readonly caller: string;
  /** The number dialled (an extension, a group, an external number, a DID). */
  readonly callee: string;
  readonly direction: CdrDirection;
  readonly startedAt: number;
  readonly answeredAt?: number;
  readonly endedAt: number;
  /** Seconds from answer to end, rounded down; 0 when not answered. */
  readonly talkSeconds: number;
  /**
   * Why it ended: `completed` (hung up after answer), `cancelled` (the caller gave up),
   * a RejectReason of the plan (`busy`, `no-answer`, `blacklisted`...), `failed` (every route
   * failed) or `shutdown` (the agent stopped).
   */
  readonly endedReason: string;
  readonly endedBy: CdrEndedBy;
  /** The SIP status the caller got when the call was not answered. */
  readonly status?: number;
  /** Where it ended up: `extension:101`, `trunk:itsp/+442345`, `ring-group:600`, `voicemail:101`... */
  readonly finalDestination: string;
  /** The agent (SBC name) whose routing core handled it. */
  readonly agent: string;
  /** True when the agent routed it because the PBX was unreachable (survival mode). */
  readonly survival: boolean;
}

/** The record's time order and identity check, for buffers and the hub's store. */
export function isCdrRecord(value: unknown): value is CdrRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return typeof r.id === 'string' && typeof r.callId === 'string' && typeof r.caller === 'string' && typeof r.callee === 'string'
    && typeof r.direction === 'string' && typeof r.startedAt === 'number' && typeof r.endedAt === 'number'
    && typeof r.talkSeconds === 'number' && typeof r.endedReason === 'string' && typeof r.endedBy === 'string'
    && typeof r.finalDestination === 'string' && typeof r.agent === 'string' && typeof r.survival === 'boolean';
}
