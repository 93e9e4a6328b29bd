/**
 * Header edits shared by the agent side and the hub side of the call path: list-header access,
 * Via stack replacement (topology hiding, RFC 3261 §16.6 step 8 done as a transaction-stateful
 * proxy that answers with the Vias it received), Contact rewriting and the dialog tag of the
 * phone's party, which keys the media of one call leg.
 */
import {
  formatNameAddr, getHeader, getHeaders, parseNameAddr, parseUri, splitHeaderValues, withHeader, withoutHeader,
  type SipHeader, type SipMessage, type SipRequest, type SipResponse, type SipUri,
} from '../sip/index.js';

/** Host written in Vias, Contacts and Request-URIs on the tunnel hop: never resolvable (RFC 6761 §6.4). */
export const TUNNEL_HOST = 'tunnel.invalid';

/** All values of a list header (Via, Contact, Route, Record-Route), split at commas, in order. */
export function headerList(msg: SipMessage, name: string): string[] {
  return getHeaders(msg, name).flatMap((v) => splitHeaderValues(name, v));
}

/** Replaces every value of `name` with `values` (none: removes the header). */
export function setHeaderList(headers: readonly SipHeader[], name: string, values: readonly string[]): SipHeader[] {
  return values.length === 0 ? withoutHeader(headers, name) : withHeader(headers, name, values);
}

/** Puts `values` above the existing values of `name` (Via, Route). */
export function prependHeader(headers: readonly SipHeader[], name: string, values: readonly string[]): SipHeader[] {
  const rest = headers.filter((h) => h.name.toLowerCase() !== name.toLowerCase());
  const old = headers.filter((h) => h.name.toLowerCase() === name.toLowerCase());
  return [...values.map((value) => ({ name, value })), ...old, ...rest];
}

export function sipUri(text: string): SipUri | undefined {
  try {
    const uri = parseUri(text);
    return uri.kind === 'sip' ? uri : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Rewrites the URI of every Contact value with `map` (header parameters such as expires,
 * +sip.instance and reg-id are kept). `*` and values that do not parse are kept as they are.
 */
export function mapContacts(headers: readonly SipHeader[], map: (uri: string) => string): SipHeader[] {
  const values = headers.filter((h) => h.name.toLowerCase() === 'contact' || h.name === 'm').flatMap((h) => splitHeaderValues('Contact', h.value));
  if (values.length === 0) return [...headers];
  const out = values.map((value) => {
    try {
      const na = parseNameAddr(value);
      if (na.uri === '*') return value;
      return formatNameAddr({ ...na, uri: map(na.uri) });
    } catch {
      return value;
    }
  });
  return withHeader(headers.filter((h) => h.name !== 'm'), 'Contact', out);
}

function tagOf(msg: SipMessage, name: 'From' | 'To'): string | undefined {
  const value = getHeader(msg, name);
  if (value === undefined) return undefined;
  try {
    return parseNameAddr(value).params.get('tag');
  } catch {
    return undefined;
  }
}

export function callIdOf(msg: SipMessage): string {
  return getHeader(msg, 'Call-ID') ?? '';
}

/**
 * The dialog tag of the phone's party (RFC 3261 §12: a dialog is Call-ID + both tags). A request
 * sent by the phone carries it in From, a response sent by the phone in To; in the other
 * direction the reverse. Undefined for an initial request toward the phone (its To has no tag yet).
 */
export function phoneTag(msg: SipMessage, sentByPhone: boolean): string | undefined {
  const inFrom = msg.kind === 'request' ? sentByPhone : !sentByPhone;
  return tagOf(msg, inFrom ? 'From' : 'To');
}

/** The other party's tag: where the phone's tag is not. */
export function peerTag(msg: SipMessage, sentByPhone: boolean): string | undefined {
  const inFrom = msg.kind === 'request' ? sentByPhone : !sentByPhone;
  return tagOf(msg, inFrom ? 'To' : 'From');
}

export function cseqOf(msg: SipMessage): { seq: number; method: string } {
  const [seq, method] = (getHeader(msg, 'CSeq') ?? '').trim().split(/\s+/);
  return { seq: Number(seq), method: (method ?? '').toUpperCase() };
}

/** Max-Forwards minus one (RFC 3261 §16.6 step 3); 70 when absent. Undefined when it reached 0 (→ 483). */
export function decrementMaxForwards(request: SipRequest): SipHeader[] | undefined {
  const raw = getHeader(request, 'Max-Forwards');
  const value = raw === undefined ? 70 : Number(raw.trim());
  if (!Number.isInteger(value) || value <= 0) return undefined;
  return withHeader(request.headers, 'Max-Forwards', String(value - 1));
}

export function isSdp(msg: SipMessage): boolean {
  return msg.body.length > 0 && /^application\/sdp\b/i.test((getHeader(msg, 'Content-Type') ?? '').trim());
}

export function withBody<T extends SipRequest | SipResponse>(msg: T, body: Buffer): T {
  return { ...msg, body };
}
