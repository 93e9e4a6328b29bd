/**
 * In-memory sockets for transport tests: a datagram socket that records what is sent and lets
 * the test inject datagrams, and stream connections in connected pairs.
 */
import type {
  SipAddress, SipDatagramSocket, SipStreamConnection, SipStreamConnector, SipStreamListener,
} from '../../../../src/sip/transport/index.js';

export class MemoryDatagramSocket implements SipDatagramSocket {
  readonly local: SipAddress;
  readonly sent: Array<{ data: Buffer; port: number; address: string }> = [];
  #handler: (data: Buffer, from: SipAddress) => void = () => {};
  closed = false;

  constructor(local: SipAddress) {
    this.local = local;
  }

  send(data: Buffer | readonly Buffer[], port: number, address: string): void {
    this.sent.push({ data: Buffer.isBuffer(data) ? data : Buffer.concat(data), port, address });
  }

  onMessage(handler: (data: Buffer, from: SipAddress) => void): void {
    this.#handler = handler;
  }

  onError(): void {}

  inject(data: Buffer | string, from: SipAddress): void {
    this.#handler(typeof data === 'string' ? Buffer.from(data) : data, from);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export class MemoryConnection implements SipStreamConnection {
  readonly local: SipAddress;
  readonly remote: SipAddress;
  peer: MemoryConnection | undefined;
  readonly written: Buffer[] = [];
  #data: (chunk: Buffer) => void = () => {};
  #close: (error: Error | undefined) => void = () => {};
  closed = false;

  constructor(local: SipAddress, remote: SipAddress) {
    this.local = local;
    this.remote = remote;
  }

  static pair(a: SipAddress, b: SipAddress): [MemoryConnection, MemoryConnection] {
    const x = new MemoryConnection(a, b);
    const y = new MemoryConnection(b, a);
    x.peer = y;
    y.peer = x;
    return [x, y];
  }

  write(data: Buffer | readonly Buffer[]): void {
    if (this.closed) return;
    const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(data);
    this.written.push(bytes);
    this.peer?.receive(bytes);
  }

  /** Bytes arriving from the peer. */
  receive(bytes: Buffer | string): void {
    if (!this.closed) this.#data(typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
  }

  writtenText(): string {
    return Buffer.concat(this.written).toString('latin1');
  }

  onData(handler: (chunk: Buffer) => void): void {
    this.#data = handler;
  }

  onClose(handler: (error: Error | undefined) => void): void {
    this.#close = handler;
  }

  async close(): Promise<void> {
    this.destroy();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.#close(undefined);
    this.peer?.destroy();
  }
}

export class MemoryListener implements SipStreamListener {
  readonly local: SipAddress;
  #handler: (c: SipStreamConnection) => void = () => {};

  constructor(local: SipAddress) {
    this.local = local;
  }

  onConnection(handler: (c: SipStreamConnection) => void): void {
    this.#handler = handler;
  }

  onError(): void {}

  /** A client at `from` connects; returns the client's end. */
  accept(from: SipAddress): MemoryConnection {
    const [client, server] = MemoryConnection.pair(from, this.local);
    this.#handler(server);
    return client;
  }

  async close(): Promise<void> {}
}

/** Connects to registered in-memory servers; unknown addresses are refused. */
export class MemoryConnector implements SipStreamConnector {
  readonly connects: SipAddress[] = [];
  readonly servers = new Map<string, (client: MemoryConnection) => void>();
  #nextPort = 40000;
  readonly #local: string;

  constructor(localAddress: string) {
    this.#local = localAddress;
  }

  /** Registers a peer at host:port; `accept` gets the server end of each connection. */
  serve(host: string, port: number, accept: (serverEnd: MemoryConnection) => void): void {
    this.servers.set(`${host}:${port}`, accept);
  }

  async connect(options: { host: string; port: number }): Promise<SipStreamConnection> {
    this.connects.push({ address: options.host, port: options.port });
    const accept = this.servers.get(`${options.host}:${options.port}`);
    if (accept === undefined) throw new Error('ECONNREFUSED');
    const [client, server] = MemoryConnection.pair({ address: this.#local, port: this.#nextPort++ }, { address: options.host, port: options.port });
    accept(server);
    return client;
  }
}
