/**
 * DTMF carried in SIP INFO bodies, as phones send it when RFC 4733 was not negotiated:
 *
 * - `application/dtmf-relay` (Cisco's format, used by most desk phones): lines `Signal=5` and
 *   `Duration=160` (milliseconds), in any order, with CRLF or LF.
 * - `application/dtmf` (the body is the key alone, `5` or `#`; some phones send the RFC 4733 event
 *   number, `11` for `#`).
 *
 * Pure: a body in, a digit out, or a DtmfInfoError with the status to answer the INFO with
 * (415 for another content type, 400 for a body without a key) (RFC 6086 §4.2.2).
 */
import { SbcError } from '../core/index.js';

export interface InfoDigit {
  /** `0`–`9`, `*`, `#`, `A`–`D`, or `flash`. */
  readonly symbol: string;
  /** Milliseconds when the body gives it. */
  readonly durationMs: number | undefined;
}

export class DtmfInfoError extends SbcError {
  readonly status: 400 | 415;
  readonly reason: string;

  constructor(status: 400 | 415, reason: string) {
    super('SBC_ERR_DTMF_INFO', `DTMF INFO: ${reason}`);
    this.status = status;
    this.reason = reason;
  }
}

export const DTMF_INFO_CONTENT_TYPES = ['application/dtmf-relay', 'application/dtmf'] as const;
/** Bodies longer than this are not DTMF (checked before reading, docs/STYLE.md rule 3). */
const MAX_BODY = 512;
const KEYS = '0123456789*#ABCD';

/** A key as written (`5`, `*`, `a`) or as an RFC 4733 event number (`10` = `*`, `16` = flash). */
function symbolOf(text: string): string | undefined {
  const t = text.trim().toUpperCase();
  if (t.length === 1 && KEYS.includes(t)) return t;
  if (/^\d{1,2}$/.test(t)) {
    const n = Number(t);
    if (n === 16) return 'flash';
    return KEYS[n];
  }
  return undefined;
}

export function parseDtmfInfo(contentType: string, body: Buffer | string): InfoDigit {
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (type !== 'application/dtmf-relay' && type !== 'application/dtmf') {
    throw new DtmfInfoError(415, `content type '${contentType}' is not ${DTMF_INFO_CONTENT_TYPES.join(' or ')}`);
  }
  if (body.length > MAX_BODY) throw new DtmfInfoError(400, `body of ${body.length} bytes (at most ${MAX_BODY})`);
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (type === 'application/dtmf') {
    const symbol = symbolOf(text);
    if (symbol === undefined) throw new DtmfInfoError(400, `application/dtmf body '${text.trim()}' is not a key`);
    return { symbol, durationMs: undefined };
  }
  let signal: string | undefined;
  let duration: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m === null) continue;
    const name = (m[1] ?? '').toLowerCase();
    if (name === 'signal') signal = m[2];
    else if (name === 'duration') duration = m[2];
  }
  if (signal === undefined) throw new DtmfInfoError(400, 'application/dtmf-relay body without Signal=');
  const symbol = symbolOf(signal);
  if (symbol === undefined) throw new DtmfInfoError(400, `Signal='${signal}' is not a key`);
  if (duration !== undefined && !/^\d{1,6}$/.test(duration)) throw new DtmfInfoError(400, `Duration='${duration}' is not milliseconds`);
  return { symbol, durationMs: duration === undefined ? undefined : Number(duration) };
}
