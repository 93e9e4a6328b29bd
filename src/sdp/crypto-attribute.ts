/**
 * SDES a=crypto (RFC 4568 §4 and §6.1), read and written as plain data:
 *
 *   a=crypto:<tag> <crypto-suite> inline:<key||salt base64>[|<lifetime>][|<MKI>:<length>] [<session-params>]
 *
 * Only what the agent needs to terminate SRTP itself is interpreted: the tag, the suite, the
 * first key (30 bytes: 16 of master key, 14 of master salt, §6.2.1) and the lifetime and MKI when
 * written. Session parameters are kept as written; `unsupportedCryptoParams` names those the agent
 * cannot honour (KDR other than 0, unencrypted or unauthenticated SRTP, an MKI), so the offer
 * can be refused or another a=crypto line chosen.
 */
import { SdpParseError } from './sdp-parse-error.js';

export interface CryptoAttribute {
  readonly tag: number;
  readonly suite: string;
  /** Master key followed by master salt, as decoded from base64. */
  readonly keySalt: Buffer;
  /** As written after the first '|' ("2^20", "1048576"), undefined when absent. */
  readonly lifetime: string | undefined;
  /** "<value>:<length>" as written, undefined when absent. */
  readonly mki: string | undefined;
  readonly sessionParams: readonly string[];
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** One a=crypto value (without "a=crypto:"). A malformed one is an SdpParseError (line 0). */
export function parseCryptoAttribute(value: string): CryptoAttribute {
  const parts = value.trim().split(/[ \t]+/);
  const [tagText, suite, keyParams, ...sessionParams] = parts;
  if (tagText === undefined || !/^\d{1,9}$/.test(tagText)) throw new SdpParseError(0, `a=crypto tag '${tagText ?? ''}' is not 1 to 9 digits (RFC 4568 §9.1)`);
  if (suite === undefined || suite === '') throw new SdpParseError(0, 'a=crypto without a suite');
  if (keyParams === undefined) throw new SdpParseError(0, `a=crypto:${tagText} ${suite} without key parameters`);
  // Several keys may follow, separated by ';' (§6.1); the first is the one in use.
  const first = keyParams.split(';')[0] ?? '';
  if (!first.startsWith('inline:')) throw new SdpParseError(0, `a=crypto key method in '${first}' is not inline`);
  const [key, ...rest] = first.slice('inline:'.length).split('|');
  if (key === undefined || !BASE64.test(key)) throw new SdpParseError(0, `a=crypto key '${key ?? ''}' is not base64`);
  if (rest.length > 2) throw new SdpParseError(0, `a=crypto key parameters '${first}' have more than a lifetime and an MKI`);
  let lifetime: string | undefined;
  let mki: string | undefined;
  for (const p of rest) {
    if (p.includes(':')) {
      if (!/^\d+:\d+$/.test(p)) throw new SdpParseError(0, `a=crypto MKI '${p}' is not <value>:<length>`);
      mki = p;
    } else {
      if (!/^(\d+|2\^\d+)$/.test(p)) throw new SdpParseError(0, `a=crypto lifetime '${p}' is not a number or 2^n`);
      lifetime = p;
    }
  }
  return { tag: Number(tagText), suite, keySalt: Buffer.from(key, 'base64'), lifetime, mki, sessionParams };
}

export function serializeCryptoAttribute(c: CryptoAttribute): string {
  const key = [c.keySalt.toString('base64'), ...(c.lifetime === undefined ? [] : [c.lifetime]), ...(c.mki === undefined ? [] : [c.mki])].join('|');
  return [String(c.tag), c.suite, `inline:${key}`, ...c.sessionParams].join(' ');
}

/** Session parameters (and an MKI) the agent's SRTP does not implement; empty when it can use the line. */
export function unsupportedCryptoParams(c: CryptoAttribute): string[] {
  const out = c.sessionParams.filter((p) => p !== 'KDR=0' && !/^WSH=\d+$/.test(p));
  return c.mki === undefined ? out : [...out, `MKI ${c.mki}`];
}
