/**
 * Call-ID per leg (topology hiding): a Call-ID often carries the host that made it
 * (`abc@10.0.0.5`, RFC 3261 §8.1.1.4 suggests it), so it must not cross the SBC as it is. The
 * agent swaps every Call-ID at the LAN edge: one that it did not mint is sealed
 * (deterministic, SIV-style: IV = HMAC of the value, AES-CTR under a per-process key), one that
 * it minted is opened back. Stateless and both ways: a branch phone calling another branch phone
 * through the PBX gets its own Call-ID back on the second leg, so both legs of one call share a
 * tunnel-side Call-ID (local media bridging keys on it), and no table grows with the calls.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SipHeader } from '../sip/index.js';

const PREFIX = 'sbc1-';
const IV_BYTES = 16;

export class CallIdMapper {
  readonly #macKey: Buffer;
  readonly #encKey: Buffer;

  constructor(key: Buffer = randomBytes(64)) {
    if (key.length < 64) throw new RangeError('CallIdMapper needs a 64-byte key');
    this.#macKey = key.subarray(0, 32);
    this.#encKey = key.subarray(32, 64);
  }

  /** The Call-ID on the other side of the edge: opened when it is one we sealed, sealed otherwise. */
  swap(callId: string): string {
    return this.open(callId) ?? this.seal(callId);
  }

  seal(callId: string): string {
    const plain = Buffer.from(callId, 'utf8');
    const iv = createHmac('sha256', this.#macKey).update(plain).digest().subarray(0, IV_BYTES);
    const cipher = createCipheriv('aes-256-ctr', this.#encKey, iv);
    return PREFIX + Buffer.concat([iv, cipher.update(plain), cipher.final()]).toString('base64url');
  }

  /** The original value of a Call-ID we sealed; undefined for any other value (a forged one included). */
  open(callId: string): string | undefined {
    if (!callId.startsWith(PREFIX)) return undefined;
    const raw = Buffer.from(callId.slice(PREFIX.length), 'base64url');
    if (raw.length <= IV_BYTES || raw.toString('base64url') !== callId.slice(PREFIX.length)) return undefined;
    const iv = raw.subarray(0, IV_BYTES);
    const decipher = createDecipheriv('aes-256-ctr', this.#encKey, iv);
    const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES)), decipher.final()]);
    const check = createHmac('sha256', this.#macKey).update(plain).digest().subarray(0, IV_BYTES);
    return timingSafeEqual(check, iv) ? plain.toString('utf8') : undefined;
  }
}

/**
 * The Call-IDs named inside a request swapped too: Replaces (RFC 3891 §6.1, attended transfer)
 * and Join (RFC 3911) name a dialog by its Call-ID, and so does the Replaces header embedded in a
 * Refer-To URI (RFC 3891 §3, escaped: `?Replaces=id%40host%3Bto-tag%3D...`).
 */
export function swapNamedCallIds(headers: readonly SipHeader[], swap: (callId: string) => string): SipHeader[] {
  return headers.map((h) => {
    const name = h.name.toLowerCase();
    if (name === 'replaces' || name === 'join') {
      const at = h.value.indexOf(';');
      const id = (at < 0 ? h.value : h.value.slice(0, at)).trim();
      return { ...h, value: swap(id) + (at < 0 ? '' : h.value.slice(at)) };
    }
    if (name === 'refer-to' || name === 'r') {
      return {
        ...h, value: h.value.replace(/([?&]Replaces=)([^&>\s]*)/i, (_m, key: string, escaped: string) => {
          let decoded: string;
          try {
            decoded = decodeURIComponent(escaped);
          } catch {
            return `${key}${escaped}`;
          }
          const at = decoded.indexOf(';');
          const id = at < 0 ? decoded : decoded.slice(0, at);
          return `${key}${encodeURIComponent(swap(id) + (at < 0 ? '' : decoded.slice(at)))}`;
        }),
      };
    }
    return h;
  });
}
