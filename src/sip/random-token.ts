/**
 * Random tokens for tags, branches and Call-IDs, cut from a pooled crypto.randomBytes buffer: one
 * 4 KiB draw serves hundreds of tokens where a draw per token cost a call into the CSPRNG each.
 * Every pooled byte is used once, so a token keeps all the entropy of its size (RFC 3261 §19.3
 * asks tags for at least 32 random bits; §8.1.1.7 asks branches to be unique across space and time).
 */
import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;

class RandomPool {
  #pool: Buffer = Buffer.alloc(0);
  #offset = 0;

  /** `size` fresh random bytes (at most POOL_BYTES) as text. */
  take(size: number, encoding: 'hex' | 'base64url'): string {
    if (size > POOL_BYTES) throw new RangeError(`random token of ${size} bytes is above the pool of ${POOL_BYTES}`);
    if (this.#offset + size > this.#pool.length) {
      this.#pool = randomBytes(POOL_BYTES);
      this.#offset = 0;
    }
    const text = this.#pool.toString(encoding, this.#offset, this.#offset + size);
    this.#offset += size;
    return text;
  }
}

const pool = new RandomPool();

/** `size` random bytes from the shared pool, as hex or base64url text. */
export function randomToken(size: number, encoding: 'hex' | 'base64url'): string {
  return pool.take(size, encoding);
}
