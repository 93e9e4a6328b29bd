/**
 * Tunnel errors. Every malformed frame or payload becomes a TunnelProtocolError that carries the
 * go-away reason to send (PROTOCOL.md "Go-away"), so the session reacts on the code, not the text.
 */
import { SbcError } from '../core/index.js';

/** Go-away reason codes, PROTOCOL.md "Go-away". */
export const GoAwayReason = {
  NORMAL: 0,
  PROTOCOL_ERROR: 1,
  UNSUPPORTED_VERSION: 2,
  REVOKED: 3,
  RESUME_REJECTED: 4,
  INTERNAL_ERROR: 5,
  FLOW_CONTROL_ERROR: 6,
  FRAME_TOO_LARGE: 7,
  UNAUTHORIZED: 8,
  SHUTTING_DOWN: 9,
  /** The certificate was replaced by a later enrollment of the same SBC: use the new identity. */
  SUPERSEDED: 10,
} as const;

export type GoAwayReasonCode = (typeof GoAwayReason)[keyof typeof GoAwayReason];

const NAMES = new Map<number, string>(Object.entries(GoAwayReason).map(([name, code]) => [code, name]));

export function goAwayReasonName(code: number): string {
  return NAMES.get(code) ?? `UNKNOWN(${code})`;
}

/** Unknown reason values are treated as INTERNAL_ERROR (PROTOCOL.md "Go-away"). */
export function toGoAwayReason(code: number): GoAwayReasonCode {
  return NAMES.has(code) ? (code as GoAwayReasonCode) : GoAwayReason.INTERNAL_ERROR;
}

export class TunnelProtocolError extends SbcError {
  /** The go-away reason this error is answered with. */
  readonly reason: GoAwayReasonCode;
  /** Byte offset in the input where the problem was found, when known. */
  readonly at: number;

  constructor(reason: GoAwayReasonCode, message: string, at = 0) {
    super('SBC_ERR_TUNNEL_PROTOCOL', `${goAwayReasonName(reason)}: ${message}`);
    this.reason = reason;
    this.at = at;
  }
}
