/**
 * What a REGISTER asks for, read without I/O (RFC 3261 §10.2, §10.3): the address-of-record's
 * user part from To, each Contact with the lifetime it asks for, or the `*` wildcard.
 */
import { getHeader, getHeaders, parseCSeq, parseDeltaSeconds, parseNameAddr, parseUri, splitHeaderValues, isSipUri, type SipRequest } from '../sip/index.js';

/** RFC 3261 §10.2.1.1: "If neither mechanism is used, ... a default of 3600 seconds". */
export const DEFAULT_REGISTER_EXPIRES = 3600;

export interface RequestedContact {
  readonly uri: string;
  /** Seconds, from the contact's `expires` parameter, else the Expires header, else 3600. */
  readonly expires: number;
}

export type RegisterAsk =
  | { readonly kind: 'query' }
  | { readonly kind: 'remove-all' }
  | { readonly kind: 'bind'; readonly contacts: readonly RequestedContact[] };

/** A REGISTER that cannot be read: answered 400 with `reason`. */
export class RegisterFormatError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** The user part of a SIP or SIPS URI in a name-addr (To, From), unescaped; undefined when there is none. */
export function userOf(nameAddr: string | undefined): string | undefined {
  if (nameAddr === undefined) return undefined;
  try {
    const uri = parseUri(parseNameAddr(nameAddr).uri);
    if (!isSipUri(uri) || uri.user === undefined || uri.user === '') return undefined;
    return decodeURIComponent(uri.user);
  } catch {
    return undefined;
  }
}

/** The REGISTER's CSeq number (for the §10.3 step 7 ordering check). */
export function cseqNumber(request: SipRequest): number {
  const value = getHeader(request, 'CSeq');
  if (value === undefined) throw new RegisterFormatError('Missing CSeq');
  return parseCSeq(value).seq;
}

/** The Contacts of a REGISTER and their lifetimes (RFC 3261 §10.3 steps 6 and 7). */
export function registerAsk(request: SipRequest): RegisterAsk {
  const values = getHeaders(request, 'Contact').flatMap((v) => splitHeaderValues('Contact', v)).map((v) => v.trim());
  if (values.length === 0) return { kind: 'query' };
  const headerExpires = expiresHeader(request);
  if (values.includes('*')) {
    // §10.3 step 6: "*" only alone and with Expires: 0, else 400.
    if (values.length !== 1 || headerExpires !== 0) throw new RegisterFormatError('Invalid Wildcard Contact');
    return { kind: 'remove-all' };
  }
  const contacts = values.map((value): RequestedContact => {
    let uri: string;
    let param: string | undefined;
    try {
      const parsed = parseNameAddr(value);
      uri = parsed.uri;
      param = parsed.params.get('expires');
      parseUri(uri);
    } catch {
      throw new RegisterFormatError('Invalid Contact');
    }
    const fromParam = param === undefined ? undefined : parseDeltaSeconds(param);
    if (param !== undefined && fromParam === undefined) throw new RegisterFormatError('Invalid Contact Expires');
    return { uri, expires: fromParam ?? headerExpires ?? DEFAULT_REGISTER_EXPIRES };
  });
  return { kind: 'bind', contacts };
}

function expiresHeader(request: SipRequest): number | undefined {
  const value = getHeader(request, 'Expires');
  if (value === undefined) return undefined;
  const seconds = parseDeltaSeconds(value.trim());
  if (seconds === undefined) throw new RegisterFormatError('Invalid Expires');
  return seconds;
}
