/**
 * One side of a media relay: a UDP leg toward a phone or PBX (UdpRelayLeg), or a datagram
 * channel of the tunnel. RTP and RTCP travel through the same endpoint and are told apart by
 * their second byte (RFC 5761 §4); an endpoint with a separate RTCP port sorts them itself.
 */
export interface MediaEndpoint {
  /** Sends one RTP or RTCP packet toward the far side; dropped silently when there is nowhere to send yet. */
  send(packet: Buffer): void;
  /** One handler; a second call replaces the first. */
  onPacket(handler: (packet: Buffer) => void): void;
  /** Releases sockets or the channel. Idempotent. */
  close(): void;
}

/**
 * Two endpoints joined back to back in memory: what one sends, the other delivers
 * synchronously. For tests and for wiring two sessions in one process.
 */
export function createEndpointPair(): [MediaEndpoint, MediaEndpoint] {
  const handlers: Array<(packet: Buffer) => void> = [() => {}, () => {}];
  let closed = false;
  const make = (self: 0 | 1): MediaEndpoint => ({
    send(packet) {
      if (!closed) handlers[1 - self]?.(packet);
    },
    onPacket(handler) {
      handlers[self] = handler;
    },
    close() {
      closed = true;
    },
  });
  return [make(0), make(1)];
}
