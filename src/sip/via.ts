/**
 * Via (RFC 3261 §20.42, §25.1): sent-protocol, sent-by and via-params. LWS is allowed around
 * the "/" of sent-protocol and around ";" and "=" (RFC 4475 wsinv: "SIP  /   2.0 / UDP").
 */
import { SipParseError } from './errors.js';
import { getHeader, type SipMessage } from './message.js';
import { formatHost, parseHostPort } from './uri.js';
import { formatParams, isTokenChar, isWsp, parseParams, skipWsp } from './syntax.js';

export interface Via {
  /** protocol-name "/" protocol-version, normalised ("SIP/2.0"). */
  readonly protocol: string;
  /** Upper case: UDP TCP TLS SCTP WS WSS, or any other token (RFC 4475 transports). */
  readonly transport: string;
  /** Host name, IPv4 address, or IPv6 address without brackets. */
  readonly host: string;
  readonly port: number | undefined;
  /** Names lower-case; values as written (received=[2001:db8::9:255] keeps its brackets). */
  readonly params: Map<string, string | undefined>;
}

/** The branch magic cookie of RFC 3261 §8.1.1.7; without it the sender follows RFC 2543. */
export const BRANCH_MAGIC_COOKIE = 'z9hG4bK';

function readToken(text: string, at: number, what: string): { value: string; end: number } {
  let i = at;
  while (i < text.length && isTokenChar(text.charCodeAt(i))) i++;
  if (i === at) throw new SipParseError(`Invalid Via ${what}`, at);
  return { value: text.slice(at, i), end: i };
}

function expectSlash(text: string, at: number): number {
  const i = skipWsp(text, at);
  if (text.charCodeAt(i) !== 0x2f) throw new SipParseError('Invalid Via sent-protocol', i);
  return skipWsp(text, i + 1);
}

const endOfSentBy = (c: number): boolean => c === 0x3b || isWsp(c) || c === 0x2c;

/** Parses one Via value (one entry of the comma list; see splitHeaderValues). */
export function parseVia(value: string): Via {
  let i = skipWsp(value, 0);
  const name = readToken(value, i, 'protocol name');
  i = expectSlash(value, name.end);
  const version = readToken(value, i, 'protocol version');
  i = expectSlash(value, version.end);
  const transport = readToken(value, i, 'transport');
  i = skipWsp(value, transport.end);
  if (i === transport.end) throw new SipParseError('Missing Via sent-by', i);
  const hp = parseHostPort(value, i, endOfSentBy);
  const params = new Map<string, string | undefined>();
  i = parseParams(value, hp.end, params);
  if (i < value.length) throw new SipParseError('Invalid Via parameters', i);
  return {
    protocol: `${name.value.toUpperCase()}/${version.value}`,
    transport: transport.value.toUpperCase(),
    host: hp.host,
    port: hp.port,
    params,
  };
}

export function formatVia(via: Via): string {
  const port = via.port === undefined ? '' : `:${via.port}`;
  return `${via.protocol}/${via.transport} ${formatHost(via.host)}${port}${formatParams(via.params)}`;
}

export function getViaBranch(via: Via): string | undefined {
  return via.params.get('branch');
}

/** The topmost Via of a message; a message without one cannot be matched or answered (400). */
export function topVia(msg: SipMessage): Via {
  const value = getHeader(msg, 'Via');
  if (value === undefined) throw new SipParseError('Missing Via', 0, { isResponse: msg.kind === 'response' });
  try {
    return parseVia(value);
  } catch (error) {
    if (error instanceof SipParseError) throw new SipParseError(error.reason, error.at, { isResponse: msg.kind === 'response' });
    throw error;
  }
}

/** The parsed top Via, or undefined when it is missing or does not parse. */
export function topViaOf(msg: SipMessage): Via | undefined {
  const value = getHeader(msg, 'Via');
  if (value === undefined) return undefined;
  try {
    return parseVia(value);
  } catch (error) {
    if (error instanceof SipParseError) return undefined;
    throw error;
  }
}
