/**
 * Address masks for the allow and deny lists: `192.0.2.0/24`, `2001:db8::/32`, or a bare address
 * (a /32 or /128). Addresses are compared as 16 bytes, IPv4 as IPv4-mapped IPv6 (RFC 4291
 * §2.5.5.2), so `::ffff:192.0.2.7` (what a dual-stack socket reports) matches `192.0.2.0/24`.
 */
import { SbcError, isIpv4Literal, isIpv6Literal } from '../core/index.js';

export interface Cidr {
  /** The form the operator wrote, normalised: `192.0.2.0/24`. */
  readonly text: string;
  readonly bytes: Buffer;
  /** Prefix length over the 128-bit form (an IPv4 /24 is 96 + 24). */
  readonly bits: number;
}

/** A mask that does not parse; `text` is what was given. */
export class CidrError extends SbcError {
  constructor(readonly text: string, why: string) {
    super('SBC_ERR_USAGE', `'${text}' is not an address or a mask such as 192.0.2.0/24 or 2001:db8::/32 (${why})`);
  }
}

function ipv4Bytes(text: string): Buffer | undefined {
  if (!isIpv4Literal(text)) return undefined;
  const out = Buffer.alloc(16);
  out[10] = 0xff;
  out[11] = 0xff;
  text.split('.').forEach((part, i) => (out[12 + i] = Number(part)));
  return out;
}

function ipv6Bytes(text: string): Buffer | undefined {
  const plain = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (!isIpv6Literal(plain)) return undefined;
  const lastColon = plain.lastIndexOf(':');
  let head = plain;
  let tail4: Buffer | undefined;
  if (plain.includes('.')) {
    // An embedded IPv4 address in the last 32 bits (RFC 4291 §2.2, form 3).
    tail4 = ipv4Bytes(plain.slice(lastColon + 1));
    if (tail4 === undefined) return undefined;
    head = `${plain.slice(0, lastColon + 1)}0:0`;
  }
  const [left = '', right = ''] = head.split('::');
  const l = left === '' ? [] : left.split(':');
  const r = right === '' ? [] : right.split(':');
  const groups = head.includes('::') ? [...l, ...Array<string>(8 - l.length - r.length).fill('0'), ...r] : l;
  if (groups.length !== 8) return undefined;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  if (tail4 !== undefined) tail4.copy(out, 12, 12, 16);
  return out;
}

/** The 16-byte form of an IPv4 or IPv6 address; undefined when it is neither. */
export function addressBytes(address: string): Buffer | undefined {
  return ipv4Bytes(address) ?? ipv6Bytes(address);
}

export function parseCidr(text: string): Cidr {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const address = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const v4 = isIpv4Literal(address);
  const bytes = addressBytes(address);
  if (bytes === undefined) throw new CidrError(text, 'not an IP address');
  const max = v4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) throw new CidrError(text, `the mask must be 0 to ${max}`);
    prefix = Number(p);
  }
  const bits = v4 ? 96 + prefix : prefix;
  const network = maskBytes(bytes, bits);
  const shown = v4 ? [...network.subarray(12)].join('.') : address;
  return { text: prefix === max ? shown : `${shown}/${prefix}`, bytes: network, bits };
}

function maskBytes(bytes: Buffer, bits: number): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    out[i] = (out[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/** Whether `address` (16-byte form) lies inside `cidr`. */
export function cidrContains(cidr: Cidr, address: Buffer): boolean {
  const whole = cidr.bits >> 3;
  for (let i = 0; i < whole; i++) if (cidr.bytes[i] !== address[i]) return false;
  const rest = cidr.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((address[whole] ?? 0) & mask) === cidr.bytes[whole];
}

/** Loopback, always allowed: 127.0.0.0/8 and ::1. */
export const LOOPBACK: readonly Cidr[] = [parseCidr('127.0.0.0/8'), parseCidr('::1')];
