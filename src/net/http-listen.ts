/**
 * What the project's HTTP servers share (the provisioning relay, the enrollment endpoint, the admin
 * API): a request body read with its bound checked before and while buffering (docs/STYLE.md rule 3),
 * and a listener whose close() ends the open connections too (keep-alive sockets would hold it
 * open) and is idempotent, with malformed requests answered 400 and closed.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { SocketAddress } from './types.js';

const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

/** The body, or undefined when it is (or says it is) larger than `limit` bytes. */
export function readBoundedBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** An address as a SocketAddress, IPv4-mapped IPv6 written as IPv4. */
export function socketAddressOf(address: string | undefined, port: number | undefined): SocketAddress {
  const a = (address ?? '').replace(/^::ffff:/, '');
  return { address: a, port: port ?? 0, family: a.includes(':') ? 'IPv6' : 'IPv4' };
}

export interface ListeningServer {
  readonly local: SocketAddress;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** Answer malformed requests (oversized headers, bad request lines) 400 and close; default true. */
  readonly badRequest400?: boolean;
  /** Runs first in close() (WebSocket clients ended, say). */
  readonly beforeClose?: () => void;
  /** Errors of the listening server (EMFILE...), reported rather than thrown. */
  readonly onError?: (error: unknown) => void;
}

/** Listens on host:port (0: any free port) and tracks connections for close(). */
export function listenTracked(server: Server, host: string, port: number, o: ListenOptions = {}): Promise<ListeningServer> {
  const sockets = new Set<Socket>();
  if (o.badRequest400 !== false) {
    // node's own reply would be 431 for oversized headers; the project's endpoints answer 400.
    server.on('clientError', (_error, socket: Socket) => {
      if (socket.writable) socket.end(BAD_REQUEST);
      else socket.destroy();
    });
  }
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      if (o.onError !== undefined) server.on('error', o.onError);
      const a = server.address();
      const local = typeof a === 'object' && a !== null ? socketAddressOf(a.address, a.port) : socketAddressOf(host, port);
      let closed: Promise<void> | undefined;
      resolve({
        local,
        close: () => {
          closed ??= new Promise((done) => {
            o.beforeClose?.();
            server.close(() => done());
            for (const s of sockets) s.destroy();
          });
          return closed;
        },
      });
    });
  });
}
