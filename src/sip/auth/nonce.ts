/**
 * Server nonces bound to time and a secret (RFC 7616 §3.3 "nonce": "time-stamp H(time-stamp ":"
 * ETag ":" secret-data)" suggestion, here with HMAC-SHA-256):
 *
 *   nonce = base64url( issued-at (8 octets, ms since epoch) | random (8) | HMAC(secret, issued-at | random | realm)[0..15] )
 *
 * A nonce is checked without state; replay protection (nc per nonce) is the NonceStore's job.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const STAMP = 8;
const RANDOM = 8;
const MAC = 16;
const TOTAL = STAMP + RANDOM + MAC;

export type NonceCheck = { readonly valid: false } | { readonly valid: true; readonly issuedAt: number };

export class NonceMinter {
  readonly #secret: Buffer;
  readonly #random: (size: number) => Buffer;

  constructor(secret: Buffer, random: (size: number) => Buffer = randomBytes) {
    if (secret.length < 16) throw new RangeError('the nonce secret must have at least 16 bytes');
    this.#secret = secret;
    this.#random = random;
  }

  mint(realm: string, issuedAt: number): string {
    const head = Buffer.alloc(STAMP + RANDOM);
    head.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(issuedAt))), 0);
    this.#random(RANDOM).copy(head, STAMP, 0, RANDOM);
    return Buffer.concat([head, this.#mac(head, realm)]).toString('base64url');
  }

  check(nonce: string, realm: string): NonceCheck {
    if (nonce.length !== Math.ceil((TOTAL * 4) / 3) || !/^[A-Za-z0-9_-]+$/.test(nonce)) return { valid: false };
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== TOTAL) return { valid: false };
    const head = raw.subarray(0, STAMP + RANDOM);
    if (!timingSafeEqual(raw.subarray(STAMP + RANDOM), this.#mac(head, realm))) return { valid: false };
    return { valid: true, issuedAt: Number(head.readBigUInt64BE(0)) };
  }

  #mac(head: Buffer, realm: string): Buffer {
    return createHmac('sha256', this.#secret).update(head).update(realm).digest().subarray(0, MAC);
  }
}
