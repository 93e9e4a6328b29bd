/**
 * validateRequest: the checks a UAS (or the SBC acting as one) makes before processing a
 * request that parsed (RFC 3261 §8.2), in this order:
 *
 * 1. Integrity, 400 (checked first because a 416/420/415 needs a usable Via, From, To, Call-ID
 *    and CSeq to be answered at all): mandatory headers Via, From, To, Call-ID, CSeq, and
 *    Max-Forwards unless the top Via has no RFC 3261 branch (an RFC 2543 sender, RFC 4475
 *    inv2543; §8.1.1); single-valued headers occur once (multi01); Via, From, To, Contact,
 *    Route, Record-Route parse (badinv01, quotbal, regbadct); Max-Forwards ≤ 255 and Expires
 *    ≤ 2**32-1 (scalar02); the CSeq method equals the request method (mismatch01), or 501 when
 *    the method is not a registered one (mismatch02).
 * 2. §8.2.1 method: with `knownMethods`, a registered method not in it → 405 + Allow, another → 501.
 * 3. §8.2.2.1 Request-URI: scheme not in `supportedSchemes` → 416 (unkscm, novelsc); a SIP URI that
 *    does not parse (RFC 5118 ipv6-bad) or carries headers (§19.1.1 table: not allowed in a
 *    Request-URI; escruri) → 400.
 * 4. §16.3 step 3: Max-Forwards 0 on anything but OPTIONS → 483 (zeromf is an OPTIONS: answered).
 * 5. §8.2.2.3 Require with an option tag not in `supportedExtensions` → 420 + Unsupported (bext01);
 *    not for ACK and CANCEL. As a proxy, Proxy-Require instead (§16.3 step 5).
 * 6. §8.2.3 a body: no Content-Type → 400, a type not in `acceptedContentTypes` → 415 + Accept
 *    (invut), a Content-Encoding not accepted → 415 + Accept-Encoding.
 * 7. §21.4.7 an INVITE or UPDATE whose Accept allows none of `acceptedBodyTypes` → 406 (sdp01).
 *
 * With `proxy` set, steps 6 and 7 are skipped: a proxy relays bodies it does not understand and
 * does not inspect Content-Type, Content-Encoding or Accept (RFC 3261 §16.3 lists what a proxy
 * validates, and those are not among them); the UAS at the end answers 415 or 406 if it must.
 *
 * The parser already rejected what breaks framing or transaction matching (start line, version,
 * Content-Length, CSeq syntax); see parse.ts.
 */
import { parseCSeq } from './cseq.js';
import { SipParseError } from './errors.js';
import { mediaType, optionTags, parseDeltaSeconds, parseMaxForwards, splitList } from './header-values.js';
import { getHeader, getHeaders, type SipHeader, type SipRequest } from './message.js';
import { parseNameAddr } from './name-addr.js';
import { reasonPhrase } from './response.js';
import { schemeLength } from './syntax.js';
import { parseUri } from './uri.js';
import { BRANCH_MAGIC_COOKIE, parseVia } from './via.js';

export interface RequestPolicy {
  /** Option tags implemented (RFC 3261 §8.2.2.3). */
  readonly supportedExtensions: readonly string[];
  /** Body media types understood, lower case ("application/sdp"). */
  readonly acceptedContentTypes: readonly string[];
  /** Media types of the bodies sent in answers to INVITE/UPDATE; absent: no 406 check. */
  readonly acceptedBodyTypes?: readonly string[];
  /** Content-Encodings understood besides identity; default none. */
  readonly acceptedEncodings?: readonly string[];
  /** Methods implemented; absent: any method passes (a proxy forwards unknown methods, §16). */
  readonly knownMethods?: readonly string[];
  /** Request-URI schemes handled, lower case. */
  readonly supportedSchemes: readonly string[];
  /** Judge as the proxy relaying the request (RFC 3261 §16.3): no body type, encoding or Accept checks. */
  readonly proxy?: boolean;
}

export interface RequestRejection {
  readonly status: number;
  readonly reason: string;
  /** Headers the response must carry (Unsupported, Accept, Accept-Encoding, Allow). */
  readonly headers: SipHeader[];
}

