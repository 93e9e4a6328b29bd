/**
 * name-addr / addr-spec with header parameters (RFC 3261 §20.10 Contact, §20.20 From,
 * §20.39 To, §20.30/§20.34 Record-Route/Route, RFC 3515 Refer-To).
 *
 * Lenient where the input is unambiguous: an unquoted display name that is not a token list
 * (RFC 4475 baddn), no LWS before "<" (lwsdisp), spaces inside "< >" (badaspec). Rejected with
 * 400: an unterminated quote (quotbal), an empty parameter (badinv01), and an addr-spec outside
 * "<>" whose URI holds "?" or "," (RFC 3261 §20: such a URI must be enclosed; regbadct).
 */
import { SipParseError } from './errors.js';
import { formatParams, isToken, parseParams, quote, quotedStringEnd, schemeLength, skipWsp, unquote } from './syntax.js';

export interface NameAddr {
  /** Unquoted display name (quoted-pairs resolved), or undefined when there is none. */
  readonly displayName: string | undefined;
  /** The URI as written inside "<>" (or the addr-spec), or "*" for `Contact: *`. */
  readonly uri: string;
  /** Header parameters (tag, expires, q, lr...); names lower-case, values as written. */
  readonly params: Map<string, string | undefined>;
}

function checkUri(uri: string, at: number): void {
  if (schemeLength(uri) === 0) throw new SipParseError('Invalid URI in name-addr', at);
}

export function parseNameAddr(value: string): NameAddr {
  const params = new Map<string, string | undefined>();
  let i = skipWsp(value, 0);
  if (value.charCodeAt(i) === 0x2a && skipWsp(value, i + 1) === value.length) {
    return { displayName: undefined, uri: '*', params };
  }
  let displayName: string | undefined;
  let uri: string;
  if (value.charCodeAt(i) === 0x22) {
    const end = quotedStringEnd(value, i);
    displayName = unquote(value.slice(i, end));
    i = skipWsp(value, end);
    if (value.charCodeAt(i) !== 0x3c) throw new SipParseError('Expected < after display name', i);
  }
  const open = displayName === undefined ? value.indexOf('<', i) : i;
  if (open >= 0) {
    if (displayName === undefined) {
      const text = value.slice(i, open).trim();
      if (text.includes('"') || text.includes('>')) throw new SipParseError('Invalid display name', i);
      displayName = text.length > 0 ? text : undefined;
    }
    const close = value.indexOf('>', open);
    if (close < 0) throw new SipParseError('Unterminated <', open);
    uri = value.slice(open + 1, close).trim();
    checkUri(uri, open + 1);
    i = close + 1;
  } else {
    // addr-spec: the URI ends at the first ";" (what follows are header parameters, §20).
    let end = i;
    while (end < value.length) {
      const c = value.charCodeAt(end);
      if (c === 0x3b || c === 0x20 || c === 0x09) break;
      if (c === 0x3f || c === 0x2c) throw new SipParseError('URI with ? or , must be enclosed in <>', end);
      end++;
    }
    uri = value.slice(i, end);
    checkUri(uri, i);
    i = end;
  }
  i = parseParams(value, i, params);
  if (i < value.length) throw new SipParseError('Invalid characters after name-addr', i);
  return { displayName, uri, params };
}

/** A display name that is a run of tokens separated by single spaces is written bare, else quoted. */
function formatDisplayName(name: string): string {
  const words = name.split(' ');
  return words.every(isToken) ? name : quote(name);
}

export function formatNameAddr(nameAddr: NameAddr): string {
  if (nameAddr.uri === '*') return '*';
  const display = nameAddr.displayName === undefined ? '' : `${formatDisplayName(nameAddr.displayName)} `;
  return `${display}<${nameAddr.uri}>${formatParams(nameAddr.params)}`;
}

export function getTag(nameAddr: NameAddr): string | undefined {
  return nameAddr.params.get('tag');
}
