/**
 * SRTP key derivation and the AES counter-mode keystream (RFC 3711 §4.1.1 and §4.3). Pure
 * functions over node:crypto: AES-128 in CTR mode is exactly the AES-CM of §4.1.1 (a 128-bit
 * counter whose low 16 bits count the blocks), so the keystream is AES-CTR over zero bytes.
 */
import { createCipheriv } from 'node:crypto';
import { SbcError } from '../core/index.js';

/** 128-bit master key, 112-bit master salt (RFC 3711 §8.2 defaults; RFC 4568 §6.2.1 for SDES). */
export const SRTP_MASTER_KEY_LENGTH = 16;
export const SRTP_MASTER_SALT_LENGTH = 14;
/** n_a = 160 for HMAC-SHA1 (RFC 3711 §4.2.1). */
const AUTH_KEY_LENGTH = 20;

/** §4.3.2 key derivation labels (SRTP's three; SRTCP uses 0x03–0x05). */
export const SRTP_LABEL = { cipher: 0x00, auth: 0x01, salt: 0x02 } as const;

export class SrtpError extends SbcError {
  readonly reason: string;

  constructor(reason: string) {
    super('SBC_ERR_SRTP', `SRTP: ${reason}`);
    this.reason = reason;
  }
}

export interface SrtpSessionKeys {
  /** k_e, 128 bits. */
  readonly cipherKey: Buffer;
  /** k_a, 160 bits. */
  readonly authKey: Buffer;
  /** k_s, 112 bits. */
  readonly salt: Buffer;
}

/** `length` bytes of AES-CM keystream from the 128-bit `iv` (RFC 3711 §4.1.1). */
export function aesCmKeystream(key: Buffer, iv: Buffer, length: number): Buffer {
  const cipher = createCipheriv('aes-128-ctr', key, iv);
  return cipher.update(Buffer.alloc(length));
}

/**
 * PRF_n(k_master, x) with x = key_id XOR master_salt, key_id = label || r (§4.3.1). The
 * key_derivation_rate is 0 here (the default, and what RFC 4568 SDES without a KDR parameter
 * means), so r is 0 and the label lands in byte 7 of the 14-byte salt; x is then shifted left by
 * 16 bits to form the counter (§4.3.3).
 */
export function deriveSrtpKey(masterKey: Buffer, masterSalt: Buffer, label: number, length: number): Buffer {
  checkMaster(masterKey, masterSalt);
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0);
  iv[7] = (iv[7] ?? 0) ^ label;
  return aesCmKeystream(masterKey, iv, length);
}

export function deriveSrtpSessionKeys(masterKey: Buffer, masterSalt: Buffer): SrtpSessionKeys {
  return {
    cipherKey: deriveSrtpKey(masterKey, masterSalt, SRTP_LABEL.cipher, SRTP_MASTER_KEY_LENGTH),
    authKey: deriveSrtpKey(masterKey, masterSalt, SRTP_LABEL.auth, AUTH_KEY_LENGTH),
    salt: deriveSrtpKey(masterKey, masterSalt, SRTP_LABEL.salt, SRTP_MASTER_SALT_LENGTH),
  };
}

function checkMaster(masterKey: Buffer, masterSalt: Buffer): void {
  if (masterKey.length !== SRTP_MASTER_KEY_LENGTH) throw new SrtpError(`master key of ${masterKey.length} bytes (${SRTP_MASTER_KEY_LENGTH} needed)`);
  if (masterSalt.length !== SRTP_MASTER_SALT_LENGTH) throw new SrtpError(`master salt of ${masterSalt.length} bytes (${SRTP_MASTER_SALT_LENGTH} needed)`);
}
