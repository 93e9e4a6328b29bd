/**
 * STUN attribute values (RFC 8489 §14, RFC 5780 §7, RFC 8445 §16.1): one typed variant per
 * attribute, decoded from and encoded to the value bytes of the TLV (padding is handled by
 * message.ts). Values that break their attribute's layout are StunDecodeErrors.
 */
import { ByteRangeError, ByteReader, ByteWriter } from '../core/index.js';
import { ATTRIBUTE, attributeName, MAGIC_COOKIE } from './constants.js';
import { StunDecodeError } from './errors.js';

export type AddressFamily = 'IPv4' | 'IPv6';

export interface TransportAddress {
  readonly family: AddressFamily;
  readonly address: string;
  readonly port: number;
}

type AddressAttributeName =
  | 'MAPPED-ADDRESS'
  | 'XOR-MAPPED-ADDRESS'
  | 'RESPONSE-ADDRESS'
  | 'SOURCE-ADDRESS'
  | 'CHANGED-ADDRESS'
  | 'ALTERNATE-SERVER'
  | 'RESPONSE-ORIGIN'
  | 'OTHER-ADDRESS';
type TextAttributeName = 'USERNAME' | 'REALM' | 'NONCE' | 'SOFTWARE' | 'ALTERNATE-DOMAIN';
type OpaqueAttributeName = 'MESSAGE-INTEGRITY' | 'MESSAGE-INTEGRITY-SHA256' | 'USERHASH' | 'PADDING';

export interface PasswordAlgorithmValue {
  readonly algorithm: number;
  readonly parameters: Buffer;
}

/**
 * `padding` is kept only when the wire padding bytes were not zero (RFC 8489 §14 lets them be
 * anything; the RFC 5769 vectors use spaces), so a decoded message re-encodes byte for byte.
 */
interface Common {
  readonly padding?: Buffer;
}

export type StunAttribute = Common &
  (
    | { readonly type: AddressAttributeName; readonly value: TransportAddress }
    | { readonly type: TextAttributeName; readonly value: string }
    | { readonly type: OpaqueAttributeName; readonly value: Buffer }
    | { readonly type: 'ERROR-CODE'; readonly code: number; readonly reason: string }
    | { readonly type: 'UNKNOWN-ATTRIBUTES'; readonly types: readonly number[] }
    | { readonly type: 'CHANGE-REQUEST'; readonly changeIp: boolean; readonly changePort: boolean }
    | { readonly type: 'RESPONSE-PORT'; readonly port: number }
    | { readonly type: 'PRIORITY'; readonly value: number }
    | { readonly type: 'USE-CANDIDATE' }
    | { readonly type: 'ICE-CONTROLLED' | 'ICE-CONTROLLING'; readonly tieBreaker: bigint }
    | { readonly type: 'PASSWORD-ALGORITHM'; readonly value: PasswordAlgorithmValue }
    | { readonly type: 'PASSWORD-ALGORITHMS'; readonly value: readonly PasswordAlgorithmValue[] }
    /** FINGERPRINT's CRC is computed by the encoder; `value` is what was on the wire. */
    | { readonly type: 'FINGERPRINT'; readonly value?: number }
    /** An attribute this codec does not know; `code` is its type. */
    | { readonly type: 'UNKNOWN'; readonly code: number; readonly value: Buffer }
  );

export function attributeCode(attribute: StunAttribute): number {
  return attribute.type === 'UNKNOWN' ? attribute.code : ATTRIBUTE[attribute.type];
}

const ADDRESS_TYPES = new Set<string>(['MAPPED-ADDRESS', 'XOR-MAPPED-ADDRESS', 'RESPONSE-ADDRESS', 'SOURCE-ADDRESS', 'CHANGED-ADDRESS', 'ALTERNATE-SERVER', 'RESPONSE-ORIGIN', 'OTHER-ADDRESS']);
const TEXT_TYPES = new Set<string>(['USERNAME', 'REALM', 'NONCE', 'SOFTWARE', 'ALTERNATE-DOMAIN']);
const OPAQUE_TYPES = new Set<string>(['MESSAGE-INTEGRITY', 'MESSAGE-INTEGRITY-SHA256', 'USERHASH', 'PADDING']);

/** RFC 8489 §14.1 layout: 0x00 | family | port | address (4 or 16 bytes). */
function decodeAddress(r: ByteReader, xorKey: Buffer | undefined): TransportAddress {
  const at = r.offset;
  r.u8('reserved');
  const familyCode = r.u8('family');
  let port = r.u16('port');
  const length = familyCode === 0x01 ? 4 : familyCode === 0x02 ? 16 : 0;
  if (length === 0) throw new StunDecodeError(`address family 0x${familyCode.toString(16)} is neither IPv4 nor IPv6`, at + 1);
  if (r.remaining !== length) throw new StunDecodeError(`address attribute has ${r.remaining} address bytes, expected ${length}`, r.offset);
  const raw = Buffer.from(r.bytes(length, 'address'));
  if (xorKey !== undefined) {
    // RFC 8489 §14.2: X-Port = port XOR top 16 bits of the cookie; X-Address XOR (cookie ‖ transaction ID).
    port ^= MAGIC_COOKIE >>> 16;
    for (let i = 0; i < length; i++) raw[i] = (raw[i] ?? 0) ^ (xorKey[i] ?? 0);
  }
  return length === 4 ? { family: 'IPv4', address: raw.join('.'), port } : { family: 'IPv6', address: formatIpv6(raw), port };
}

