/**
 * The digest computations of RFC 7616 §3.4.1–§3.4.3 (RFC 2617 §3.2.2 for MD5 and no qop),
 * with the algorithms of RFC 8760 for SIP. Pure functions over strings; hex digests in lower case.
 */
import { createHash } from 'node:crypto';

/** RFC 7616 §6.1 / RFC 8760 §2.4: the algorithm tokens we implement, canonical spelling. */
export const DIGEST_ALGORITHMS = ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess', 'SHA-512-256', 'SHA-512-256-sess'] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

/** Preference when a response offers several challenges: strongest first (RFC 8760 §2.4). */
const STRENGTH: Readonly<Record<DigestAlgorithm, number>> = {
  'SHA-512-256-sess': 6,
  'SHA-512-256': 5,
  'SHA-256-sess': 4,
  'SHA-256': 3,
  'MD5-sess': 2,
  MD5: 1,
};

const HASH_OF: Readonly<Record<DigestAlgorithm, string>> = {
  MD5: 'md5',
  'MD5-sess': 'md5',
  'SHA-256': 'sha256',
  'SHA-256-sess': 'sha256',
  'SHA-512-256': 'sha512-256',
  'SHA-512-256-sess': 'sha512-256',
};

const BY_LOWER: ReadonlyMap<string, DigestAlgorithm> = new Map(DIGEST_ALGORITHMS.map((a) => [a.toLowerCase(), a]));

/** The canonical algorithm for a token in any case (RFC 7616 §3.3: case-insensitive), or undefined. */
export function digestAlgorithm(token: string | undefined): DigestAlgorithm | undefined {
  // RFC 7616 §3.3: "If this is not present, it is assumed to be MD5".
  if (token === undefined) return 'MD5';
  return BY_LOWER.get(token.toLowerCase());
}

export function algorithmStrength(algorithm: DigestAlgorithm): number {
  return STRENGTH[algorithm];
}

export function isSessionAlgorithm(algorithm: DigestAlgorithm): boolean {
  return algorithm.endsWith('-sess');
}

/** H(data) of RFC 7616 §3.4.1 with the hash of the algorithm. */
export function digestHash(algorithm: DigestAlgorithm, data: string | Buffer): string {
  return createHash(HASH_OF[algorithm]).update(data).digest('hex');
}

/** RFC 7616 §3.4.2: A1 = username ":" realm ":" passwd, and for -sess H(that) ":" nonce ":" cnonce. */
export function computeHA1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  return digestHash(algorithm, `${username}:${realm}:${password}`);
}

/** The -sess step of RFC 7616 §3.4.2 applied to a stored H(username:realm:passwd). */
export function sessionHA1(algorithm: DigestAlgorithm, ha1: string, nonce: string, cnonce: string): string {
  return isSessionAlgorithm(algorithm) ? digestHash(algorithm, `${ha1}:${nonce}:${cnonce}`) : ha1;
}

export type DigestQop = 'auth' | 'auth-int';

export interface DigestResponseInput {
  readonly algorithm: DigestAlgorithm;
  /** H(username:realm:password), before the -sess step. */
  readonly ha1: string;
  readonly nonce: string;
  readonly method: string;
  readonly uri: string;
  /** Absent: the RFC 2069 compatibility form of RFC 2617 §3.2.2.1 (no cnonce, no nc). */
  readonly qop?: DigestQop | undefined;
  readonly nc?: string | undefined;
  readonly cnonce?: string | undefined;
  /** The message body, for qop=auth-int. */
  readonly body?: Buffer | undefined;
}

/** RFC 7616 §3.4.1 request-digest. */
export function computeDigestResponse(input: DigestResponseInput): string {
  const { algorithm, nonce, method, uri, qop } = input;
  const cnonce = input.cnonce ?? '';
  const ha1 = sessionHA1(algorithm, input.ha1, nonce, cnonce);
  // RFC 7616 §3.4.3: A2 = Method ":" request-uri [ ":" H(entity-body) for auth-int ].
  const a2 = qop === 'auth-int' ? `${method}:${uri}:${digestHash(algorithm, input.body ?? Buffer.alloc(0))}` : `${method}:${uri}`;
  const ha2 = digestHash(algorithm, a2);
  if (qop === undefined) return digestHash(algorithm, `${ha1}:${nonce}:${ha2}`);
  return digestHash(algorithm, `${ha1}:${nonce}:${input.nc ?? ''}:${cnonce}:${qop}:${ha2}`);
}

/** nc as RFC 7616 §3.4 writes it: 8 lower-case hex digits. */
export function formatNonceCount(count: number): string {
  return count.toString(16).padStart(8, '0');
}
