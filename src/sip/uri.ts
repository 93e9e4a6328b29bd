/**
 * SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966) and any other absolute URI (RFC 3986 §4.3,
 * kept opaque: RFC 4475 unksm2 carries isbn:, http: and name: URIs that a parser must accept).
 * Parts are kept as written, %-escapes included, so formatUri(parseUri(x)) gives x back and a
 * proxy forwards a URI unchanged (RFC 4475 esc01, regescrt). Compare users with unescapeUriPart.
 */
import { SipParseError } from './errors.js';
import { formatParams, isDigits, schemeLength } from './syntax.js';

export interface SipUri {
  readonly kind: 'sip';
  readonly scheme: 'sip' | 'sips';
  /** As written, escapes included ("sips%3Auser%40example.com"); may contain ";" (RFC 4475 semiuri). */
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** A host name, an IPv4 address or an IPv6 address without brackets (RFC 5118). */
  readonly host: string;
  readonly port: number | undefined;
  /** uri-parameters; names lower-case (RFC 3261 §19.1.4: compared case-insensitively), values as written. */
  readonly params: Map<string, string | undefined>;
  /** hname → hvalue as written ("?Route=%3Csip:x%3E"). */
  readonly headers: Map<string, string>;
}

export interface TelUri {
  readonly kind: 'tel';
  readonly scheme: 'tel';
  /** global-number or local-number as written ("+1-201-555-0123"). */
  readonly number: string;
  readonly params: Map<string, string | undefined>;
}

export interface AbsoluteUri {
  readonly kind: 'absolute';
  /** Lower case. */
  readonly scheme: string;
  /** Everything after "scheme:". */
  readonly opaque: string;
}

export type Uri = SipUri | TelUri | AbsoluteUri;

export function isSipUri(uri: Uri): uri is SipUri {
  return uri.kind === 'sip';
}

export function isTelUri(uri: Uri): uri is TelUri {
  return uri.kind === 'tel';
}

function isHostChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f;
}

/**
 * IPv6reference contents (RFC 5118 §4.10 says to accept both the 2-colon and the buggy 3-colon
 * ABNF form "2001:db8:::192.0.2.1"), so only the alphabet and the presence of a colon are checked.
 */
function isIpv6Text(text: string): boolean {
  if (!text.includes(':')) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x3a) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46) || c === 0x2e;
    if (!ok) return false;
  }
  return true;
}

/** Parses `host [":" port]` at the start of text; returns host, port and the end offset. */
export function parseHostPort(text: string, at: number, stopAt: (c: number) => boolean): { host: string; port: number | undefined; end: number } {
  let i = at;
  let host: string;
  if (text.charCodeAt(i) === 0x5b) {
    const close = text.indexOf(']', i);
    if (close < 0) throw new SipParseError('Unterminated IPv6 reference', i);
    host = text.slice(i + 1, close);
    if (!isIpv6Text(host)) throw new SipParseError('Invalid IPv6 reference', i);
    i = close + 1;
  } else {
    const start = i;
    while (i < text.length && isHostChar(text.charCodeAt(i))) i++;
    host = text.slice(start, i);
    if (host.length === 0) throw new SipParseError('Missing host', start);
  }
  let port: number | undefined;
  if (text.charCodeAt(i) === 0x3a) {
    const start = ++i;
    while (i < text.length && !stopAt(text.charCodeAt(i))) i++;
    const digits = text.slice(start, i);
    const value = isDigits(digits) && digits.length <= 5 ? Number(digits) : NaN;
    if (!(value <= 65535)) throw new SipParseError('Invalid port', start);
    port = value;
  }
  if (i < text.length && !stopAt(text.charCodeAt(i))) throw new SipParseError('Invalid character in host', i);
  return { host, port, end: i };
}

const endOfHostPort = (c: number): boolean => c === 0x3b || c === 0x3f;

function parseUriParams(text: string, at: number, end: number, into: Map<string, string | undefined>): void {
  if (at >= end) return;
  for (const part of text.slice(at + 1, end).split(';')) {
    if (part.length === 0) throw new SipParseError('Empty URI parameter', at);
    const eq = part.indexOf('=');
    if (eq === 0) throw new SipParseError('Empty URI parameter name', at);
    if (eq < 0) into.set(part.toLowerCase(), undefined);
    else into.set(part.slice(0, eq).toLowerCase(), part.slice(eq + 1));
  }
}

