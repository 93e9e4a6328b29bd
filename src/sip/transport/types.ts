/**
 * Values and socket shapes of the SIP transport layer (RFC 3261 §18). src/sip may not import
 * src/net, so the sockets are described here structurally; src/net's DatagramSocket,
 * StreamListener, StreamConnection and StreamConnector satisfy them and are passed in by the
 * composition root.
 */

/** Via transport tokens this layer carries (RFC 3261 §20.42). */
export type SipTransportName = 'UDP' | 'TCP' | 'TLS';

/** Where to send a message. `flowId` names an open connection to prefer (§18.2.2). */
export interface TransportTarget {
  readonly transport: SipTransportName;
  readonly host: string;
  readonly port: number;
  readonly flowId?: string;
}

/** Where a message came from: the packet source, not what its Via says. */
export interface MessageSource {
  readonly transport: SipTransportName;
  readonly address: string;
  readonly port: number;
  /** The connection it arrived on (stream transports); replies should use it. */
  readonly flowId?: string;
  readonly localAddress: string;
  readonly localPort: number;
}

export interface SipAddress {
  readonly address: string;
  readonly port: number;
}

export interface SipDatagramSocket {
  readonly local: SipAddress;
  send(data: Buffer | readonly Buffer[], port: number, address: string): void;
  onMessage(handler: (data: Buffer, from: SipAddress) => void): void;
  onError(handler: (error: Error) => void): void;
  close(): Promise<void>;
}

export interface SipStreamConnection {
  readonly local: SipAddress;
  readonly remote: SipAddress;
  write(data: Buffer | readonly Buffer[]): void;
  onData(handler: (chunk: Buffer) => void): void;
  onClose(handler: (error: Error | undefined) => void): void;
  close(): Promise<void>;
  destroy(): void;
}

export interface SipStreamListener {
  readonly local: SipAddress;
  onConnection(handler: (connection: SipStreamConnection) => void): void;
  onError(handler: (error: Error) => void): void;
  close(): Promise<void>;
}

export interface SipStreamConnector {
  connect(options: { host: string; port: number; timeoutMs?: number }): Promise<SipStreamConnection>;
}

/** Counters kept by the transport layer; read with `counters()`. */
export interface SipTransportCounters {
  messagesReceived: number;
  messagesSent: number;
  /** Requests that failed to parse (answered 400 or the parser's status when possible). */
  malformedRequests: number;
  /** Responses that failed to parse: dropped (RFC 3261 §18.1.2 / issue 3). */
  malformedResponses: number;
  /** Stream framing errors; each closed its connection. */
  framingErrors: number;
  /** Messages or datagrams over the maximum size. */
  oversize: number;
  /** CRLFCRLF keep-alive pings answered with a CRLF pong (RFC 5626 §4.4.1). */
  pingsAnswered: number;
  pongsReceived: number;
  /** Datagrams that were neither SIP nor a keep-alive (STUN goes to its hook when set). */
  nonSipDatagrams: number;
  connectionsOpened: number;
  connectionsAccepted: number;
  connectionsClosed: number;
  idleConnectionsClosed: number;
  sendErrors: number;
  /** UDP requests sent over TCP instead because of their size (RFC 3261 §18.1.1). */
  sizeSwitchesToTcp: number;
  /** Responses whose top Via sent-by is not ours: silently discarded (RFC 3261 §18.1.2). */
  misroutedResponses: number;
}

export function emptyCounters(): SipTransportCounters {
  return {
    messagesReceived: 0, messagesSent: 0, malformedRequests: 0, malformedResponses: 0, framingErrors: 0,
    oversize: 0, pingsAnswered: 0, pongsReceived: 0, nonSipDatagrams: 0, connectionsOpened: 0,
    connectionsAccepted: 0, connectionsClosed: 0, idleConnectionsClosed: 0, sendErrors: 0, sizeSwitchesToTcp: 0,
    misroutedResponses: 0,
  };
}

/** RFC 3261 §19.1.2 default ports. */
export function defaultPort(transport: SipTransportName): number {
  return transport === 'TLS' ? 5061 : 5060;
}