function formatIpv6(raw: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(raw.readUInt16BE(i).toString(16));
  // RFC 5952 §4.2: compress the longest run (of at least two) of zero groups.
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/u.test(p) || Number(p) > 255)) return undefined;
  return parts.map(Number);
}

/** RFC 4291 §2.2 text forms, including "::" and a dotted IPv4 tail. */
function parseIpv6(text: string): Buffer | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (const [i, item] of items.entries()) {
      if (i === items.length - 1 && item.includes('.')) {
        const v4 = parseIpv4(item);
        if (v4 === undefined) return undefined;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else if (/^[0-9a-f]{1,4}$/iu.test(item)) {
        out.push(Number.parseInt(item, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const left = groups(halves[0] ?? '');
  const right = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (left === undefined || right === undefined) return undefined;
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const out = Buffer.alloc(16);
  [...left, ...new Array<number>(missing).fill(0), ...right].forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** IP text to bytes; text that is not an address of the family is a ByteRangeError (a value out of range for its field). */
export function addressBytes(address: TransportAddress): Buffer {
  const raw = address.family === 'IPv4' ? parseIpv4(address.address) : parseIpv6(address.address);
  if (raw === undefined) throw new ByteRangeError(`'${address.address}' is not an ${address.family} address`, 0);
  return Buffer.from(raw);
}

function encodeAddress(w: ByteWriter, address: TransportAddress, xorKey: Buffer | undefined): void {
  const raw = addressBytes(address);
  let port = address.port;
  if (xorKey !== undefined) {
    port ^= MAGIC_COOKIE >>> 16;
    for (let i = 0; i < raw.length; i++) raw[i] = (raw[i] ?? 0) ^ (xorKey[i] ?? 0);
  }
  w.u8(0).u8(address.family === 'IPv4' ? 0x01 : 0x02).u16(port).bytes(raw);
}

function decodeText(r: ByteReader, name: string): string {
  const bytes = r.bytes(r.remaining, name);
  // RFC 8489 §14.3/14.9/14.10/14.14: each is < 128 characters, at most 763 (509 for USERNAME) bytes.
  if (bytes.length > 763) throw new StunDecodeError(`${name} of ${bytes.length} bytes exceeds 763`, r.offset);
  return bytes.toString('utf8');
}

function decodeAlgorithm(r: ByteReader): PasswordAlgorithmValue {
  const algorithm = r.u16('algorithm');
  const length = r.u16('algorithm parameters length');
  const parameters = Buffer.from(r.bytes(length, 'algorithm parameters'));
  r.skip((4 - (length % 4)) % 4, 'algorithm parameters padding');
  return { algorithm, parameters };
}

function encodeAlgorithm(w: ByteWriter, value: PasswordAlgorithmValue): void {
  w.u16(value.algorithm).u16(value.parameters.length).bytes(value.parameters).zeros((4 - (value.parameters.length % 4)) % 4);
}

/**
 * Decodes one attribute value. `xorKey` is the 16 bytes cookie ‖ transaction ID (RFC 8489 §14.2).
 * ByteRangeErrors from the reader surface as StunDecodeErrors (the caller wraps them).
 */
export function decodeAttributeValue(code: number, r: ByteReader, xorKey: Buffer): StunAttribute {
  const name = attributeName(code);
  const fixed = (n: number): void => {
    if (r.remaining !== n) throw new StunDecodeError(`${name ?? code} value is ${r.remaining} bytes, expected ${n}`, r.offset);
  };
  if (name === undefined) return { type: 'UNKNOWN', code, value: Buffer.from(r.bytes(r.remaining)) };
  if (ADDRESS_TYPES.has(name)) {
    return { type: name as AddressAttributeName, value: decodeAddress(r, name === 'XOR-MAPPED-ADDRESS' ? xorKey : undefined) };
  }
  if (TEXT_TYPES.has(name)) return { type: name as TextAttributeName, value: decodeText(r, name) };
  if (OPAQUE_TYPES.has(name)) {
    if (name === 'MESSAGE-INTEGRITY') fixed(20);
    // RFC 8489 §14.6: MESSAGE-INTEGRITY-SHA256 is 16 to 32 bytes, a multiple of 4.
    if (name === 'MESSAGE-INTEGRITY-SHA256' && (r.remaining < 16 || r.remaining > 32 || r.remaining % 4 !== 0)) {
      throw new StunDecodeError(`MESSAGE-INTEGRITY-SHA256 of ${r.remaining} bytes`, r.offset);
    }
    if (name === 'USERHASH') fixed(32);
    return { type: name as OpaqueAttributeName, value: Buffer.from(r.bytes(r.remaining)) };
  }
  switch (name) {
    case 'ERROR-CODE': {
      // RFC 8489 §14.8: 21 reserved bits, class (3 bits, 3–6), number (0–99), reason phrase.
      if (r.remaining < 4) throw new StunDecodeError('ERROR-CODE shorter than 4 bytes', r.offset);
      const at = r.offset;
      r.u16('reserved');
      const cls = r.u8('class') & 0x07;
      const number = r.u8('number');
      if (cls < 3 || cls > 6 || number > 99) throw new StunDecodeError(`ERROR-CODE class ${cls} number ${number}`, at);
      return { type: 'ERROR-CODE', code: cls * 100 + number, reason: decodeText(r, 'reason phrase') };
    }
    case 'UNKNOWN-ATTRIBUTES': {
      if (r.remaining % 2 !== 0) throw new StunDecodeError('UNKNOWN-ATTRIBUTES length is odd', r.offset);
      const types: number[] = [];
      while (r.remaining > 0) types.push(r.u16('attribute type'));
      return { type: 'UNKNOWN-ATTRIBUTES', types };
    }
    case 'CHANGE-REQUEST': {
      fixed(4);
      // RFC 5780 §7.2: flags A (0x04, change IP) and B (0x02, change port).
      const flags = r.u32('flags');
      return { type: 'CHANGE-REQUEST', changeIp: (flags & 0x04) !== 0, changePort: (flags & 0x02) !== 0 };
    }
    case 'RESPONSE-PORT': {
      fixed(4);
      const port = r.u16('port');
      r.u16('reserved');
      return { type: 'RESPONSE-PORT', port };
    }
    case 'PRIORITY':
      fixed(4);
      return { type: 'PRIORITY', value: r.u32('priority') };
    case 'USE-CANDIDATE':
      fixed(0);
      return { type: 'USE-CANDIDATE' };
    case 'ICE-CONTROLLED':
    case 'ICE-CONTROLLING':
      fixed(8);
      return { type: name, tieBreaker: r.u64('tie-breaker') };
    case 'PASSWORD-ALGORITHM': {
      const value = decodeAlgorithm(r);
      fixed(0);
      return { type: 'PASSWORD-ALGORITHM', value };
    }
    case 'PASSWORD-ALGORITHMS': {
      const value: PasswordAlgorithmValue[] = [];
      while (r.remaining > 0) value.push(decodeAlgorithm(r));
      return { type: 'PASSWORD-ALGORITHMS', value };
    }
    case 'FINGERPRINT':
      fixed(4);
      return { type: 'FINGERPRINT', value: r.u32('crc') };
    default:
      return { type: 'UNKNOWN', code, value: Buffer.from(r.bytes(r.remaining)) };
  }
}

/** Writes an attribute value (no TLV header, no padding). FINGERPRINT is written by message.ts. */
export function encodeAttributeValue(w: ByteWriter, a: StunAttribute, xorKey: Buffer): void {
  switch (a.type) {
    case 'MAPPED-ADDRESS':
    case 'RESPONSE-ADDRESS':
    case 'SOURCE-ADDRESS':
    case 'CHANGED-ADDRESS':
    case 'ALTERNATE-SERVER':
    case 'RESPONSE-ORIGIN':
    case 'OTHER-ADDRESS':
      encodeAddress(w, a.value, undefined);
      return;
    case 'XOR-MAPPED-ADDRESS':
      encodeAddress(w, a.value, xorKey);
      return;
    case 'USERNAME':
    case 'REALM':
    case 'NONCE':
    case 'SOFTWARE':
    case 'ALTERNATE-DOMAIN':
      w.bytes(Buffer.from(a.value, 'utf8'));
      return;
    case 'MESSAGE-INTEGRITY':
    case 'MESSAGE-INTEGRITY-SHA256':
    case 'USERHASH':
    case 'PADDING':
    case 'UNKNOWN':
      w.bytes(a.value);
      return;
    case 'ERROR-CODE':
      w.u16(0).u8(Math.floor(a.code / 100)).u8(a.code % 100).bytes(Buffer.from(a.reason, 'utf8'));
      return;
    case 'UNKNOWN-ATTRIBUTES':
      for (const t of a.types) w.u16(t);
      return;
    case 'CHANGE-REQUEST':
      w.u32((a.changeIp ? 0x04 : 0) | (a.changePort ? 0x02 : 0));
      return;
    case 'RESPONSE-PORT':
      w.u16(a.port).u16(0);
      return;
    case 'PRIORITY':
      w.u32(a.value);
      return;
    case 'USE-CANDIDATE':
      return;
    case 'ICE-CONTROLLED':
    case 'ICE-CONTROLLING':
      w.u64(a.tieBreaker);
      return;
    case 'PASSWORD-ALGORITHM':
      encodeAlgorithm(w, a.value);
      return;
    case 'PASSWORD-ALGORITHMS':
      for (const v of a.value) encodeAlgorithm(w, v);
      return;
    case 'FINGERPRINT':
      w.u32(a.value ?? 0);
      return;
  }
}
