/**
 * Which protocol a datagram on a shared port carries, from its first byte (RFC 7983 §7):
 *
 *                  +----------------+
 *                  |        [0..3] -+--> STUN
 *                  |      [16..19] -+--> ZRTP
 *      packet -->  |      [20..63] -+--> DTLS
 *                  |      [64..79] -+--> TURN channel
 *                  |    [128..191] -+--> RTP/RTCP
 *                  +----------------+
 *
 * RTP and RTCP on one port (RFC 5761 §4): RTCP packet types 200–204 put 192–223 in the second
 * byte (marker bit and PT together); RTP payload types 64–95 are not used with rtcp-mux for this
 * reason, so that range of the second byte means RTCP.
 */

export type PacketClass = 'stun' | 'zrtp' | 'dtls' | 'turn-channel' | 'rtp' | 'rtcp' | 'unknown';

/** RFC 5761 §4: second byte in 192..223 → RTCP. */
export function isRtcpPacket(packet: Buffer): boolean {
  const b1 = packet[1];
  return b1 !== undefined && b1 >= 192 && b1 <= 223;
}

export function classifyPacket(packet: Buffer): PacketClass {
  const b0 = packet[0];
  if (b0 === undefined) return 'unknown';
  if (b0 <= 3) return 'stun';
  if (b0 >= 16 && b0 <= 19) return 'zrtp';
  if (b0 >= 20 && b0 <= 63) return 'dtls';
  if (b0 >= 64 && b0 <= 79) return 'turn-channel';
  if (b0 >= 128 && b0 <= 191) {
    if (packet.length < 2) return 'unknown';
    return isRtcpPacket(packet) ? 'rtcp' : 'rtp';
  }
  return 'unknown';
}
