/**
 * parseMessage: bytes of one SIP message → SipRequest | SipResponse (RFC 3261 §7).
 *
 * One pass over the header section, decoded once as latin1 (one character per byte, so string
 * offsets are byte offsets); values that hold bytes above 0x7f are re-decoded as UTF-8. Structured
 * headers stay strings: the helpers (parseVia, parseNameAddr, parseCSeq...) parse them on demand.
 *
 * What the parser checks (syntax and framing; failures are SipParseError):
 * - the start line: three parts (runs of spaces and trailing spaces tolerated, RFC 4475 lwsstart,
 *   trws), a method token, a Request-URI that starts with a scheme (ltgtruri → 400), version
 *   SIP/2.0 (another SIP/x.y → 505, RFC 4475 badvers), a 3-digit status 100..699 (bigcode → drop);
 * - header lines: "name: value" with a token name, folding unfolded (RFC 3261 §7.3.1), line ends
 *   CRLF or bare LF (lenient: the RFC 5118 archive is LF-only), no bare CR;
 * - Content-Length: digits (ncl → 400), at most one (mcl01 → 400), not beyond the data (clerr →
 *   400); mandatory with `stream: true` (RFC 3261 §18.3). Over UDP it is optional and bytes after
 *   the body are ignored (RFC 4475 dblreq);
 * - CSeq: a number below 2**31 and a method token (scalar02 → 400, scalarlg → drop), because the
 *   transaction layer matches on it before anything else runs.
 * Everything that needs the application's policy (mandatory headers, single-valued headers, URI
 * schemes, Require, Content-Type...) is validateRequest's job.
 */
import { isAscii } from 'node:buffer';
import { parseCSeq } from './cseq.js';
import { SipParseError } from './errors.js';
import { LIST_HEADERS, splitList } from './header-values.js';
import { canonicalName } from './header-names.js';
import { type SipHeader, type SipMessage, type SipRequest } from './message.js';
import { isToken, isTokenChar, parseBoundedInt, schemeLength } from './syntax.js';

export interface ParseOptions {
  /** TCP/TLS/WS: Content-Length is mandatory (RFC 3261 §18.3). Default: a UDP datagram. */
  readonly stream?: boolean;
}

export const SIP_VERSION = 'SIP/2.0';
const EMPTY: Buffer = Buffer.alloc(0);
const HEADER_END = Buffer.from('\r\n\r\n');

function isWspCode(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Trims SP and HT only: String.prototype.trim would also eat latin1 0xA0, the tail of a UTF-8 sequence. */
function trimWsp(text: string): string {
  let a = 0;
  let b = text.length;
  while (a < b && isWspCode(text.charCodeAt(a))) a++;
  while (b > a && isWspCode(text.charCodeAt(b - 1))) b--;
  return a === 0 && b === text.length ? text : text.slice(a, b);
}

const HIGH_BYTE = /[\x80-\xff]/;

function utf8(text: string): string {
  return HIGH_BYTE.test(text) ? Buffer.from(text, 'latin1').toString('utf8') : text;
}

interface StartLine {
  readonly request: { method: string; uri: string } | undefined;
  readonly status: number;
  readonly reason: string;
  /** A version error found on the start line, thrown once the headers are read. */
  readonly versionError: string | undefined;
}

function parseStartLine(line: string, base: number): StartLine {
  const isResponse = line.length >= 4 && line.slice(0, 4).toUpperCase() === 'SIP/';
  const parts = line.split(/[ \t]+/);
  if (isResponse) {
    const version = parts[0] ?? '';
    const codeText = parts[1] ?? '';
    const code = codeText.length === 3 ? parseBoundedInt(codeText, 699) : undefined;
    if (code === undefined || code < 100) throw new SipParseError('Invalid status code', base + version.length + 1, { isResponse: true });
    const reasonAt = line.indexOf(codeText, version.length) + 3;
    const reason = utf8(trimWsp(line.slice(reasonAt)));
    const versionError = version.toUpperCase() === SIP_VERSION ? undefined : 'Version Not Supported';
    return { request: undefined, status: code, reason, versionError };
  }
  if (parts.length > 0 && parts[0] === '') parts.shift();
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length !== 3) throw new SipParseError('Malformed Request-Line', base);
  const [method = '', uri = '', version = ''] = parts;
  if (!isToken(method)) throw new SipParseError('Invalid method', base);
  if (schemeLength(uri) === 0) throw new SipParseError('Invalid Request-URI', base + method.length + 1);
  let versionError: string | undefined;
  if (version.toUpperCase() !== SIP_VERSION) {
    if (!/^SIP\/\d+\.\d+$/i.test(version)) throw new SipParseError('Invalid SIP-Version', base + line.lastIndexOf(version));
    versionError = 'Version Not Supported';
  }
  return { request: { method, uri: utf8(uri) }, status: 0, reason: '', versionError };
}

function addHeader(headers: SipHeader[], name: string, raw: string, ascii: boolean): void {
  const value = ascii ? trimWsp(raw) : utf8(trimWsp(raw));
  if (value.indexOf(',') >= 0 && LIST_HEADERS.has(name)) {
    for (const part of splitList(value)) headers.push({ name, value: part });
  } else {
    headers.push({ name, value });
  }
}

