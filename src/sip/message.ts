/**
 * SIP messages as plain data (RFC 3261 §7). Headers keep their order; a comma-separated
 * header line is stored as one entry per value after parsing, so serialization writes one
 * line per value (normalised out). Header names are stored in their canonical long form
 * ("v" → "Via", "call-id" → "Call-ID"); unknown names keep their spelling.
 */

export interface SipHeader {
  readonly name: string;
  readonly value: string;
}

interface SipMessageBase {
  /** "SIP/2.0"; other versions are rejected by the parser with 505. */
  readonly version: string;
  readonly headers: SipHeader[];
  readonly body: Buffer;
}

export interface SipRequest extends SipMessageBase {
  readonly kind: 'request';
  readonly method: string;
  /** The Request-URI as written (SIP, SIPS, tel or any absolute URI); parse with parseUri. */
  readonly uri: string;
}

export interface SipResponse extends SipMessageBase {
  readonly kind: 'response';
  readonly status: number;
  readonly reason: string;
}

export type SipMessage = SipRequest | SipResponse;

/** RFC 3261 §7.3.3 and the IANA registry: compact form → canonical name. */
export const COMPACT_HEADER_NAMES: Readonly<Record<string, string>> = {
  a: 'Accept-Contact',
  b: 'Referred-By',
  c: 'Content-Type',
  d: 'Request-Disposition',
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact',
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  n: 'Identity-Info',
  o: 'Event',
  r: 'Refer-To',
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events',
  v: 'Via',
  x: 'Session-Expires',
  y: 'Identity',
};

const CANONICAL_NAMES = [
  'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow', 'Allow-Events',
  'Authentication-Info', 'Authorization', 'Call-ID', 'Call-Info', 'Contact', 'Content-Disposition',
  'Content-Encoding', 'Content-Language', 'Content-Length', 'Content-Type', 'CSeq', 'Date', 'Error-Info',
  'Event', 'Expires', 'Flow-Timer', 'From', 'Identity', 'Identity-Info', 'In-Reply-To', 'Max-Forwards',
  'MIME-Version', 'Min-Expires', 'Min-SE', 'Organization', 'P-Asserted-Identity', 'P-Preferred-Identity',
  'Path', 'Priority', 'Privacy', 'Proxy-Authenticate', 'Proxy-Authorization', 'Proxy-Require', 'RAck',
  'Reason', 'Record-Route', 'Refer-To', 'Referred-By', 'Reject-Contact', 'Replaces', 'Reply-To',
  'Request-Disposition', 'Require', 'Retry-After', 'Route', 'RSeq', 'Server', 'Service-Route',
  'Session-Expires', 'SIP-ETag', 'SIP-If-Match', 'Subject', 'Subscription-State', 'Supported',
  'Timestamp', 'To', 'Unsupported', 'User-Agent', 'Via', 'Warning', 'WWW-Authenticate',
] as const;

const CANONICAL_BY_LOWER: ReadonlyMap<string, string> = new Map(CANONICAL_NAMES.map((n) => [n.toLowerCase(), n]));

/** The canonical spelling of a header name: compact forms expanded, known names re-cased. */
export function canonicalHeaderName(name: string): string {
  const lower = name.toLowerCase();
  if (lower.length === 1) {
    const expanded = COMPACT_HEADER_NAMES[lower];
    if (expanded !== undefined) return expanded;
  }
  return CANONICAL_BY_LOWER.get(lower) ?? name;
}

/** First value of a header (by canonical or compact name, any case), or undefined. */
export function getHeader(msg: { readonly headers: readonly SipHeader[] }, name: string): string | undefined {
  const wanted = canonicalHeaderName(name).toLowerCase();
  for (const h of msg.headers) if (h.name.toLowerCase() === wanted) return h.value;
  return undefined;
}

/** Every value of a header, in message order. */
export function getHeaders(msg: { readonly headers: readonly SipHeader[] }, name: string): string[] {
  const wanted = canonicalHeaderName(name).toLowerCase();
  const out: string[] = [];
  for (const h of msg.headers) if (h.name.toLowerCase() === wanted) out.push(h.value);
  return out;
}

/** A copy of the header list without any value of `name`. */
export function withoutHeader(headers: readonly SipHeader[], name: string): SipHeader[] {
  const wanted = canonicalHeaderName(name).toLowerCase();
  return headers.filter((h) => h.name.toLowerCase() !== wanted);
}

/** A copy of the header list where `name` has exactly the given values, at the first old position. */
export function withHeader(headers: readonly SipHeader[], name: string, values: string | readonly string[]): SipHeader[] {
  const canonical = canonicalHeaderName(name);
  const wanted = canonical.toLowerCase();
  const list = (typeof values === 'string' ? [values] : values).map((value) => ({ name: canonical, value }));
  const at = headers.findIndex((h) => h.name.toLowerCase() === wanted);
  const rest = headers.filter((h) => h.name.toLowerCase() !== wanted);
  if (at < 0) return [...rest, ...list];
  const before = headers.slice(0, at).filter((h) => h.name.toLowerCase() !== wanted).length;
  return [...rest.slice(0, before), ...list, ...rest.slice(before)];
}