function parseSipUri(text: string, scheme: 'sip' | 'sips', rest: number): SipUri {
  let user: string | undefined;
  let password: string | undefined;
  let i = rest;
  // userinfo ends at the first "@": user, password, uri-parameters and headers cannot hold an unescaped "@".
  const at = text.indexOf('@', i);
  if (at >= 0) {
    const colon = text.indexOf(':', i);
    if (colon >= 0 && colon < at) {
      user = text.slice(i, colon);
      password = text.slice(colon + 1, at);
    } else {
      user = text.slice(i, at);
    }
    if (user.length === 0) throw new SipParseError('Empty user in URI', i);
    i = at + 1;
  }
  const hp = parseHostPort(text, i, endOfHostPort);
  const params = new Map<string, string | undefined>();
  const headers = new Map<string, string>();
  const q = text.indexOf('?', hp.end);
  const paramsEnd = q < 0 ? text.length : q;
  parseUriParams(text, hp.end, paramsEnd, params);
  if (q >= 0) {
    for (const part of text.slice(q + 1).split('&')) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new SipParseError('Invalid URI header', q);
      headers.set(part.slice(0, eq), part.slice(eq + 1));
    }
  }
  return { kind: 'sip', scheme, user, password, host: hp.host, port: hp.port, params, headers };
}

function hasForbiddenChar(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === 0x22 || c === 0x3c || c === 0x3e) return i;
  }
  return -1;
}

export interface ParseUriOptions {
  /** Lower-case schemes the caller handles; another scheme throws SipParseError 416 (RFC 3261 §8.2.2.1). */
  readonly supportedSchemes?: readonly string[];
}

/**
 * Parses any absolute URI. An unknown scheme is not an error unless the caller lists the schemes
 * it supports (then 416, RFC 3261 §8.2.2.1); see also validateRequest.
 */
export function parseUri(text: string, options?: ParseUriOptions): Uri {
  const schemeLen = schemeLength(text);
  if (schemeLen === 0) throw new SipParseError('Invalid URI scheme', 0);
  const scheme = text.slice(0, schemeLen).toLowerCase();
  if (options?.supportedSchemes !== undefined && !options.supportedSchemes.includes(scheme)) {
    throw new SipParseError('Unsupported URI Scheme', 0, { status: 416 });
  }
  const bad = hasForbiddenChar(text);
  if (bad >= 0) throw new SipParseError('Invalid character in URI', bad);
  const rest = schemeLen + 1;
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(text, scheme, rest);
  if (rest >= text.length) throw new SipParseError('Empty URI', rest);
  if (scheme === 'tel') {
    const semi = text.indexOf(';', rest);
    const number = text.slice(rest, semi < 0 ? text.length : semi);
    if (number.length === 0) throw new SipParseError('Empty telephone number', rest);
    const params = new Map<string, string | undefined>();
    parseUriParams(text, semi < 0 ? text.length : semi, text.length, params);
    return { kind: 'tel', scheme: 'tel', number, params };
  }
  return { kind: 'absolute', scheme, opaque: text.slice(rest) };
}

/** host with brackets when it is an IPv6 address (RFC 5118 §4.1). */
export function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export function formatUri(uri: Uri): string {
  if (uri.kind === 'absolute') return `${uri.scheme}:${uri.opaque}`;
  if (uri.kind === 'tel') return `tel:${uri.number}${formatParams(uri.params)}`;
  let out = `${uri.scheme}:`;
  if (uri.user !== undefined) out += uri.password === undefined ? `${uri.user}@` : `${uri.user}:${uri.password}@`;
  out += formatHost(uri.host);
  if (uri.port !== undefined) out += `:${uri.port}`;
  out += formatParams(uri.params);
  if (uri.headers.size > 0) out += `?${[...uri.headers].map(([n, v]) => `${n}=${v}`).join('&')}`;
  return out;
}

/**
 * Resolves %HH escapes (RFC 3261 §19.1.4: URIs compare after unescaping) and decodes the bytes
 * as UTF-8; a "%" not followed by two hex digits is kept as it is.
 */
export function unescapeUriPart(text: string): string {
  if (!text.includes('%')) return text;
  const bytes: number[] = [];
  let i = 0;
  while (i < text.length) {
    const hex = text.charCodeAt(i) === 0x25 ? text.slice(i + 1, i + 3) : '';
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 3;
    } else {
      const ch = String.fromCodePoint(text.codePointAt(i) ?? 0);
      for (const b of Buffer.from(ch, 'utf8')) bytes.push(b);
      i += ch.length;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
