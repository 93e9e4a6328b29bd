/**
 * Transaction matching (RFC 3261 §17.1.3, §17.2.3, §9.2) and the response destination of a server
 * transaction (§18.2.2, RFC 3581 §4). A key is a string so transactions sit in plain Maps.
 */
import { parseCSeq } from '../cseq.js';
import { SipParseError } from '../errors.js';
import { getHeader, type SipMessage, type SipRequest } from '../message.js';
import { getTag, parseNameAddr } from '../name-addr.js';
import { randomToken } from '../random-token.js';
import { BRANCH_MAGIC_COOKIE, formatVia, topViaOf, type Via } from '../via.js';
import type { TransactionSource, TransactionTarget, TransactionTransportName } from './types.js';

export { BRANCH_MAGIC_COOKIE };

/** §8.1.1.7: a branch unique across space and time, starting with the magic cookie. */
export function newBranch(): string {
  return `${BRANCH_MAGIC_COOKIE}${randomToken(12, 'base64url')}`;
}

/**
 * §17.2.3: the branch follows RFC 3261 when it begins with the magic cookie. RFC 4475 §3.3.4
 * (badbranch): a branch of only "z9hG4bK" carries no unique part; it is matched like RFC 2543.
 */
export function isRfc3261Branch(branch: string | undefined): branch is string {
  return branch !== undefined && branch.length > BRANCH_MAGIC_COOKIE.length && branch.startsWith(BRANCH_MAGIC_COOKIE);
}

function defaultPort(transport: string): number {
  return transport === 'TLS' || transport === 'WSS' ? 5061 : 5060;
}

function sentBy(via: Via): string {
  return `${via.host.toLowerCase()}:${via.port ?? defaultPort(via.transport)}`;
}

function cseqOf(msg: SipMessage): { seq: number; method: string } | undefined {
  const value = getHeader(msg, 'CSeq');
  if (value === undefined) return undefined;
  try {
    return parseCSeq(value);
  } catch (error) {
    if (error instanceof SipParseError) return undefined;
    throw error;
  }
}

export function tagOf(msg: SipMessage, header: 'To' | 'From'): string | undefined {
  const value = getHeader(msg, header);
  if (value === undefined) return undefined;
  try {
    return getTag(parseNameAddr(value));
  } catch (error) {
    if (error instanceof SipParseError) return undefined;
    throw error;
  }
}

/**
 * §17.1.3: a response matches a client transaction when "the response has the same value of the
 * branch parameter in the top Via header field as the branch parameter in the top Via header field
 * of the request that created the transaction" and "the method parameter in the CSeq header field
 * matches the method of the request that created the transaction".
 */
export function clientKey(branch: string, method: string): string {
  return `${branch}|${method}`;
}

export function clientKeyOfResponse(msg: SipMessage): string | undefined {
  const branch = topViaOf(msg)?.params.get('branch');
  const cseq = cseqOf(msg);
  if (branch === undefined || cseq === undefined) return undefined;
  return clientKey(branch, cseq.method);
}

/** How a request is matched: by branch (RFC 3261) or by the RFC 2543 fields. */
export type ServerMatch =
  | { readonly style: '3261'; readonly key: string }
  | { readonly style: '2543'; readonly key: string; readonly toTag: string | undefined };

/**
 * §17.2.3: with the magic cookie, "the branch parameter in the request is equal to the one in the
 * top Via header field of the request that created the transaction, the sent-by value in the top
 * Via of the request is equal to the one in the request that created the transaction, and the
 * method of the request matches the one that created the transaction, except for ACK, where the
 * method of the request that created the transaction is INVITE."  `asMethod` overrides the method
 * (§9.2: a CANCEL is matched to the INVITE it cancels "except for the method").
 *
 * Without the cookie (RFC 2543): "the Request-URI, To tag, From tag, Call-ID, CSeq, and top Via
 * header field match those of the INVITE request" — with the CSeq number only, the method
 * compared by the caller, and the To tag returned for the caller to compare (an ACK carries the
 * tag of the response, §17.2.3). Undefined: the request cannot be matched (no Via, no CSeq).
 */
export function serverMatch(request: SipRequest, asMethod?: string): ServerMatch | undefined {
  const via = topViaOf(request);
  const cseq = cseqOf(request);
  if (via === undefined || cseq === undefined) return undefined;
  const method = asMethod ?? (request.method === 'ACK' ? 'INVITE' : request.method);
  const branch = via.params.get('branch');
  if (isRfc3261Branch(branch)) return { style: '3261', key: `${branch}|${sentBy(via)}|${method}` };
  const fields = [request.uri, tagOf(request, 'From') ?? '', getHeader(request, 'Call-ID') ?? '', String(cseq.seq), formatVia(via), method];
  return { style: '2543', key: fields.join('\u0000'), toTag: tagOf(request, 'To') };
}

function isTransportName(value: string): value is TransactionTransportName {
  return value === 'UDP' || value === 'TCP' || value === 'TLS';
}

/**
 * §18.2.2 with RFC 3581 §4: "If the 'sent-protocol' is a reliable transport protocol ... the
 * response MUST be sent using the existing connection to the source of the original request".
 * Otherwise "if the top Via has a 'received' parameter, the response MUST be sent to the address in
 * the 'received' parameter, using the port indicated in the 'sent-by' value" — or in 'rport' when
 * it carries one. maddr (multicast) is not supported.
 */
export function responseTargetFor(request: SipRequest, source: TransactionSource): TransactionTarget {
  const flow = source.flowId === undefined ? {} : { flowId: source.flowId };
  if (source.transport !== 'UDP') return { transport: source.transport, host: source.address, port: source.port, ...flow };
  const via = topViaOf(request);
  if (via === undefined) return { transport: 'UDP', host: source.address, port: source.port };
  const received = via.params.get('received');
  const rport = Number(via.params.get('rport') ?? '');
  const transport = isTransportName(via.transport) ? via.transport : 'UDP';
  const host = received !== undefined && received !== '' ? received.replace(/^\[(.*)\]$/, '$1') : source.address;
  const port = Number.isInteger(rport) && rport > 0 ? rport : (via.port ?? defaultPort(transport));
  return { transport: 'UDP', host, port };
}
