/**
 * The socket shapes STUN code is given (docs/STYLE.md rule 5). src/net's DatagramSocket and
 * StreamConnection (src/net/types.ts) fit them; tests pass in-memory fakes.
 */
import type { TransportAddress } from './attributes.js';

export interface StunEndpoint {
  readonly address: string;
  readonly port: number;
}

export interface StunDatagramSocket {
  readonly local: TransportAddress;
  send(data: Buffer, port: number, address: string): void;
  onMessage(handler: (data: Buffer, from: TransportAddress) => void): void;
}

/** One connected byte stream (TCP). `close()` is idempotent. */
export interface StunStream {
  readonly local: TransportAddress;
  readonly remote: TransportAddress;
  write(data: Buffer): void;
  onData(handler: (chunk: Buffer) => void): void;
  onClose(handler: () => void): void;
  close(): void;
}

export function formatEndpoint(e: StunEndpoint): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

export function sameEndpoint(a: StunEndpoint, b: StunEndpoint): boolean {
  return a.address === b.address && a.port === b.port;
}