/** Methods of RFC 3261, 3262, 3311, 3428, 3515, 3903, 6086, 6665. */
export const REGISTERED_METHODS: ReadonlySet<string> = new Set([
  'ACK', 'BYE', 'CANCEL', 'INFO', 'INVITE', 'MESSAGE', 'NOTIFY', 'OPTIONS', 'PRACK', 'PUBLISH', 'REFER', 'REGISTER', 'SUBSCRIBE', 'UPDATE',
]);

/** The policy of the torture tests: a UAS that accepts any method. */
export const DEFAULT_REQUEST_POLICY: RequestPolicy = {
  supportedExtensions: ['100rel', 'outbound', 'path', 'replaces', 'timer'],
  acceptedContentTypes: ['application/sdp', 'multipart/mixed', 'multipart/alternative', 'text/plain', 'message/sipfrag', 'application/dtmf-relay', 'application/pidf+xml'],
  acceptedBodyTypes: ['application/sdp'],
  supportedSchemes: ['sip', 'sips', 'tel'],
};

/**
 * The SBC as the proxy it is toward the request's destination (`sbc-agent sip-check`): bodies are
 * relayed, Require is the UAS's to judge; of Proxy-Require it knows no option tag (it implements no
 * proxy extension), so any Proxy-Require gets 420.
 */
export const PROXY_REQUEST_POLICY: RequestPolicy = { ...DEFAULT_REQUEST_POLICY, supportedExtensions: [], proxy: true };

const MANDATORY = ['Via', 'From', 'To', 'Call-ID', 'CSeq'] as const;
const SINGLE_VALUED = ['From', 'To', 'Call-ID', 'CSeq', 'Max-Forwards', 'Content-Type', 'Expires', 'Min-Expires'] as const;
const NAME_ADDR_LISTS = ['Contact', 'Route', 'Record-Route'] as const;

function reject(status: number, reason = reasonPhrase(status), headers: SipHeader[] = []): RequestRejection {
  return { status, reason, headers };
}

function parses(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch (error) {
    if (error instanceof SipParseError) return false;
    throw error;
  }
}

function checkIntegrity(req: SipRequest): RequestRejection | undefined {
  for (const name of MANDATORY) if (getHeader(req, name) === undefined) return reject(400, `Missing ${name}`);
  for (const name of SINGLE_VALUED) if (getHeaders(req, name).length > 1) return reject(400, `Multiple ${name}`);
  const vias = getHeaders(req, 'Via');
  for (const value of vias) if (!parses(() => parseVia(value))) return reject(400, 'Invalid Via');
  const branch = parseVia(vias[0] ?? '').params.get('branch');
  const maxForwards = getHeader(req, 'Max-Forwards');
  if (maxForwards === undefined && branch?.startsWith(BRANCH_MAGIC_COOKIE) === true) return reject(400, 'Missing Max-Forwards');
  if (maxForwards !== undefined && parseMaxForwards(maxForwards) === undefined) return reject(400, 'Invalid Max-Forwards');
  const expires = getHeader(req, 'Expires');
  if (expires !== undefined && parseDeltaSeconds(expires) === undefined) return reject(400, 'Invalid Expires');
  for (const name of ['From', 'To'] as const) {
    const value = getHeader(req, name) ?? '';
    if (!parses(() => parseNameAddr(value)) || parseNameAddr(value).uri === '*') return reject(400, `Invalid ${name}`);
  }
  const callId = getHeader(req, 'Call-ID') ?? '';
  if (callId.length === 0 || /\s/.test(callId)) return reject(400, 'Invalid Call-ID');
  for (const name of NAME_ADDR_LISTS) {
    const values = getHeaders(req, name);
    for (const value of values) {
      if (!parses(() => parseNameAddr(value))) return reject(400, `Invalid ${name}`);
      if (value.trim() === '*' && (name !== 'Contact' || values.length > 1 || req.method !== 'REGISTER')) return reject(400, `Invalid ${name}`);
    }
  }
  let cseqMethod: string;
  try {
    cseqMethod = parseCSeq(getHeader(req, 'CSeq') ?? '').method;
  } catch (error) {
    if (error instanceof SipParseError) return reject(400, 'Invalid CSeq');
    throw error;
  }
  if (cseqMethod !== req.method) {
    // RFC 4475 mismatch02: for a method the element does not know, 501 is the better answer.
    return REGISTERED_METHODS.has(req.method) ? reject(400, 'CSeq method does not match') : reject(501);
  }
  return undefined;
}

