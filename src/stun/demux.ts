/**
 * RFC 7983 §7 demultiplexing of a shared port by the first byte, so a SIP UDP socket can also
 * answer STUN Binding keep-alives (RFC 5626 §4.4.2):
 *
 *   0–3 STUN · 16–19 ZRTP · 20–63 DTLS · 64–79 TURN channel · 128–191 RTP/RTCP
 *
 * SIP starts with an ASCII letter (method or "SIP/2.0") or CR/LF (keep-alive, RFC 5626 §3.5.1).
 * Letters A–O (65–79) fall in the TURN channel range; this helper serves a SIP port, where no
 * TURN channel data arrives, so letters are SIP.
 */
import { HEADER_LENGTH, MAGIC_COOKIE } from './constants.js';

export type PacketKind = 'stun' | 'zrtp' | 'dtls' | 'turn-channel' | 'rtp' | 'sip' | 'unknown';

export function classifyPacket(data: Buffer): PacketKind {
  const first = data[0];
  if (first === undefined) return 'unknown';
  if (first <= 3) return looksLikeStun(data) ? 'stun' : 'unknown';
  if (first >= 16 && first <= 19) return 'zrtp';
  if (first >= 20 && first <= 63) return 'dtls';
  if (first === 0x0d || first === 0x0a || (first >= 0x41 && first <= 0x5a) || (first >= 0x61 && first <= 0x7a)) return 'sip';
  if (first >= 64 && first <= 79) return 'turn-channel';
  if (first >= 128 && first <= 191) return 'rtp';
  return 'unknown';
}

/**
 * RFC 8489 §5/§7: first two bits zero, magic cookie, Length a multiple of 4 that matches the
 * datagram. A classic RFC 3489 request has no cookie; it is accepted when its Length matches.
 */
export function looksLikeStun(data: Buffer): boolean {
  if (data.length < HEADER_LENGTH || (data[0] ?? 0xff) > 3) return false;
  const length = data.readUInt16BE(2);
  if (length % 4 !== 0 || HEADER_LENGTH + length !== data.length) return false;
  return data.readUInt32BE(4) === MAGIC_COOKIE || (data.readUInt16BE(0) & 0x0110) === 0;
}
