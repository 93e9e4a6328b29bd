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

/**
 * A connected byte stream (TCP or TLS). Data handlers see chunks in order; `onClose` runs once,
 * with the error that ended the stream if any. `close()` ends gracefully and is idempotent;
 * `destroy()` drops the connection at once.
 */
export interface StreamConnection {
  readonly local: SocketAddress;
  readonly remote: SocketAddress;
  /** True for TLS. */
  readonly secure: boolean;
  write(data: Buffer | readonly Buffer[]): void;
  /** One handler; a second call replaces the first. */
  onData(handler: (chunk: Buffer) => void): void;
  onClose(handler: (error: Error | undefined) => void): void;
  close(): Promise<void>;
  destroy(): void;
}

/** A listening stream socket (TCP or TLS). `close()` stops accepting and drops its connections. */
export interface StreamListener {
  readonly local: SocketAddress;
  readonly secure: boolean;
  /** One handler; a second call replaces the first. */
  onConnection(handler: (connection: StreamConnection) => void): void;
  onError(handler: (error: Error) => void): void;
  close(): Promise<void>;
}

export interface StreamConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly localAddress?: string;
  /** Gives up (rejects) after this many milliseconds without a connection. */
  readonly timeoutMs?: number;
}

/** Opens outgoing stream connections; TCP or TLS with the settings it was made with. */
export interface StreamConnector {
  readonly secure: boolean;
  connect(options: StreamConnectOptions): Promise<StreamConnection>;
}
