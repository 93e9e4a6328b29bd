/**
 * The TLS carriage of the tunnel (src/tunnel/PROTOCOL.md "Carriage"): TLS 1.3 only, over TCP,
 * port 5090 by default, with mutual certificate authentication. The hub requires a client
 * certificate signed by its CA; the agent trusts only the hub CA.
 */
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import type { TunnelCarriage } from './tunnel-carriage.js';
import { DEFAULT_TUNNEL_TLS_PORT, TlsSocketCarriage, clientSecureContext, peerOf, type TunnelCredentials } from './tunnel-socket.js';

export interface TunnelListener {
  readonly address: string;
  readonly port: number;
  /** Stops accepting; open carriages stay (the tunnel server closes its sessions). Idempotent. */
  close(): Promise<void>;
}

export interface TunnelTlsListenOptions extends TunnelCredentials {
  readonly host: string;
  /** Default 5090; 0 picks a free port. */
  readonly port?: number;
  readonly onCarriage: (carriage: TunnelCarriage) => void;
  /** Failed TLS handshakes (no or bad client certificate, old TLS version). */
  readonly onHandshakeError?: (error: Error, remoteAddress: string) => void;
}

export interface TunnelTlsConnectOptions extends TunnelCredentials {
  readonly host: string;
  readonly port?: number;
  /** Gives up after this long without a TLS connection; default 10 s. */
  readonly timeoutMs?: number;
  /** SNI; none by default (the hub is often reached by IP address). */
  readonly servername?: string;
  /**
   * Checks the hub certificate's name. By default the name is not checked: the hub CA is
   * private to the hub and is itself the trust anchor (it is pinned at enrollment).
   */
  readonly checkServerIdentity?: (host: string, cert: unknown) => Error | undefined;
  readonly localAddress?: string;
}

/** The TLS options both carriages use for the hub side. */
export function hubTlsOptions(c: TunnelCredentials): { key: string | Buffer; cert: string | Buffer; ca: string | Buffer; requestCert: true; rejectUnauthorized: true; minVersion: 'TLSv1.3' } {
  return { key: c.key, cert: c.cert, ca: c.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' };
}

export function listenServerOn(server: Server | import('node:https').Server, host: string, port: number): Promise<TunnelListener> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address();
      let closed: Promise<void> | undefined;
      resolve({
        address: typeof a === 'object' && a !== null ? a.address : host,
        port: typeof a === 'object' && a !== null ? a.port : port,
        close: () => (closed ??= new Promise((done) => server.close(() => done()))),
      });
    });
  });
}

export function listenTunnelTls(options: TunnelTlsListenOptions): Promise<TunnelListener> {
  const server = createServer(hubTlsOptions(options), (socket: TLSSocket) => {
    options.onCarriage(new TlsSocketCarriage(socket, peerOf(socket, 'tls')));
  });
  server.on('tlsClientError', (error, socket) => options.onHandshakeError?.(error, socket.remoteAddress ?? ''));
  return listenServerOn(server, options.host, options.port ?? DEFAULT_TUNNEL_TLS_PORT);
}

export function connectTunnelTls(options: TunnelTlsConnectOptions): Promise<TunnelCarriage> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: options.host,
      port: options.port ?? DEFAULT_TUNNEL_TLS_PORT,
      secureContext: clientSecureContext(options),
      minVersion: 'TLSv1.3',
      rejectUnauthorized: true,
      checkServerIdentity: options.checkServerIdentity ?? (() => undefined),
      ...(options.servername !== undefined ? { servername: options.servername } : {}),
      ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`TLS connection to ${options.host} timed out`));
    }, options.timeoutMs ?? 10_000);
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(new TlsSocketCarriage(socket, peerOf(socket, 'tls')));
    });
  });
}
