export { STATIC_CLOCK_RATES } from './clock-rates.js';
export { classifyPacket, isRtcpPacket, type PacketClass } from './demux.js';
export {
  RTCP_PACKET_TYPE,
  RTP_FIXED_HEADER_LENGTH,
  RTP_VERSION,
  parseRtcpPackets,
  parseRtpHeader,
  type RtcpHeader,
  type RtcpPacketTypeName,
  type RtpHeader,
} from './header.js';
export {
  OneWayAudioDetector,
  RTP_DIRECTIONS,
  type OneWayAudioClear,
  type OneWayAudioEvents,
  type OneWayAudioOptions,
  type OneWayAudioStart,
  type RtpDirection,
} from './one-way-audio.js';
export { RtpParseError } from './rtp-parse-error.js';
export {
  MAX_DROPOUT,
  MAX_MISORDER,
  MIN_SEQUENTIAL,
  RtpStreamStats,
  type PacketKind,
  type RtpStreamSnapshot,
  type RtpStreamStatsOptions,
} from './stream-stats.js';
export { DtmfReceiver, encodeTelephoneEvent, eventSymbol, parseTelephoneEvent, type DtmfDigit, type TelephoneEvent } from './telephone-event.js';
export { buildRtpPacket, type RtpPacketFields } from './packet.js';
export { SRTP_MASTER_KEY_LENGTH, SRTP_MASTER_SALT_LENGTH, SrtpError, aesCmKeystream, deriveSrtpKey, deriveSrtpSessionKeys, type SrtpSessionKeys } from './srtp-keys.js';
export { REPLAY_WINDOW, SRTP_SUITES, SrtpReceiver, SrtpSender, estimateRoc, isSrtpSuite, type SrtpKeyMaterial, type SrtpReceiverCounters, type SrtpSuite } from './srtp-context.js';
