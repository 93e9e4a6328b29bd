/**
 * Building a response to a request (RFC 3261 §8.2.6) and the default reason phrases (§21).
 */
import { SipParseError } from './errors.js';
import { getHeader, getHeaders, type SipHeader, type SipRequest, type SipResponse } from './message.js';
import { formatNameAddr, getTag, parseNameAddr } from './name-addr.js';
import { SIP_VERSION } from './parse.js';
import { randomToken } from './random-token.js';

const REASONS: ReadonlyMap<number, string> = new Map([
  [100, 'Trying'], [180, 'Ringing'], [181, 'Call Is Being Forwarded'], [182, 'Queued'], [183, 'Session Progress'],
  [199, 'Early Dialog Terminated'],
  [200, 'OK'], [202, 'Accepted'], [204, 'No Notification'],
  [300, 'Multiple Choices'], [301, 'Moved Permanently'], [302, 'Moved Temporarily'], [305, 'Use Proxy'], [380, 'Alternative Service'],
  [400, 'Bad Request'], [401, 'Unauthorized'], [402, 'Payment Required'], [403, 'Forbidden'], [404, 'Not Found'],
  [405, 'Method Not Allowed'], [406, 'Not Acceptable'], [407, 'Proxy Authentication Required'], [408, 'Request Timeout'],
  [410, 'Gone'], [412, 'Conditional Request Failed'], [413, 'Request Entity Too Large'], [414, 'Request-URI Too Long'],
  [415, 'Unsupported Media Type'], [416, 'Unsupported URI Scheme'], [417, 'Unknown Resource-Priority'],
  [420, 'Bad Extension'], [421, 'Extension Required'], [422, 'Session Interval Too Small'], [423, 'Interval Too Brief'],
  [428, 'Use Identity Header'], [429, 'Provide Referrer Identity'], [430, 'Flow Failed'], [433, 'Anonymity Disallowed'],
  [436, 'Bad Identity-Info'], [437, 'Unsupported Certificate'], [438, 'Invalid Identity Header'],
  [439, 'First Hop Lacks Outbound Support'], [440, 'Max-Breadth Exceeded'], [469, 'Bad Info Package'],
  [470, 'Consent Needed'], [480, 'Temporarily Unavailable'], [481, 'Call/Transaction Does Not Exist'],
  [482, 'Loop Detected'], [483, 'Too Many Hops'], [484, 'Address Incomplete'], [485, 'Ambiguous'], [486, 'Busy Here'],
  [487, 'Request Terminated'], [488, 'Not Acceptable Here'], [489, 'Bad Event'], [491, 'Request Pending'],
  [493, 'Undecipherable'], [494, 'Security Agreement Required'],
  [500, 'Server Internal Error'], [501, 'Not Implemented'], [502, 'Bad Gateway'], [503, 'Service Unavailable'],
  [504, 'Server Time-out'], [505, 'Version Not Supported'], [513, 'Message Too Large'], [555, 'Push Notification Service Not Supported'],
  [580, 'Precondition Failure'],
  [600, 'Busy Everywhere'], [603, 'Decline'], [604, 'Does Not Exist Anywhere'], [606, 'Not Acceptable'], [607, 'Unwanted'], [608, 'Rejected'],
]);

const CLASS_REASONS = ['Informational', 'Success', 'Redirection', 'Client Error', 'Server Error', 'Global Failure'];

/** The RFC reason phrase of a status, or the name of its class for an unregistered code. */
export function reasonPhrase(status: number): string {
  return REASONS.get(status) ?? CLASS_REASONS[Math.floor(status / 100) - 1] ?? 'Unknown';
}

/** Methods whose 2xx/1xx-with-tag responses create a dialog (RFC 3261 §12.1, RFC 6665 §4.1, RFC 3515). */
const DIALOG_CREATING = new Set(['INVITE', 'SUBSCRIBE', 'REFER', 'NOTIFY']);

export interface BuildResponseOptions {
  /**
   * The To tag to add when the request's To has none (RFC 3261 §8.2.6.2, all responses but 100).
   * Default: 48 random bits in hex; callers that already answered provisionally pass the same tag.
   */
  readonly toTag?: string;
}

/** A fresh tag (RFC 3261 §19.3: at least 32 bits of randomness). */
export function newTag(): string {
  return randomToken(6, 'hex');
}

/**
 * A response to `request`: Via (all values, in order), From, To, Call-ID and CSeq copied
 * (§8.2.6.2); a To tag added when missing, except for 100 (§8.2.6.2); Timestamp copied into a
 * 100 (§8.2.6.1); Record-Route copied into 1xx (but 100) and 2xx to a dialog-creating request (§12.1.1).
 * Content-Length is not added here: serializeMessage writes it from the body.
 */
export function buildResponse(
  request: SipRequest,
  status: number,
  reason?: string,
  extraHeaders: readonly SipHeader[] = [],
  body: Buffer = Buffer.alloc(0),
  options: BuildResponseOptions = {},
): SipResponse {
  const headers: SipHeader[] = [];
  for (const value of getHeaders(request, 'Via')) headers.push({ name: 'Via', value });
  const from = getHeader(request, 'From');
  if (from !== undefined) headers.push({ name: 'From', value: from });
  const to = getHeader(request, 'To');
  if (to !== undefined) headers.push({ name: 'To', value: status === 100 ? to : withToTag(to, options.toTag) });
  const callId = getHeader(request, 'Call-ID');
  if (callId !== undefined) headers.push({ name: 'Call-ID', value: callId });
  const cseq = getHeader(request, 'CSeq');
  if (cseq !== undefined) headers.push({ name: 'CSeq', value: cseq });
  if (status === 100) {
    const timestamp = getHeader(request, 'Timestamp');
    if (timestamp !== undefined) headers.push({ name: 'Timestamp', value: timestamp });
  }
  if (status > 100 && status < 300 && DIALOG_CREATING.has(request.method)) {
    for (const value of getHeaders(request, 'Record-Route')) headers.push({ name: 'Record-Route', value });
  }
  headers.push(...extraHeaders);
  return { kind: 'response', version: SIP_VERSION, status, reason: reason ?? reasonPhrase(status), headers, body };
}

function withToTag(to: string, tag: string | undefined): string {
  let nameAddr;
  try {
    nameAddr = parseNameAddr(to);
  } catch (error) {
    // A To that does not parse is echoed with the tag appended: the answer is a 400 anyway.
    if (error instanceof SipParseError) return `${to};tag=${tag ?? newTag()}`;
    throw error;
  }
  if (getTag(nameAddr) !== undefined) return to;
  const params = new Map(nameAddr.params);
  params.set('tag', tag ?? newTag());
  return formatNameAddr({ displayName: nameAddr.displayName, uri: nameAddr.uri, params });
}
