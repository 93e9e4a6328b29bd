/**
 * RFC 8489 §5–6 message codec: 20-byte header, then TLV attributes padded to 4 bytes.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |0 0|     STUN Message Type     |         Message Length        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                         Magic Cookie                          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                     Transaction ID (96 bits)                  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * A classic RFC 3489 message has no cookie: bytes 4–19 are a 128-bit transaction ID, kept here
 * as a 16-byte `transactionId` (RFC 8489 §12 backwards compatibility).
 */
import { createHmac } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { ByteRangeError, ByteReader, ByteWriter, SbcError } from '../core/index.js';
import { attributeCode, decodeAttributeValue, encodeAttributeValue, type StunAttribute } from './attributes.js';
import { FINGERPRINT_XOR, HEADER_LENGTH, MAGIC_COOKIE, type StunClass } from './constants.js';
import { StunDecodeError } from './errors.js';

export interface StunMessage {
  readonly method: number;
  readonly messageClass: StunClass;
  /** 12 bytes (RFC 5389/8489), or 16 bytes for a classic RFC 3489 message without the cookie. */
  readonly transactionId: Buffer;
  readonly attributes: readonly StunAttribute[];
}

export interface EncodeOptions {
  /** Key for MESSAGE-INTEGRITY / MESSAGE-INTEGRITY-SHA256 attributes in the list (see integrity.ts). */
  readonly integrityKey?: Buffer;
}

/** Largest message we decode or encode: RFC 8489 §6.1 keeps UDP messages under the path MTU. */
export const MAX_MESSAGE_LENGTH = 65535 + HEADER_LENGTH;

const CLASS_BITS: Record<StunClass, number> = { request: 0x000, indication: 0x010, success: 0x100, error: 0x110 };

/** RFC 8489 §5: type bits M11..M7 C1 M6..M4 C0 M3..M0. */
export function messageType(method: number, messageClass: StunClass): number {
  return ((method & 0xf80) << 2) | ((method & 0x070) << 1) | (method & 0x00f) | CLASS_BITS[messageClass];
}

function splitType(type: number): { method: number; messageClass: StunClass } {
  const method = ((type & 0x3e00) >> 2) | ((type & 0x00e0) >> 1) | (type & 0x000f);
  const bits = type & 0x0110;
  const messageClass: StunClass = bits === 0 ? 'request' : bits === 0x010 ? 'indication' : bits === 0x100 ? 'success' : 'error';
  return { method, messageClass };
}

/** True for a classic RFC 3489 message (no magic cookie). */
export function isClassic(message: StunMessage): boolean {
  return message.transactionId.length === 16;
}

/** The bytes XOR-MAPPED-ADDRESS uses: cookie ‖ transaction ID (RFC 8489 §14.2), i.e. header bytes 4–19. */
function xorKeyOf(transactionId: Buffer): Buffer {
  if (transactionId.length === 16) return transactionId;
  const key = Buffer.alloc(16);
  key.writeUInt32BE(MAGIC_COOKIE, 0);
  transactionId.copy(key, 4);
  return key;
}

/** Decodes one whole message (a UDP datagram, or one frame cut by the TCP framer). */
export function decodeStun(buf: Buffer): StunMessage {
  try {
    return decode(buf);
  } catch (error) {
    if (error instanceof StunDecodeError) throw error;
    if (error instanceof ByteRangeError) throw new StunDecodeError(error.message, error.at, { cause: error });
    throw new StunDecodeError(error instanceof Error ? error.message : String(error), 0, { cause: error });
  }
}

function decode(buf: Buffer): StunMessage {
  if (buf.length < HEADER_LENGTH) throw new StunDecodeError(`${buf.length} bytes is shorter than the 20-byte header`, 0);
  const r = new ByteReader(buf);
  const type = r.u16('message type');
  if ((type & 0xc000) !== 0) throw new StunDecodeError('the first two bits are not zero', 0);
  const length = r.u16('message length');
  if (length % 4 !== 0) throw new StunDecodeError(`message length ${length} is not a multiple of 4`, 2);
  if (HEADER_LENGTH + length !== buf.length) {
    throw new StunDecodeError(`message length ${length} does not match the ${buf.length - HEADER_LENGTH} bytes after the header`, 2);
  }
  const classic = buf.readUInt32BE(4) !== MAGIC_COOKIE;
  if (!classic) r.skip(4, 'magic cookie');
  const transactionId = Buffer.from(r.bytes(classic ? 16 : 12, 'transaction id'));
  const { method, messageClass } = splitType(type);
  const attributes: StunAttribute[] = [];
  if (r.remaining === 0) return { method, messageClass, transactionId, attributes };
  const xorKey = xorKeyOf(transactionId);
  let sawFingerprint = false;
  while (r.remaining > 0) {
    const at = r.offset;
    if (sawFingerprint) throw new StunDecodeError('attribute after FINGERPRINT (RFC 8489 §14.7: it must be last)', at);
    const code = r.u16('attribute type');
    const valueLength = r.u16('attribute length');
    if (valueLength > r.remaining) throw new StunDecodeError(`attribute 0x${code.toString(16)} length ${valueLength} runs past the message`, at + 2);
    const attribute = decodeAttributeValue(code, r.sub(valueLength, 'attribute value'), xorKey);
    const padLength = (4 - (valueLength % 4)) % 4;
    const pad = r.bytes(padLength, 'attribute padding');
    attributes.push(pad.some((b) => b !== 0) ? { ...attribute, padding: Buffer.from(pad) } : attribute);
    sawFingerprint = attribute.type === 'FINGERPRINT';
  }
  return { method, messageClass, transactionId, attributes };
}

