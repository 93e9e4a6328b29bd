/**
 * SDP parser (RFC 8866 §5 grammar, read leniently): LF or CRLF line ends, blank lines skipped,
 * lines of unknown type kept in order, o= and s= accepted anywhere before the first m=.
 * What it still rejects, with SdpParseError: a first line other than v=0, a line without
 * "<letter>=", a missing or malformed o=, s= or t=, a malformed m= or c=, and bodies larger
 * than SDP_MAX_BYTES. Pure: text in, SessionDescription or SdpParseError out.
 */
import { isIPv4, isIPv6 } from './address.js';
import { SdpParseError } from './sdp-parse-error.js';
import {
  SDP_MAX_BYTES,
  type SdpAttribute,
  type SdpConnection,
  type SdpField,
  type SdpMedia,
  type SdpOrigin,
  type SessionDescription,
} from './session-description.js';

interface MediaDraft {
  media: string;
  port: number;
  portCount: number | undefined;
  proto: string;
  formats: string[];
  connections: SdpConnection[];
  fields: SdpField[];
  attributes: SdpAttribute[];
}

const TOKENS = /[ \t]+/;

function tokens(value: string): string[] {
  const trimmed = value.trim();
  return trimmed === '' ? [] : trimmed.split(TOKENS);
}

function parseOrigin(value: string, line: number): SdpOrigin {
  const t = tokens(value);
  if (t.length !== 6) throw new SdpParseError(line, `o= needs 6 fields, has ${t.length}`);
  const [username = '', sessionId = '', version = '', netType = '', addrType = '', address = ''] = t;
  if (!/^\d+$/.test(sessionId)) throw new SdpParseError(line, `o= sess-id "${sessionId}" is not numeric`);
  if (!/^\d+$/.test(version)) throw new SdpParseError(line, `o= sess-version "${version}" is not numeric`);
  return { username, sessionId, sessionVersion: BigInt(version), netType, addrType, address };
}

function parseConnection(value: string, line: number): SdpConnection {
  const t = tokens(value);
  if (t.length !== 3) throw new SdpParseError(line, `c= needs 3 fields, has ${t.length}`);
  const [netType = '', addrType = '', address = ''] = t;
  const host = address.split('/')[0] ?? '';
  if (addrType === 'IP4' && /^[\d.]+$/.test(host) && !isIPv4(host)) {
    throw new SdpParseError(line, `c= "${host}" is not an IPv4 address`);
  }
  if (addrType === 'IP6' && !isIPv6(host)) throw new SdpParseError(line, `c= "${host}" is not an IPv6 address`);
  if (netType === 'IN' && addrType !== 'IP4' && addrType !== 'IP6') {
    throw new SdpParseError(line, `c= address type "${addrType}" is neither IP4 nor IP6`);
  }
  return { netType, addrType, address };
}

function parseMediaLine(value: string, line: number): MediaDraft {
  const t = tokens(value);
  if (t.length < 3) throw new SdpParseError(line, `m= needs at least 3 fields, has ${t.length}`);
  const [media = '', portText = '', proto = '', ...formats] = t;
  const m = /^(\d{1,5})(?:\/(\d{1,5}))?$/.exec(portText);
  if (m === null) throw new SdpParseError(line, `m= port "${portText}" is not a port`);
  const port = Number(m[1]);
  if (port > 65535) throw new SdpParseError(line, `m= port ${port} is above 65535`);
  const portCount = m[2] === undefined ? undefined : Number(m[2]);
  if (portCount === 0) throw new SdpParseError(line, 'm= number of ports is 0');
  return { media, port, portCount, proto, formats, connections: [], fields: [], attributes: [] };
}

function parseAttribute(value: string, line: number): SdpAttribute {
  const colon = value.indexOf(':');
  // The value is kept exactly as written: a=crypto keys and a=candidate lines pass through untouched.
  const name = (colon < 0 ? value : value.slice(0, colon)).trim();
  if (name === '') throw new SdpParseError(line, 'attribute without a name');
  return { name, value: colon < 0 ? undefined : value.slice(colon + 1) };
}

function decode(input: string | Buffer): string {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > SDP_MAX_BYTES) throw new SdpParseError(0, `body of ${size} bytes exceeds ${SDP_MAX_BYTES}`);
  const text = typeof input === 'string' ? input : input.toString('utf8');
  if (text.includes('\0')) throw new SdpParseError(0, 'body contains a NUL byte');
  return text;
}

export function parseSdp(input: string | Buffer): SessionDescription {
  const lines = decode(input).split('\n');
  let version: number | undefined;
  let origin: SdpOrigin | undefined;
  let sessionName: string | undefined;
  let connection: SdpConnection | undefined;
  const fields: SdpField[] = [];
  const attributes: SdpAttribute[] = [];
  const media: MediaDraft[] = [];
  let current: MediaDraft | undefined;

  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const raw = lines[i] ?? '';
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') continue;
    if (text.length < 2 || text[1] !== '=' || !/^[A-Za-z]$/.test(text[0] ?? '')) {
      throw new SdpParseError(n, `"${text.slice(0, 40)}" is not <type>=<value>`);
    }
    const type = text[0] ?? '';
    const value = text.slice(2);
    if (version === undefined) {
      // RFC 8866 §5: a session description begins with v=.
      if (type !== 'v') throw new SdpParseError(n, `first line is ${type}=, not v=`);
      if (value.trim() !== '0') throw new SdpParseError(n, `v=${value} is not version 0`);
      version = 0;
      continue;
    }
    switch (type) {
      case 'v':
        throw new SdpParseError(n, 'second v= line');
      case 'o':
        if (current !== undefined || origin !== undefined) throw new SdpParseError(n, 'o= repeated or inside a media section');
        origin = parseOrigin(value, n);
        break;
      case 's':
        if (current !== undefined || sessionName !== undefined) throw new SdpParseError(n, 's= repeated or inside a media section');
        sessionName = value;
        break;
      case 'm':
        current = parseMediaLine(value, n);
        media.push(current);
        break;
      case 'c':
        if (current !== undefined) current.connections.push(parseConnection(value, n));
        else if (connection !== undefined) throw new SdpParseError(n, 'second session-level c=');
        else connection = parseConnection(value, n);
        break;
      case 'a':
        (current?.attributes ?? attributes).push(parseAttribute(value, n));
        break;
      default:
        (current?.fields ?? fields).push({ type, value });
    }
  }
  if (version === undefined) throw new SdpParseError(0, 'empty body');
  if (origin === undefined) throw new SdpParseError(0, 'no o= line');
  if (sessionName === undefined) throw new SdpParseError(0, 'no s= line');
  if (!fields.some((f) => f.type === 't')) throw new SdpParseError(0, 'no t= line');
  const frozen: SdpMedia[] = media.map((m) => ({ ...m }));
  return { version, origin, sessionName, connection, fields, attributes, media: frozen };
}
