/**
 * The byte stream a tunnel session runs over (src/tunnel/PROTOCOL.md "Carriage"): TLS 1.3 over TCP,
 * or binary WebSocket messages over WSS. The session needs writes with backpressure (so control and
 * RTP are not queued behind bulk data in a deep socket buffer) and the peer's certificate identity.
 */

export type TunnelCarriageKind = 'tls' | 'wss' | 'memory';

/** Who is at the other end, from the TLS handshake. */
export interface TunnelPeer {
  readonly carriage: TunnelCarriageKind;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Subject common name of the peer certificate ('' if none). */
  readonly subject: string;
  /** SHA-256 fingerprint of the peer certificate, upper-case hex with colons ('' if none). */
  readonly fingerprint256: string;
  /** Certificate serial number, hex ('' if none), for revocation lists. */
  readonly serialNumber: string;
}

export interface TunnelCarriage {
  readonly peer: TunnelPeer;
  /**
   * Writes bytes (whole frames). Returns false when the carriage's buffer is above its high-water
   * mark: the caller should wait for the drain handler before writing more.
   */
  write(data: Buffer): boolean;
  /** One handler each; a second call replaces the first. */
  onData(handler: (chunk: Buffer) => void): void;
  onDrain(handler: () => void): void;
  /** Runs once, with the error that ended the carriage, if any. */
  onClose(handler: (error: Error | undefined) => void): void;
  /** Ends after flushing what was written. Idempotent. */
  close(): void;
  /** Drops the connection at once (a dead path). Idempotent. */
  abort(): void;
}