/**
 * Encodes a message. MESSAGE-INTEGRITY(-SHA256) attributes are computed with `integrityKey` when
 * given (else their stored value is written); FINGERPRINT is always computed (RFC 8489 §14.7).
 */
export function encodeStun(message: StunMessage, options: EncodeOptions = {}): Buffer {
  const tid = message.transactionId;
  if (tid.length !== 12 && tid.length !== 16) throw new ByteRangeError(`transaction id of ${tid.length} bytes (12, or 16 for RFC 3489)`, 4);
  const w = new ByteWriter(128);
  w.u16(messageType(message.method, message.messageClass)).u16(0);
  if (tid.length === 12) w.u32(MAGIC_COOKIE);
  w.bytes(tid);
  const xorKey = xorKeyOf(tid);
  for (const attribute of message.attributes) {
    const start = w.length;
    w.u16(attributeCode(attribute)).u16(0);
    if (attribute.type === 'MESSAGE-INTEGRITY' || attribute.type === 'MESSAGE-INTEGRITY-SHA256') {
      const sha256 = attribute.type === 'MESSAGE-INTEGRITY-SHA256';
      const size = sha256 ? (attribute.value.length >= 16 ? attribute.value.length : 32) : 20;
      w.patchU16(start + 2, size);
      if (options.integrityKey === undefined) {
        if (attribute.value.length !== size) throw new SbcError('SBC_ERR_STATE', `${attribute.type} needs an integrity key or a ${size}-byte value`);
        w.bytes(attribute.value);
      } else {
        // RFC 8489 §14.5/14.6: HMAC over the message up to this attribute, Length as if it ended after it.
        w.patchU16(2, start + 4 + size - HEADER_LENGTH);
        const hmac = createHmac(sha256 ? 'sha256' : 'sha1', options.integrityKey).update(w.toBuffer().subarray(0, start)).digest();
        w.bytes(hmac.subarray(0, size));
      }
      continue;
    }
    if (attribute.type === 'FINGERPRINT') {
      // RFC 8489 §14.7: CRC-32 of the message up to here, Length including this attribute, XOR 0x5354554E.
      w.patchU16(start + 2, 4).patchU16(2, start + 8 - HEADER_LENGTH);
      w.u32((crc32(w.toBuffer().subarray(0, start)) ^ FINGERPRINT_XOR) >>> 0);
      continue;
    }
    encodeAttributeValue(w, attribute, xorKey);
    const valueLength = w.length - start - 4;
    if (valueLength > 0xffff) throw new ByteRangeError(`${attribute.type} value of ${valueLength} bytes`, start);
    w.patchU16(start + 2, valueLength);
    const padLength = (4 - (valueLength % 4)) % 4;
    const pad = Buffer.alloc(padLength);
    attribute.padding?.copy(pad, 0, 0, padLength);
    w.bytes(pad);
  }
  w.patchU16(2, w.length - HEADER_LENGTH);
  return w.toBuffer();
}

/** The first attribute of a type, typed by its name. */
export function getAttribute<T extends StunAttribute['type']>(message: StunMessage, type: T): (StunAttribute & { readonly type: T }) | undefined {
  return message.attributes.find((a): a is StunAttribute & { readonly type: T } => a.type === type);
}

/**
 * RFC 8489 §14.5/14.6: attributes after MESSAGE-INTEGRITY(-SHA256), other than the integrity
 * attributes and FINGERPRINT, are ignored. These are the ones that count.
 */
export function protectedAttributes(message: StunMessage): readonly StunAttribute[] {
  const i = message.attributes.findIndex((a) => a.type === 'MESSAGE-INTEGRITY' || a.type === 'MESSAGE-INTEGRITY-SHA256');
  return i < 0 ? message.attributes : message.attributes.slice(0, i);
}