function checkName(text: string, from: number, to: number, isResponse: boolean): void {
  if (to === from) throw new SipParseError('Empty header name', from, { isResponse });
  for (let i = from; i < to; i++) {
    if (!isTokenChar(text.charCodeAt(i))) throw new SipParseError('Invalid header name', i, { isResponse });
  }
}

export function parseMessage(data: Buffer, options?: ParseOptions): SipMessage {
  const stream = options?.stream === true;
  // The first CRLFCRLF bounds the header section (an earlier bare-LF empty line ends it sooner),
  // so the body is neither decoded nor scanned.
  let pos = 0;
  // RFC 3261 §7.5: CRLFs before the start-line are ignored.
  while (pos < data.length && (data[pos] === 0x0d || data[pos] === 0x0a)) pos++;
  const crlfcrlf = data.indexOf(HEADER_END, pos);
  const text = data.toString('latin1', 0, crlfcrlf < 0 ? data.length : crlfcrlf + 4);
  let nl = text.indexOf('\n', pos);
  if (nl < 0) throw new SipParseError('Incomplete start line', pos, { isResponse: text.startsWith('SIP/', pos) });
  const startEnd = text.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl;
  const cr = text.indexOf('\r', pos);
  if (cr >= 0 && cr < startEnd) throw new SipParseError('Bare CR in start line', cr, { isResponse: text.startsWith('SIP/', pos) });
  const start = parseStartLine(text.slice(pos, startEnd), pos);
  const isResponse = start.request === undefined;
  const headers: SipHeader[] = [];
  let bodyStart = -1;
  let ascii = true;
  let name = '';
  let value = '';
  pos = nl + 1;
  const headerStart = pos;
  let nextCr = -2; // -2: not searched yet; -1: no CR left in the data
  for (;;) {
    nl = text.indexOf('\n', pos);
    const lineEnd = nl < 0 ? text.length : text.charCodeAt(nl - 1) === 0x0d && nl - 1 >= pos ? nl - 1 : nl;
    if (lineEnd === pos) {
      // The empty line; or the data ended right after a header line (RFC 4475 baddn, RFC 5118 abnf files).
      bodyStart = nl < 0 ? text.length : nl + 1;
      break;
    }
    if (pos === headerStart) ascii = isAscii(data.subarray(headerStart, text.length));
    // Remembered across lines so LF-only input is not rescanned to its end on every line.
    if (nextCr === -2 || (nextCr >= 0 && nextCr < pos)) nextCr = text.indexOf('\r', pos);
    if (nextCr >= 0 && nextCr < lineEnd) throw new SipParseError('Bare CR in header', nextCr, { isResponse });
    const first = text.charCodeAt(pos);
    if (first === 0x20 || first === 0x09) {
      // Folded continuation (RFC 3261 §7.3.1): joined with a single space.
      if (name === '') throw new SipParseError('Continuation line without a header', pos, { isResponse });
      value += ` ${trimWsp(text.slice(pos, lineEnd))}`;
    } else {
      if (name !== '') addHeader(headers, name, value, ascii);
      const colon = text.indexOf(':', pos);
      if (colon < 0 || colon > lineEnd) throw new SipParseError('Header line without colon', pos, { isResponse });
      let nameEnd = colon;
      while (nameEnd > pos && isWspCode(text.charCodeAt(nameEnd - 1))) nameEnd--;
      checkName(text, pos, nameEnd, isResponse);
      name = canonicalName(text.slice(pos, nameEnd));
      value = text.slice(colon + 1, lineEnd);
    }
    if (nl < 0) {
      bodyStart = text.length;
      break;
    }
    pos = nl + 1;
  }
  if (name !== '') addHeader(headers, name, value, ascii);
  const fail = (reason: string, at: number, status = 400): never => {
    const r = start.request;
    if (r === undefined) throw new SipParseError(reason, at, { status, isResponse });
    const request: SipRequest = { kind: 'request', version: SIP_VERSION, method: r.method, uri: r.uri, headers, body: EMPTY };
    throw new SipParseError(reason, at, { status, isResponse, request });
  };
  if (start.versionError !== undefined) fail(start.versionError, 0, 505);

  let contentLength: number | undefined;
  for (const h of headers) {
    if (h.name === 'Content-Length') {
      if (contentLength !== undefined) fail('Multiple Content-Length', bodyStart);
      contentLength = parseBoundedInt(h.value, 2 ** 31 - 1);
      if (contentLength === undefined) fail('Invalid Content-Length', bodyStart);
    } else if (h.name === 'CSeq') {
      try {
        parseCSeq(h.value);
      } catch (error) {
        if (!(error instanceof SipParseError)) throw error;
        fail(`Invalid CSeq: ${error.reason}`, bodyStart);
      }
    }
  }
  let body: Buffer = EMPTY;
  if (contentLength === undefined) {
    if (stream) fail('Missing Content-Length', bodyStart);
    if (bodyStart < data.length) body = data.subarray(bodyStart);
  } else if (contentLength > 0) {
    if (bodyStart + contentLength > data.length) fail('Content-Length larger than message', bodyStart);
    body = data.subarray(bodyStart, bodyStart + contentLength);
  }
  if (start.request !== undefined) {
    return { kind: 'request', version: SIP_VERSION, method: start.request.method, uri: start.request.uri, headers, body };
  }
  return { kind: 'response', version: SIP_VERSION, status: start.status, reason: start.reason, headers, body };
}
