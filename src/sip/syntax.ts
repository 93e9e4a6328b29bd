/**
 * Character classes and small scanners shared by the header helpers (RFC 3261 §25.1).
 * Everything works on JavaScript strings (header values after unfolding) and reports
 * failures as SipParseError with the offset inside the value.
 */
import { SipParseError } from './errors.js';

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
const TOKEN = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~') TOKEN[c.charCodeAt(0)] = 1;

export function isTokenChar(code: number): boolean {
  return code < 128 && TOKEN[code] === 1;
}

export function isToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) if (!isTokenChar(text.charCodeAt(i))) return false;
  return true;
}

/** Space or horizontal tab (WSP); values are unfolded, so LWS is only these two. */
export function isWsp(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

export function skipWsp(text: string, at: number): number {
  while (at < text.length && isWsp(text.charCodeAt(at))) at++;
  return at;
}

export function isDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * A decimal number of at most `max`, leading zeros allowed (RFC 4475 wsinv "0009").
 * Returns undefined when the text is not digits or the value is above max (RFC 4475 scalar02).
 */
export function parseBoundedInt(text: string, max: number): number | undefined {
  if (!isDigits(text)) return undefined;
  let i = 0;
  while (i < text.length - 1 && text.charCodeAt(i) === 0x30) i++;
  if (text.length - i > 16) return undefined;
  const value = Number(text.slice(i));
  return value <= max ? value : undefined;
}

/** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1). */
export function schemeLength(text: string): number {
  const first = text.charCodeAt(0);
  if (!((first >= 0x41 && first <= 0x5a) || (first >= 0x61 && first <= 0x7a))) return 0;
  let i = 1;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ok = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e;
    if (!ok) break;
  }
  return text.charCodeAt(i) === 0x3a ? i : 0;
}

/**
 * The end (exclusive, after the closing quote) of a quoted-string starting at `at`, honouring
 * quoted-pair escapes (RFC 3261 §25.1). Throws 400 on an unterminated quote (RFC 4475 quotbal).
 */
export function quotedStringEnd(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i + 1;
  }
  throw new SipParseError('Unterminated quoted string', at);
}

/** The content of a quoted-string with quoted-pairs resolved. */
export function unquote(quoted: string): string {
  const inner = quoted.slice(1, -1);
  return inner.includes('\\') ? inner.replace(/\\(.)/gs, '$1') : inner;
}

/** A quoted-string for `text`, escaping `"` and `\`. */
export function quote(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * generic-param list: *( SEMI generic-param ), LWS allowed around ";" and "=" (RFC 3261 §7.3.1,
 * RFC 4475 wsinv). Names are lower-cased; values are kept as written (a quoted-string keeps its
 * quotes, an IPv6 reference its brackets) so formatting gives back the same text. Parsing stops
 * at a top-level ","; returns the map and the offset where it stopped.
 */
export function parseParams(text: string, at: number, into: Map<string, string | undefined>): number {
  let i = skipWsp(text, at);
  while (i < text.length && text.charCodeAt(i) === 0x3b) {
    i = skipWsp(text, i + 1);
    const nameStart = i;
    while (i < text.length && isTokenChar(text.charCodeAt(i))) i++;
    if (i === nameStart) throw new SipParseError('Empty parameter name', nameStart);
    const name = text.slice(nameStart, i).toLowerCase();
    i = skipWsp(text, i);
    let value: string | undefined;
    if (text.charCodeAt(i) === 0x3d) {
      i = skipWsp(text, i + 1);
      const valueStart = i;
      const c = text.charCodeAt(i);
      if (c === 0x22) i = quotedStringEnd(text, i);
      else if (c === 0x5b) {
        const close = text.indexOf(']', i);
        if (close < 0) throw new SipParseError('Unterminated IPv6 reference', i);
        i = close + 1;
      } else {
        while (i < text.length) {
          const d = text.charCodeAt(i);
          if (d === 0x3b || d === 0x2c || isWsp(d) || d === 0x22 || d === 0x3c || d === 0x3e) break;
          i++;
        }
      }
      if (i === valueStart) throw new SipParseError(`Empty value for parameter ${name}`, valueStart);
      value = text.slice(valueStart, i);
      i = skipWsp(text, i);
    }
    into.set(name, value);
  }
  return i;
}

export function formatParams(params: ReadonlyMap<string, string | undefined>): string {
  let out = '';
  for (const [name, value] of params) out += value === undefined ? `;${name}` : `;${name}=${value}`;
  return out;
}
