/**
 * The few responses the transaction layer writes itself: 100 Trying (§17.2.1), and the layer's
 * defaults for CANCEL (§9.2: 200 / 481 / 487) and overload (503, §21.5.4). Headers per §8.2.6.2:
 * Via (all, in order), From, To (with a tag on non-100 responses), Call-ID, CSeq; Timestamp on 100 (§8.2.6.1).
 */
import { randomBytes } from 'node:crypto';
import { getHeader, getHeaders, type SipHeader, type SipRequest, type SipResponse } from '../message.js';

const REASONS: Readonly<Record<number, string>> = {
  100: 'Trying',
  200: 'OK',
  481: 'Call/Transaction Does Not Exist',
  487: 'Request Terminated',
  503: 'Service Unavailable',
};

export function newTag(): string {
  return randomBytes(6).toString('hex');
}

export function transactionResponse(request: SipRequest, status: number, toTag?: string, extra: readonly SipHeader[] = []): SipResponse {
  const headers: SipHeader[] = getHeaders(request, 'Via').map((value) => ({ name: 'Via', value }));
  const copy = (name: string): void => {
    const value = getHeader(request, name);
    if (value !== undefined) headers.push({ name, value });
  };
  copy('From');
  const to = getHeader(request, 'To');
  if (to !== undefined) {
    // §8.2.6.2: "the UAS MUST add a tag to the To header field in the response (with the exception of the 100 (Trying) response)".
    const hasTag = /;\s*tag\s*=/i.test(to);
    headers.push({ name: 'To', value: status === 100 || hasTag ? to : `${to};tag=${toTag ?? newTag()}` });
  }
  copy('Call-ID');
  copy('CSeq');
  if (status === 100) copy('Timestamp');
  headers.push(...extra);
  return { kind: 'response', status, reason: REASONS[status] ?? 'Unknown', version: request.version, headers, body: Buffer.alloc(0) };
}
