export { Latch, canonicalAddress, latchRuleFor, type LatchRule, type LatchTarget } from './latch.js';
export { channelEndpoint, createEndpointPair, type DatagramChannelLike, type MediaEndpoint } from './media-endpoint.js';
export { MediaSession, type MediaSessionEvents, type MediaSessionOptions, type MediaSessionStats } from './media-session.js';
export { openUdpRelayLeg, type OpenLegOptions, type UdpBinder } from './open-leg.js';
export { MediaPortsExhaustedError, PortPool, type PortPair, type PortRange } from './port-pool.js';
export { UdpRelayLeg, type RemoteMedia, type UdpRelayLegCounters, type UdpRelayLegEvents, type UdpRelayLegOptions } from './udp-relay-leg.js';
