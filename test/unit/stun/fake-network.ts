/**
 * In-memory datagram sockets for STUN tests: `send` delivers synchronously to the socket bound
 * at the destination, and every datagram is recorded with the time of the clock given.
 */
import type { StunDatagramSocket, StunStream, TransportAddress } from '../../../src/stun/index.js';

export interface Sent {
  readonly from: TransportAddress;
  readonly to: { address: string; port: number };
  readonly data: Buffer;
  readonly at: number;
}

export class FakeNetwork {
  readonly sent: Sent[] = [];
  readonly #sockets = new Map<string, FakeSocket>();
  readonly #now: () => number;

  constructor(now: () => number = () => 0) {
    this.#now = now;
  }

  bind(address: string, port: number): FakeSocket {
    const socket = new FakeSocket(this, { family: address.includes(':') ? 'IPv6' : 'IPv4', address, port });
    this.#sockets.set(`${address}|${port}`, socket);
    return socket;
  }

  deliver(from: TransportAddress, data: Buffer, port: number, address: string): void {
    this.sent.push({ from, to: { address, port }, data, at: this.#now() });
    this.#sockets.get(`${address}|${port}`)?.receive(data, from);
  }
}

export class FakeSocket implements StunDatagramSocket {
  readonly local: TransportAddress;
  readonly #network: FakeNetwork;
  #handler: (data: Buffer, from: TransportAddress) => void = () => {};

  constructor(network: FakeNetwork, local: TransportAddress) {
    this.#network = network;
    this.local = local;
  }

  send(data: Buffer, port: number, address: string): void {
    this.#network.deliver(this.local, data, port, address);
  }

  onMessage(handler: (data: Buffer, from: TransportAddress) => void): void {
    this.#handler = handler;
  }

  receive(data: Buffer, from: TransportAddress): void {
    this.#handler(data, from);
  }
}

/** One side of a stream; `written` collects what the code under test wrote. */
export class FakeStream implements StunStream {
  readonly local: TransportAddress = { family: 'IPv4', address: '127.0.0.1', port: 3478 };
  readonly remote: TransportAddress = { family: 'IPv4', address: '127.0.0.9', port: 40000 };
  readonly written: Buffer[] = [];
  closed = false;
  #data: (chunk: Buffer) => void = () => {};
  #close: () => void = () => {};

  write(data: Buffer): void {
    this.written.push(data);
  }

  onData(handler: (chunk: Buffer) => void): void {
    this.#data = handler;
  }

  onClose(handler: () => void): void {
    this.#close = handler;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#close();
  }

  push(chunk: Buffer): void {
    this.#data(chunk);
  }
}
