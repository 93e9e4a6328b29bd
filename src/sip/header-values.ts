/**
 * Comma lists and scalar header values (RFC 3261 §7.3.1, §20). Only headers whose grammar is a
 * comma-separated list are split: splitting Date, WWW-Authenticate or an unknown header at
 * commas would change its meaning (RFC 4475 wsinv "UnknownHeaderWithUnusualValue: ;;,,;;,;").
 */
import { canonicalHeaderName } from './message.js';
import { parseBoundedInt } from './syntax.js';

/** Canonical names of the headers whose value is a comma-separated list (RFC 3261 §20 and extensions). */
export const LIST_HEADERS: ReadonlySet<string> = new Set([
  'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow', 'Allow-Events',
  'Call-Info', 'Contact', 'Content-Encoding', 'Content-Language', 'Error-Info', 'In-Reply-To', 'P-Asserted-Identity',
  'P-Preferred-Identity', 'Path', 'Proxy-Require', 'Reason', 'Record-Route', 'Reject-Contact', 'Require', 'Route',
  'Service-Route', 'Supported', 'Unsupported', 'Via', 'Warning',
]);

/**
 * Splits a header value into its list elements (one per Via, Contact, Route... entry), at commas
 * outside quoted-strings and "<>". Empty elements are dropped; an empty value stays one empty
 * element (`Supported:` with no option is meaningful). Other headers give [value].
 */
export function splitHeaderValues(name: string, value: string): string[] {
  if (!value.includes(',') || !LIST_HEADERS.has(canonicalHeaderName(name))) return [value];
  return splitList(value);
}

export function splitList(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuotes = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuotes) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inQuotes = false;
    } else if (c === 0x22) inQuotes = true;
    else if (c === 0x3c) inAngle = true;
    else if (c === 0x3e) inAngle = false;
    else if (c === 0x2c && !inAngle) {
      const part = value.slice(start, i).trim();
      if (part.length > 0) out.push(part);
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last.length > 0 || out.length === 0) out.push(last);
  return out;
}

/** Max-Forwards (RFC 3261 §20.22): 0..255; undefined when malformed or too large. */
export function parseMaxForwards(value: string): number | undefined {
  return parseBoundedInt(value.trim(), 255);
}

/** delta-seconds as in Expires (RFC 3261 §20.19); above 2**32-1 is an overflow (RFC 4475 scalar02). */
export function parseDeltaSeconds(value: string): number | undefined {
  return parseBoundedInt(value.trim(), 2 ** 32 - 1);
}

/** The media type of a Content-Type or Accept element, lower-case, without parameters ("application/sdp"). */
export function mediaType(value: string): string {
  const semi = value.indexOf(';');
  return (semi < 0 ? value : value.slice(0, semi)).replace(/\s+/g, '').toLowerCase();
}

/** The option tags of Require, Supported, Proxy-Require or Unsupported values. */
export function optionTags(values: readonly string[]): string[] {
  return values.flatMap((v) => splitList(v)).filter((t) => t.length > 0);
}
