/**
 * One-time auth keys. 160 random bits shown as Crockford base32 in groups of four
 * (`7KQ2-M9XD-...`, 8 groups): easy to read aloud and to type, and forgiving on input
 * (case, dashes, spaces, O for 0 and I/L for 1 are accepted). The hub stores only a scrypt
 * hash (RFC 7914) with a random salt; verification compares in constant time.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const KEY_BYTES = 20;
const KEY_CHARS = (KEY_BYTES * 8) / 5;

export interface ScryptParams {
  /** CPU/memory cost (a power of two), block size, parallelism: RFC 7914 section 2. */
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** 2^15 × 8 × 128 bytes = 32 MiB and about 100 ms per check: slow for a guesser, fine for a human. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };

export interface AuthKeyHash {
  readonly algorithm: 'scrypt';
  readonly N: number;
  readonly r: number;
  readonly p: number;
  /** base64 */
  readonly salt: string;
  /** base64, 32 bytes */
  readonly hash: string;
}

function encodeBase32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** A new key, formatted for display: 8 groups of 4 characters. */
export function generateAuthKey(random: (n: number) => Buffer = randomBytes): string {
  const chars = encodeBase32(random(KEY_BYTES));
  return chars.match(/.{4}/g)?.join('-') ?? chars;
}

/** A random identifier for URLs and records: 80 bits, lower-case base32. */
export function generateId(random: (n: number) => Buffer = randomBytes): string {
  return encodeBase32(random(10)).toLowerCase();
}

/** The canonical form of a typed key, or undefined when it cannot be one of ours. */
export function normalizeAuthKey(input: string): string | undefined {
  const canonical = input
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (canonical.length !== KEY_CHARS) return undefined;
  for (const ch of canonical) if (!ALPHABET.includes(ch)) return undefined;
  return canonical;
}

function scrypt(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r * params.p };
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, 32, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Hashes the canonical form of `key` (so the stored hash does not depend on dashes or case). */
export async function hashAuthKey(key: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<AuthKeyHash> {
  const canonical = normalizeAuthKey(key);
  if (canonical === undefined) throw new RangeError('not an auth key');
  const salt = randomBytes(16);
  const hash = await scrypt(canonical, salt, params);
  return { algorithm: 'scrypt', N: params.N, r: params.r, p: params.p, salt: salt.toString('base64'), hash: hash.toString('base64') };
}

/**
 * Whether `key` matches `stored`. A key that is not even well-formed still costs one scrypt run,
 * so response time says nothing about why a key was refused.
 */
export async function verifyAuthKey(key: string, stored: AuthKeyHash): Promise<boolean> {
  const canonical = normalizeAuthKey(key);
  const expected = Buffer.from(stored.hash, 'base64');
  const actual = await scrypt(canonical ?? '', Buffer.from(stored.salt, 'base64'), stored);
  return canonical !== undefined && actual.length === expected.length && timingSafeEqual(actual, expected);
}
