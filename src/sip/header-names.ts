/**
 * Header name canonicalisation on the hot path: the spellings seen on the wire (canonical, lower
 * case, upper case, compact forms) are looked up in one map; other names fall back to
 * canonicalHeaderName of message.ts. The map is fixed, so memory stays bounded.
 */
import { COMPACT_HEADER_NAMES, canonicalHeaderName } from './message.js';

const KNOWN_SPELLINGS = new Map<string, string>();
for (const lower of [
  'accept', 'accept-encoding', 'accept-language', 'alert-info', 'allow', 'allow-events', 'authentication-info', 'authorization',
  'call-id', 'call-info', 'contact', 'content-disposition', 'content-encoding', 'content-language', 'content-length', 'content-type',
  'cseq', 'date', 'event', 'expires', 'from', 'max-forwards', 'mime-version', 'min-expires', 'min-se', 'organization',
  'p-asserted-identity', 'p-preferred-identity', 'path', 'privacy', 'proxy-authenticate', 'proxy-authorization', 'proxy-require',
  'rack', 'reason', 'record-route', 'refer-to', 'referred-by', 'replaces', 'require', 'route', 'rseq', 'server', 'service-route',
  'session-expires', 'subject', 'subscription-state', 'supported', 'timestamp', 'to', 'unsupported', 'user-agent', 'via', 'warning',
  'www-authenticate',
]) {
  const canonical = canonicalHeaderName(lower);
  KNOWN_SPELLINGS.set(canonical, canonical);
  KNOWN_SPELLINGS.set(lower, canonical);
  KNOWN_SPELLINGS.set(canonical.toUpperCase(), canonical);
}
for (const [compact, canonical] of Object.entries(COMPACT_HEADER_NAMES)) {
  KNOWN_SPELLINGS.set(compact, canonical);
  KNOWN_SPELLINGS.set(compact.toUpperCase(), canonical);
  KNOWN_SPELLINGS.set(canonical, canonical);
}

/** Same result as canonicalHeaderName, faster for the usual spellings. */
export function canonicalName(name: string): string {
  return KNOWN_SPELLINGS.get(name) ?? canonicalHeaderName(name);
}