function checkRequestUri(req: SipRequest, policy: RequestPolicy): RequestRejection | undefined {
  const schemeLen = schemeLength(req.uri);
  if (schemeLen === 0) return reject(400, 'Invalid Request-URI');
  if (!policy.supportedSchemes.includes(req.uri.slice(0, schemeLen).toLowerCase())) return reject(416);
  let uri;
  try {
    uri = parseUri(req.uri);
  } catch (error) {
    if (error instanceof SipParseError) return reject(400, 'Invalid Request-URI');
    throw error;
  }
  if (uri.kind === 'sip' && uri.headers.size > 0) return reject(400, 'Headers not allowed in Request-URI');
  return undefined;
}

function mediaMatches(pattern: string, type: string): boolean {
  if (pattern === '*/*' || pattern === type) return true;
  return pattern.endsWith('/*') && type.startsWith(pattern.slice(0, -1));
}

function checkBody(req: SipRequest, policy: RequestPolicy): RequestRejection | undefined {
  if (req.body.length > 0) {
    const contentType = getHeader(req, 'Content-Type');
    if (contentType === undefined) return reject(400, 'Missing Content-Type');
    if (!policy.acceptedContentTypes.includes(mediaType(contentType))) {
      return reject(415, undefined, policy.acceptedContentTypes.map((value) => ({ name: 'Accept', value })));
    }
    const accepted = ['identity', ...(policy.acceptedEncodings ?? [])];
    const encodings = getHeaders(req, 'Content-Encoding').flatMap(splitList).map((e) => e.trim().toLowerCase());
    if (encodings.some((e) => e.length > 0 && !accepted.includes(e))) {
      return reject(415, undefined, accepted.map((value) => ({ name: 'Accept-Encoding', value })));
    }
  }
  const answerTypes = policy.acceptedBodyTypes;
  if (answerTypes !== undefined && (req.method === 'INVITE' || req.method === 'UPDATE')) {
    const accept = getHeaders(req, 'Accept').flatMap(splitList).map(mediaType).filter((t) => t.length > 0);
    if (accept.length > 0 && !accept.some((pattern) => answerTypes.some((type) => mediaMatches(pattern, type)))) return reject(406);
  }
  return undefined;
}

/** The rejection a request deserves under `policy`, or undefined when it may be processed. */
export function validateRequest(req: SipRequest, policy: RequestPolicy): RequestRejection | undefined {
  const integrity = checkIntegrity(req);
  if (integrity !== undefined) return integrity;
  if (policy.knownMethods !== undefined && !policy.knownMethods.includes(req.method)) {
    if (!REGISTERED_METHODS.has(req.method)) return reject(501);
    return reject(405, undefined, policy.knownMethods.map((value) => ({ name: 'Allow', value })));
  }
  const uri = checkRequestUri(req, policy);
  if (uri !== undefined) return uri;
  if (req.method !== 'OPTIONS' && parseMaxForwards(getHeader(req, 'Max-Forwards') ?? '70') === 0) return reject(483);
  if (req.method !== 'ACK' && req.method !== 'CANCEL') {
    // A UAS judges Require (§8.2.2.3); a proxy judges Proxy-Require only and relays Require to the UAS
    // that must understand it (§16.3 step 5, §20.29).
    const tags = optionTags(getHeaders(req, policy.proxy === true ? 'Proxy-Require' : 'Require'));
    const unsupported = tags.filter((tag) => !policy.supportedExtensions.includes(tag.toLowerCase()));
    if (unsupported.length > 0) return reject(420, undefined, unsupported.map((value) => ({ name: 'Unsupported', value })));
  }
  return policy.proxy === true ? undefined : checkBody(req, policy);
}
