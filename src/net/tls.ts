/**
 * TLS listeners and connectors (node:tls) behind the stream interfaces of types.ts. The
 * connection wrapper is tcp.ts's: a TLSSocket is a net.Socket.
 */
import { connect as tlsConnect, createServer, type SecureVersion } from 'node:tls';
import type { StreamConnectOptions, StreamConnection, StreamConnector, StreamListener } from './types.js';
import { awaitConnect, listenServer, ServerListener, SocketConnection } from './tcp.js';

export interface TlsListenOptions {
  readonly address: string;
  readonly port: number;
  /** PEM private key and certificate chain. */
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  /** PEM CA certificates to verify client certificates with (mutual TLS). */
  readonly ca?: string | Buffer;
  readonly requestCert?: boolean;
  /** Defaults to TLSv1.2. */
  readonly minVersion?: SecureVersion;
}

export interface TlsConnectorOptions {
  /** PEM CA certificates to trust; the system store when absent. */
  readonly ca?: string | Buffer;
  /** Client certificate for mutual TLS. */
  readonly key?: string | Buffer;
  readonly cert?: string | Buffer;
  /** SNI and name to verify; defaults to the host connected to. */
  readonly servername?: string;
  /** Defaults to true. Tests against a throwaway peer may turn verification off. */
  readonly rejectUnauthorized?: boolean;
  readonly minVersion?: SecureVersion;
}

/** Listens for TLS connections; resolves once listening. */
export async function listenTls(options: TlsListenOptions): Promise<StreamListener> {
  const server = createServer({
    key: options.key,
    cert: options.cert,
    minVersion: options.minVersion ?? 'TLSv1.2',
    requestCert: options.requestCert ?? false,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
  });
  await listenServer(server, options.address, options.port);
  return new ServerListener(server, true, 'secureConnection');
}

class TlsConnector implements StreamConnector {
  readonly secure = true;
  readonly #options: TlsConnectorOptions;

  constructor(options: TlsConnectorOptions) {
    this.#options = options;
  }

  async connect(options: StreamConnectOptions): Promise<StreamConnection> {
    const o = this.#options;
    const socket = tlsConnect({
      host: options.host,
      port: options.port,
      minVersion: o.minVersion ?? 'TLSv1.2',
      rejectUnauthorized: o.rejectUnauthorized ?? true,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      ...(o.ca === undefined ? {} : { ca: o.ca }),
      ...(o.key === undefined ? {} : { key: o.key }),
      ...(o.cert === undefined ? {} : { cert: o.cert }),
      // SNI must not carry an IP literal (RFC 6066 §3); Node warns and ignores it otherwise.
      ...(o.servername !== undefined ? { servername: o.servername } : /^[\d.:]+$/.test(options.host) ? {} : { servername: options.host }),
    });
    await awaitConnect(socket, 'secureConnect', options.timeoutMs);
    return new SocketConnection(socket, true);
  }
}

/** A connector for TLS with the given trust and client-certificate settings. */
export function tlsConnector(options: TlsConnectorOptions = {}): StreamConnector {
  return new TlsConnector(options);
}
