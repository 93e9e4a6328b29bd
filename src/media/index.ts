export { Latch, canonicalAddress, latchRuleFor, type LatchRule, type LatchTarget } from './latch.js';
export { channelEndpoint, createEndpointPair, type DatagramChannelLike, type MediaEndpoint } from './media-endpoint.js';
export { MediaSession, type MediaSessionEvents, type MediaSessionOptions, type MediaSessionStats } from './media-session.js';
export { openUdpRelayLeg, type OpenLegOptions, type UdpBinder } from './open-leg.js';
export { MediaPortsExhaustedError, PortPool, type PortPair, type PortRange } from './port-pool.js';
export { UdpRelayLeg, type RemoteMedia, type UdpRelayLegCounters, type UdpRelayLegEvents, type UdpRelayLegOptions } from './udp-relay-leg.js';
export { G711_PAYLOAD_TYPE, alawToLinear, decodeG711, encodeG711, linearToAlaw, linearToUlaw, ulawToLinear, type G711Law } from './g711.js';
export { PROMPT_SAMPLE_RATE, WavFormatError, conversionHint, describeWavFormat, encodeWav, readPromptWav, readWavChunks, type WavFormat } from './wav.js';
export { PACKET_MS, RtpPlayer, SAMPLES_PER_PACKET, type PlayOutcome, type RtpPlayerOptions } from './rtp-player.js';
