/**
 * TCP listeners and connections (node:net) behind the StreamListener / StreamConnection /
 * StreamConnector interfaces. TLS (tls.ts) reuses the same connection wrapper: a TLSSocket is
 * a net.Socket.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { IpFamily, SocketAddress, StreamConnectOptions, StreamConnection, StreamConnector, StreamListener } from './types.js';

function familyOf(family: string | number | undefined): IpFamily {
  return family === 'IPv6' || family === 6 ? 'IPv6' : 'IPv4';
}

/** Wraps a connected net.Socket (or tls.TLSSocket). */
export class SocketConnection implements StreamConnection {
  readonly #socket: Socket;
  readonly local: SocketAddress;
  readonly remote: SocketAddress;
  readonly secure: boolean;
  #dataHandler: (chunk: Buffer) => void = () => {};
  #closeHandler: (error: Error | undefined) => void = () => {};
  #error: Error | undefined;
  #closedPromise: Promise<void>;
  #ended = false;

  constructor(socket: Socket, secure: boolean) {
    this.#socket = socket;
    this.secure = secure;
    socket.setNoDelay(true);
    this.local = { address: socket.localAddress ?? '', port: socket.localPort ?? 0, family: familyOf(socket.localFamily) };
    this.remote = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0, family: familyOf(socket.remoteFamily) };
    socket.on('data', (chunk: Buffer) => this.#dataHandler(chunk));
    socket.on('error', (error) => {
      this.#error ??= error;
    });
    this.#closedPromise = new Promise((resolve) => {
      socket.once('close', () => {
        this.#ended = true;
        resolve();
        this.#closeHandler(this.#error);
      });
    });
  }

  write(data: Buffer | readonly Buffer[]): void {
    if (this.#ended || this.#socket.destroyed || !this.#socket.writable) return;
    if (Buffer.isBuffer(data)) {
      this.#socket.write(data);
    } else {
      for (const part of data) this.#socket.write(part);
    }
  }

  onData(handler: (chunk: Buffer) => void): void {
    this.#dataHandler = handler;
  }

  onClose(handler: (error: Error | undefined) => void): void {
    this.#closeHandler = handler;
  }

  close(): Promise<void> {
    if (!this.#ended && !this.#socket.destroyed) {
      this.#socket.end();
      // A peer that never closes its side must not hold the socket forever.
      this.#socket.setTimeout(2000, () => this.#socket.destroy());
    }
    return this.#closedPromise;
  }

  destroy(): void {
    this.#socket.destroy();
  }
}

/** A listening server (net.Server or tls.Server) that tracks its connections so close() drops them. */
export class ServerListener implements StreamListener {
  readonly #server: Server;
  readonly secure: boolean;
  readonly local: SocketAddress;
  readonly #open = new Set<SocketConnection>();
  #connectionHandler: (connection: StreamConnection) => void = (c) => c.destroy();
  #errorHandler: (error: Error) => void = () => {};
  #closed: Promise<void> | undefined;

  constructor(server: Server, secure: boolean, connectionEvent: 'connection' | 'secureConnection') {
    this.#server = server;
    this.secure = secure;
    const a = server.address();
    this.local = typeof a === 'object' && a !== null
      ? { address: a.address, port: a.port, family: familyOf(a.family) }
      : { address: '', port: 0, family: 'IPv4' };
    server.on(connectionEvent, (socket: Socket) => {
      if (this.#closed !== undefined) {
        socket.destroy();
        return;
      }
      const connection = new SocketConnection(socket, secure);
      this.#open.add(connection);
      socket.once('close', () => this.#open.delete(connection));
      this.#connectionHandler(connection);
    });
    server.on('error', (error) => this.#errorHandler(error));
  }

  onConnection(handler: (connection: StreamConnection) => void): void {
    this.#connectionHandler = handler;
  }

  onError(handler: (error: Error) => void): void {
    this.#errorHandler = handler;
  }

  close(): Promise<void> {
    this.#closed ??= new Promise((resolve) => {
      this.#server.close(() => resolve());
      for (const c of this.#open) c.destroy();
    });
    return this.#closed;
  }
}

export interface TcpListenOptions {
  readonly address: string;
  /** 0 picks a free port. */
  readonly port: number;
}

/** Resolves once `server` listens; rejects with the listen error. */
export function listenServer(server: Server, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Listens for TCP connections; resolves once listening (so `local.port` is known). */
export async function listenTcp(options: TcpListenOptions): Promise<StreamListener> {
  const server = createServer({ noDelay: true });
  await listenServer(server, options.address, options.port);
  return new ServerListener(server, false, 'connection');
}

/** Waits for `event` on a connecting socket, with a timeout; destroys the socket on failure. */
export function awaitConnect(socket: Socket, event: 'connect' | 'secureConnect', timeoutMs: number | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (error: Error): void => {
      if (timer !== undefined) clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.once('error', onError);
    socket.once(event, () => {
      if (timer !== undefined) clearTimeout(timer);
      socket.off('error', onError);
      resolve();
    });
  });
}

class TcpConnector implements StreamConnector {
  readonly secure = false;

  async connect(options: StreamConnectOptions): Promise<StreamConnection> {
    const socket = createConnection({
      host: options.host,
      port: options.port,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    await awaitConnect(socket, 'connect', options.timeoutMs);
    return new SocketConnection(socket, false);
  }
}

/** A connector for plain TCP. */
export function tcpConnector(): StreamConnector {
  return new TcpConnector();
}
