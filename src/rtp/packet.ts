/** An RTP packet as the agent sends it (RFC 3550 §5.1): version 2, no padding, extension or CSRC. */
export interface RtpPacketFields {
  readonly payloadType: number;
  readonly marker: boolean;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
}

export function buildRtpPacket(f: RtpPacketFields, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(12 + payload.length);
  out.writeUInt8(0x80, 0);
  out.writeUInt8((f.marker ? 0x80 : 0) | (f.payloadType & 0x7f), 1);
  out.writeUInt16BE(f.sequenceNumber & 0xffff, 2);
  out.writeUInt32BE(f.timestamp >>> 0, 4);
  out.writeUInt32BE(f.ssrc >>> 0, 8);
  payload.copy(out, 12);
  return out;
}
