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

/**
 * What a tunnel datagram channel offers (src/tunnel TunnelChannel has this shape): media does
 * not import the tunnel, so the SBC hands a channel in through this structural type.
 */
export interface DatagramChannelLike {
  send(datagram: Buffer): unknown;
  on(event: 'datagram', listener: (datagram: Buffer) => void): () => void;
  close(): void;
}

/** A MediaEndpoint over a tunnel datagram channel (RTP and RTCP share the channel, RFC 5761). */
export function channelEndpoint(channel: DatagramChannelLike): MediaEndpoint {
  let off: (() => void) | undefined;
  return {
    send(packet) {
      channel.send(packet);
    },
    onPacket(handler) {
      off?.();
      off = channel.on('datagram', handler);
    },
    close() {
      off?.();
      off = undefined;
      channel.close();
    },
  };
}
