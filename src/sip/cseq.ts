/** CSeq (RFC 3261 §20.16): a sequence number below 2**31 and the request method. */
import { SipParseError } from './errors.js';
import { isToken, isWsp, parseBoundedInt, skipWsp } from './syntax.js';

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

/** RFC 3261 §8.1.1.5: "The sequence number value MUST be expressible as a 32-bit unsigned integer and MUST be less than 2**31." */
export const MAX_CSEQ = 2 ** 31 - 1;

export function parseCSeq(value: string): CSeq {
  const start = skipWsp(value, 0);
  let i = start;
  while (i < value.length && !isWsp(value.charCodeAt(i))) i++;
  const seq = parseBoundedInt(value.slice(start, i), MAX_CSEQ);
  if (seq === undefined) throw new SipParseError('Invalid CSeq number', start);
  const methodStart = skipWsp(value, i);
  let end = value.length;
  while (end > methodStart && isWsp(value.charCodeAt(end - 1))) end--;
  const method = value.slice(methodStart, end);
  if (methodStart === i || !isToken(method)) throw new SipParseError('Invalid CSeq method', methodStart);
  return { seq, method };
}

export function formatCSeq(cseq: CSeq): string {
  return `${cseq.seq} ${cseq.method}`;
}
