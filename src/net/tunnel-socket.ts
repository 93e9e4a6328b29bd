/**
 * A TLS socket as a TunnelCarriage (src/tunnel/PROTOCOL.md "Carriage"), and the peer identity
 * read from its certificate, for the TLS and WSS carriages alike.
 */
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import type { TunnelCarriage, TunnelCarriageKind, TunnelPeer } from './tunnel-carriage.js';

export const DEFAULT_TUNNEL_TLS_PORT = 5090;
export const DEFAULT_TUNNEL_WSS_PORT = 443;

/** PEM credentials: this side's key and certificate, and the CA that signs the other side's. */
export interface TunnelCredentials {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  readonly ca: string | Buffer;
}

let lastClientContext: (TunnelCredentials & { readonly context: SecureContext }) | undefined;

/**
 * The agent's TLS context for its credentials, made once and kept while they stay the same. Each
 * connect attempt used to build its own (PEM parsing: about 2 ms of CPU, 90 % of an attempt's);
 * while calls are up and the WAN link is down the agent tries every ~0.1 s (tunnel/client.ts
 * NO_ROUTE_RETRY_MS), over TLS then WSS, which cost about 5 % of a core in contexts alone.
 */
export function clientSecureContext(c: TunnelCredentials): SecureContext {
  const last = lastClientContext;
  if (last !== undefined && last.key === c.key && last.cert === c.cert && last.ca === c.ca) return last.context;
  const context = createSecureContext({ key: c.key, cert: c.cert, ca: c.ca, minVersion: 'TLSv1.3' });
  lastClientContext = { key: c.key, cert: c.cert, ca: c.ca, context };
  return context;
}

export function peerOf(socket: TLSSocket, carriage: TunnelCarriageKind): TunnelPeer {
  const cert = socket.getPeerCertificate();
  const cn: unknown = cert?.subject?.CN;
  const subject = typeof cn === 'string' ? cn : Array.isArray(cn) && typeof cn[0] === 'string' ? cn[0] : '';
  return {
    carriage,
    remoteAddress: socket.remoteAddress ?? '',
    remotePort: socket.remotePort ?? 0,
    subject,
    fingerprint256: cert?.fingerprint256 ?? '',
    serialNumber: cert?.serialNumber ?? '',
  };
}

export class TlsSocketCarriage implements TunnelCarriage {
  readonly peer: TunnelPeer;
  readonly #socket: TLSSocket;
  #closeHandler: (error: Error | undefined) => void = () => {};
  #error: Error | undefined;

  constructor(socket: TLSSocket, peer: TunnelPeer) {
    this.#socket = socket;
    this.peer = peer;
    // Control frames and RTP must not wait for Nagle.
    socket.setNoDelay(true);
    socket.on('error', (error) => {
      this.#error = error;
    });
    socket.on('close', () => this.#closeHandler(this.#error));
  }

  write(data: Buffer): boolean {
    if (this.#socket.destroyed || this.#socket.writableEnded) return false;
    return this.#socket.write(data);
  }

  onData(handler: (chunk: Buffer) => void): void {
    this.#socket.removeAllListeners('data');
    this.#socket.on('data', handler);
  }

  onDrain(handler: () => void): void {
    this.#socket.removeAllListeners('drain');
    this.#socket.on('drain', handler);
  }

  onClose(handler: (error: Error | undefined) => void): void {
    this.#closeHandler = handler;
  }

  close(): void {
    if (!this.#socket.writableEnded) this.#socket.end();
    // A peer that never answers our FIN must not hold the socket open for ever.
    setTimeout(() => this.#socket.destroy(), 2000).unref();
  }

  abort(): void {
    this.#socket.destroy();
  }
}
