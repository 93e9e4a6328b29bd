/**
 * RTP fixed header (RFC 3550 §5.1) and RTCP common header (RFC 3550 §6.4) views. Every length
 * is checked before it is used; a short or inconsistent packet is an RtpParseError.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |            contributing source (CSRC) identifiers             |
 * |                             ....                              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { RtpParseError } from './rtp-parse-error.js';

export const RTP_VERSION = 2;
export const RTP_FIXED_HEADER_LENGTH = 12;

export interface RtpHeader {
  readonly version: number;
  readonly padding: boolean;
  readonly extension: boolean;
  readonly csrcCount: number;
  readonly marker: boolean;
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrcs: readonly number[];
  /** RFC 3550 §5.3.1 "defined by profile" field, when X is set. */
  readonly extensionProfile: number | undefined;
  /** Bytes of the header: fixed part, CSRCs and extension. */
  readonly headerLength: number;
  /** Padding bytes at the end, counted by the last byte when P is set (RFC 3550 §5.1). */
  readonly paddingLength: number;
  readonly payloadLength: number;
}

export function parseRtpHeader(packet: Buffer): RtpHeader {
  if (packet.length < RTP_FIXED_HEADER_LENGTH) {
    throw new RtpParseError('rtp', packet.length, `${packet.length} bytes, fixed header needs ${RTP_FIXED_HEADER_LENGTH}`);
  }
  const b0 = packet[0] ?? 0;
  const b1 = packet[1] ?? 0;
  const version = b0 >> 6;
  if (version !== RTP_VERSION) throw new RtpParseError('rtp', 0, `version ${version}, expected 2`);
  const padding = (b0 & 0x20) !== 0;
  const extension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  let offset = RTP_FIXED_HEADER_LENGTH + 4 * csrcCount;
  if (packet.length < offset) throw new RtpParseError('rtp', RTP_FIXED_HEADER_LENGTH, `CC=${csrcCount} needs ${offset} bytes, have ${packet.length}`);
  const csrcs: number[] = [];
  for (let i = 0; i < csrcCount; i++) csrcs.push(packet.readUInt32BE(RTP_FIXED_HEADER_LENGTH + 4 * i));
  let extensionProfile: number | undefined;
  if (extension) {
    // RFC 3550 §5.3.1: 16-bit profile field, 16-bit length in 32-bit words after these 4 bytes.
    if (packet.length < offset + 4) throw new RtpParseError('rtp', offset, 'X set but no extension header');
    extensionProfile = packet.readUInt16BE(offset);
    const words = packet.readUInt16BE(offset + 2);
    const end = offset + 4 + 4 * words;
    if (packet.length < end) throw new RtpParseError('rtp', offset + 2, `extension of ${words} words runs past the packet`);
    offset = end;
  }
  let paddingLength = 0;
  if (padding) {
    paddingLength = packet[packet.length - 1] ?? 0;
    if (paddingLength === 0 || paddingLength > packet.length - offset) {
      throw new RtpParseError('rtp', packet.length - 1, `padding count ${paddingLength} does not fit ${packet.length - offset} bytes after the header`);
    }
  }
  return {
    version,
    padding,
    extension,
    csrcCount,
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequenceNumber: packet.readUInt16BE(2),
    timestamp: packet.readUInt32BE(4),
    ssrc: packet.readUInt32BE(8),
    csrcs,
    extensionProfile,
    headerLength: offset,
    paddingLength,
    payloadLength: packet.length - offset - paddingLength,
  };
}

/** RTCP packet types (RFC 3550 §12.1; RTPFB/PSFB RFC 4585; XR RFC 3611). */
export const RTCP_PACKET_TYPE = { SR: 200, RR: 201, SDES: 202, BYE: 203, APP: 204, RTPFB: 205, PSFB: 206, XR: 207 } as const;

export type RtcpPacketTypeName = keyof typeof RTCP_PACKET_TYPE;

/**
 *  0                   1                   2                   3
 * |V=2|P|    RC   |   PT=SR=200   |             length            |
 * |                         SSRC of sender                        |
 */
export interface RtcpHeader {
  readonly version: number;
  readonly padding: boolean;
  /** RC / SC / subtype, by packet type. */
  readonly count: number;
  readonly packetType: number;
  readonly typeName: RtcpPacketTypeName | undefined;
  /** Bytes of this packet including its header ((length field + 1) × 4). */
  readonly byteLength: number;
  /** The first SSRC/CSRC of the packet, absent for an empty packet (e.g. a BYE with SC=0). */
  readonly ssrc: number | undefined;
}

const TYPE_NAMES = new Map<number, RtcpPacketTypeName>(
  (Object.entries(RTCP_PACKET_TYPE) as Array<[RtcpPacketTypeName, number]>).map(([name, pt]) => [pt, name]),
);

/** The packets of an RTCP compound packet (RFC 3550 §6.1); their lengths must add up exactly. */
export function parseRtcpPackets(datagram: Buffer): RtcpHeader[] {
  const out: RtcpHeader[] = [];
  let offset = 0;
  if (datagram.length === 0) throw new RtpParseError('rtcp', 0, 'empty datagram');
  while (offset < datagram.length) {
    if (datagram.length - offset < 4) throw new RtpParseError('rtcp', offset, `${datagram.length - offset} bytes left, header needs 4`);
    const b0 = datagram[offset] ?? 0;
    const version = b0 >> 6;
    if (version !== RTP_VERSION) throw new RtpParseError('rtcp', offset, `version ${version}, expected 2`);
    const packetType = datagram[offset + 1] ?? 0;
    const byteLength = (datagram.readUInt16BE(offset + 2) + 1) * 4;
    if (offset + byteLength > datagram.length) {
      throw new RtpParseError('rtcp', offset + 2, `length ${byteLength} runs past the datagram (${datagram.length - offset} left)`);
    }
    out.push({
      version,
      padding: (b0 & 0x20) !== 0,
      count: b0 & 0x1f,
      packetType,
      typeName: TYPE_NAMES.get(packetType),
      byteLength,
      ssrc: byteLength >= 8 ? datagram.readUInt32BE(offset + 4) : undefined,
    });
    offset += byteLength;
  }
  return out;
}
