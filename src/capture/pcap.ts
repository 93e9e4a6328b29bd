/**
 * Classic pcap files (the format of libpcap and tcpdump, read by Wireshark and tshark) of UDP
 * datagrams, written from what a socket sent or received: each record is LINKTYPE_RAW (101), an
 * IPv4 (RFC 791) or IPv6 (RFC 8200) header and a UDP header (RFC 768) computed here around the
 * payload. Pure: bytes in, bytes out (docs/STYLE.md rule 1).
 */
import { isIpv4Literal as isIPv4, isIpv6Literal as isIPv6 } from '../core/index.js';

/** LINKTYPE_RAW: the packet begins with the IP header, version 4 or 6 told by its first nibble. */
export const LINKTYPE_RAW = 101;
const PCAP_MAGIC_MICROS = 0xa1b2c3d4;
export const PCAP_SNAPLEN = 65_535;
export const PCAP_HEADER_BYTES = 24;
export const PCAP_RECORD_HEADER_BYTES = 16;
const UDP_HEADER_BYTES = 8;
const IPV4_HEADER_BYTES = 20;
const IPV6_HEADER_BYTES = 40;
const PROTO_UDP = 17;

export interface UdpEndpoint {
  readonly address: string;
  readonly port: number;
}

export interface CapturedDatagram {
  /** Epoch milliseconds (fractions kept to the microsecond). */
  readonly timeMs: number;
  readonly source: UdpEndpoint;
  readonly destination: UdpEndpoint;
  readonly payload: Buffer;
}

/** The 24-byte global header: version 2.4, microsecond times, LINKTYPE_RAW. */
export function pcapGlobalHeader(): Buffer {
  const b = Buffer.alloc(PCAP_HEADER_BYTES);
  b.writeUInt32LE(PCAP_MAGIC_MICROS, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  // thiszone 0 and sigfigs 0 (bytes 8 to 15): times are UTC.
  b.writeUInt32LE(PCAP_SNAPLEN, 16);
  b.writeUInt32LE(LINKTYPE_RAW, 20);
  return b;
}

/** The address bytes of an IP literal (an IPv4-mapped IPv6 address counts as IPv4). */
export function addressBytes(address: string): Buffer {
  const bare = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address.replace(/%.*$/, '');
  if (isIPv4(bare)) return Buffer.from(bare.split('.').map(Number));
  if (!isIPv6(bare)) throw new TypeError(`not an IP address: ${address}`);
  const [head = '', tail] = bare.split('::') as [string, string | undefined];
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  let words = groups(head);
  let rest = tail === undefined ? [] : groups(tail);
  // An embedded IPv4 (::ffff:1.2.3.4 written in other forms) ends the address as two words.
  const expand = (list: string[]): string[] => list.flatMap((w) => (isIPv4(w) ? (() => { const o = w.split('.').map(Number); return [((o[0]! << 8) | o[1]!).toString(16), ((o[2]! << 8) | o[3]!).toString(16)]; })() : [w]));
  words = expand(words);
  rest = expand(rest);
  const all = tail === undefined ? words : [...words, ...Array<string>(8 - words.length - rest.length).fill('0'), ...rest];
  const b = Buffer.alloc(16);
  all.forEach((w, i) => b.writeUInt16BE(parseInt(w, 16), i * 2));
  return b;
}

/** The Internet checksum (RFC 1071) of the buffers taken as one. */
function internetChecksum(parts: readonly Buffer[]): number {
  let sum = 0;
  let odd: number | undefined;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      const byte = p[i]!;
      if (odd === undefined) odd = byte;
      else {
        sum += (odd << 8) | byte;
        odd = undefined;
      }
    }
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The IP and UDP headers and the payload of one datagram, as LINKTYPE_RAW bytes. */
export function rawUdpPacket(d: CapturedDatagram): Buffer {
  const src = addressBytes(d.source.address);
  const dst = addressBytes(d.destination.address);
  if (src.length !== dst.length) throw new TypeError(`mixed address families: ${d.source.address} to ${d.destination.address}`);
  const udpLength = UDP_HEADER_BYTES + d.payload.length;
  const udp = Buffer.alloc(UDP_HEADER_BYTES);
  udp.writeUInt16BE(d.source.port, 0);
  udp.writeUInt16BE(d.destination.port, 2);
  udp.writeUInt16BE(udpLength & 0xffff, 4);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(udpLength, 0);
  let ip: Buffer;
  let pseudo: Buffer;
  if (src.length === 4) {
    ip = Buffer.alloc(IPV4_HEADER_BYTES);
    ip[0] = 0x45;
    ip.writeUInt16BE((IPV4_HEADER_BYTES + udpLength) & 0xffff, 2);
    ip.writeUInt16BE(0x4000, 6); // DF: the stack sent it whole
    ip[8] = 64;
    ip[9] = PROTO_UDP;
    src.copy(ip, 12);
    dst.copy(ip, 16);
    ip.writeUInt16BE(internetChecksum([ip]), 10);
    pseudo = Buffer.concat([src, dst, Buffer.from([0, PROTO_UDP]), length.subarray(2)]);
  } else {
    ip = Buffer.alloc(IPV6_HEADER_BYTES);
    ip[0] = 0x60;
    ip.writeUInt16BE(udpLength & 0xffff, 4);
    ip[6] = PROTO_UDP;
    ip[7] = 64;
    src.copy(ip, 8);
    dst.copy(ip, 24);
    pseudo = Buffer.concat([src, dst, length, Buffer.from([0, 0, 0, PROTO_UDP])]);
  }
  // RFC 768: a computed checksum of 0 is sent as all ones (0 means "none", which IPv6 forbids).
  const sum = internetChecksum([pseudo, udp, d.payload]);
  udp.writeUInt16BE(sum === 0 ? 0xffff : sum, 6);
  return Buffer.concat([ip, udp, d.payload]);
}

/** One record: its 16-byte header and the packet, cut to the snap length. */
export function pcapRecord(d: CapturedDatagram): Buffer {
  const packet = rawUdpPacket(d);
  const kept = packet.length > PCAP_SNAPLEN ? packet.subarray(0, PCAP_SNAPLEN) : packet;
  const head = Buffer.alloc(PCAP_RECORD_HEADER_BYTES);
  const micros = Math.round(d.timeMs * 1000);
  head.writeUInt32LE(Math.floor(micros / 1_000_000), 0);
  head.writeUInt32LE(micros % 1_000_000, 4);
  head.writeUInt32LE(kept.length, 8);
  head.writeUInt32LE(packet.length, 12);
  return Buffer.concat([head, kept]);
}
