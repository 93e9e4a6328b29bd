/**
 * The socket interfaces that protocol code is given. Only src/net implements them with real
 * sockets; tests may pass in-memory pairs. Addresses are plain values.
 */

export type IpFamily = 'IPv4' | 'IPv6';

export interface SocketAddress {
  readonly address: string;
  readonly port: number;
  readonly family: IpFamily;
}

/** A bound datagram socket. `close()` is idempotent. */
export interface DatagramSocket {
  readonly local: SocketAddress;
  send(data: Buffer | readonly Buffer[], port: number, address: string): void;
  /** One handler; a second call replaces the first. */
  onMessage(handler: (data: Buffer, from: SocketAddress) => void): void;
  onError(handler: (error: Error) => void): void;
  close(): Promise<void>;
}
