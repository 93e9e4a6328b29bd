/**
 * Credentials and checks over the received bytes: MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5),
 * MESSAGE-INTEGRITY-SHA256 (§14.6), FINGERPRINT (§14.7), and the keys of §9.1.2 / §9.2.2.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { ATTRIBUTE, FINGERPRINT_XOR, HEADER_LENGTH, MAGIC_COOKIE } from './constants.js';

export type CheckResult = 'valid' | 'invalid' | 'absent';
export type PasswordAlgorithmName = 'MD5' | 'SHA-256';

/**
 * RFC 8265 §4.2 OpaqueString profile: non-ASCII spaces map to U+0020, then NFC. (SASLprep,
 * which RFC 5389 used, also dropped soft hyphens and applied NFKC; RFC 5769 §2.4's password is
 * therefore given already prepared as "TheMatrIX".)
 */
export function opaqueString(value: string): string {
  return value.replace(/[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/gu, ' ').normalize('NFC');
}

/** RFC 8489 §9.1.2: short-term key = OpaqueString(password). */
export function shortTermKey(password: string): Buffer {
  return Buffer.from(opaqueString(password), 'utf8');
}

/** RFC 8489 §9.2.2: key = H(username ":" OpaqueString(realm) ":" OpaqueString(password)). */
export function longTermKey(username: string, realm: string, password: string, algorithm: PasswordAlgorithmName = 'MD5'): Buffer {
  return createHash(algorithm === 'MD5' ? 'md5' : 'sha256')
    .update(`${username}:${opaqueString(realm)}:${opaqueString(password)}`, 'utf8')
    .digest();
}

interface Located {
  readonly offset: number;
  readonly length: number;
}

/** Offset of the first attribute of `code` by walking the TLVs; undefined when absent or malformed. */
function locate(raw: Buffer, code: number): Located | undefined {
  if (raw.length < HEADER_LENGTH) return undefined;
  const end = Math.min(raw.length, HEADER_LENGTH + raw.readUInt16BE(2));
  let at = HEADER_LENGTH;
  while (at + 4 <= end) {
    const type = raw.readUInt16BE(at);
    const length = raw.readUInt16BE(at + 2);
    if (at + 4 + length > end) return undefined;
    if (type === code) return { offset: at, length };
    at += 4 + length + ((4 - (length % 4)) % 4);
  }
  return undefined;
}

/** The bytes before `offset`, with the header Length as if the message ended `tail` bytes later. */
function prefixWithLength(raw: Buffer, offset: number, tail: number): Buffer {
  const copy = Buffer.from(raw.subarray(0, offset));
  copy.writeUInt16BE(offset + tail - HEADER_LENGTH, 2);
  return copy;
}

/** Checks MESSAGE-INTEGRITY (sha1) or MESSAGE-INTEGRITY-SHA256 of received bytes with `key`. */
export function checkMessageIntegrity(raw: Buffer, key: Buffer, which: 'sha1' | 'sha256' = 'sha1'): CheckResult {
  const found = locate(raw, which === 'sha1' ? ATTRIBUTE['MESSAGE-INTEGRITY'] : ATTRIBUTE['MESSAGE-INTEGRITY-SHA256']);
  if (found === undefined) return 'absent';
  const expected = createHmac(which === 'sha1' ? 'sha1' : 'sha256', key)
    .update(prefixWithLength(raw, found.offset, 4 + found.length))
    .digest()
    .subarray(0, found.length);
  const got = raw.subarray(found.offset + 4, found.offset + 4 + found.length);
  return expected.length === got.length && timingSafeEqual(expected, got) ? 'valid' : 'invalid';
}

/** Checks FINGERPRINT of received bytes. */
export function checkFingerprint(raw: Buffer): CheckResult {
  const found = locate(raw, ATTRIBUTE.FINGERPRINT);
  if (found === undefined) return 'absent';
  if (found.length !== 4) return 'invalid';
  const expected = (crc32(prefixWithLength(raw, found.offset, 8)) ^ FINGERPRINT_XOR) >>> 0;
  return raw.readUInt32BE(found.offset + 4) === expected ? 'valid' : 'invalid';
}

/** True when bytes 4–7 hold the magic cookie (RFC 8489 §5). */
export function hasMagicCookie(raw: Buffer): boolean {
  return raw.length >= 8 && raw.readUInt32BE(4) === MAGIC_COOKIE;
}
