/**
 * The WSS carriage of the tunnel (src/tunnel/PROTOCOL.md "Carriage"): the same frames in binary
 * WebSocket messages over HTTPS (port 443 by default), for networks that pass only HTTPS. Same
 * TLS 1.3 settings and client certificates as the TLS carriage. A text message is a protocol
 * violation: the carriage is dropped.
 */
import { createServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { TunnelCarriage, TunnelPeer } from './tunnel-carriage.js';
import { DEFAULT_TUNNEL_WSS_PORT, clientSecureContext, peerOf, type TunnelCredentials } from './tunnel-socket.js';
import { hubTlsOptions, listenServerOn, type TunnelListener } from './tunnel-tls.js';

export const TUNNEL_WSS_PATH = '/tunnel';
/** Bytes buffered in the WebSocket before write() reports backpressure. */
const HIGH_WATER = 65_536;
/** A carriage write is one batch of frames: well under this. */
const MAX_MESSAGE = 4 * 1024 * 1024;

class WsCarriage implements TunnelCarriage {
  readonly peer: TunnelPeer;
  readonly #ws: WebSocket;
  #blocked = false;
  #drain: () => void = () => {};
  #close: (error: Error | undefined) => void = () => {};
  #error: Error | undefined;

  constructor(ws: WebSocket, peer: TunnelPeer) {
    this.#ws = ws;
    this.peer = peer;
    ws.on('error', (error) => {
      this.#error = error;
    });
    ws.on('close', () => this.#close(this.#error));
  }

  write(data: Buffer): boolean {
    if (this.#ws.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(data, { binary: true }, () => {
      if (this.#blocked && this.#ws.bufferedAmount < HIGH_WATER) {
        this.#blocked = false;
        this.#drain();
      }
    });
    this.#blocked = this.#ws.bufferedAmount >= HIGH_WATER;
    return !this.#blocked;
  }

  onData(handler: (chunk: Buffer) => void): void {
    this.#ws.removeAllListeners('message');
    this.#ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary || !Buffer.isBuffer(data)) {
        this.#error = new Error('text message on the tunnel');
        this.#ws.terminate();
        return;
      }
      handler(data);
    });
  }

  onDrain(handler: () => void): void {
    this.#drain = handler;
  }

  onClose(handler: (error: Error | undefined) => void): void {
    this.#close = handler;
  }

  close(): void {
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) this.#ws.close(1000);
    setTimeout(() => this.#ws.terminate(), 2000).unref();
  }

  abort(): void {
    this.#ws.terminate();
  }
}

export interface TunnelWssListenOptions extends TunnelCredentials {
  readonly host: string;
  /** Default 443; 0 picks a free port. */
  readonly port?: number;
  readonly onCarriage: (carriage: TunnelCarriage) => void;
  readonly onHandshakeError?: (error: Error, remoteAddress: string) => void;
  /** The WebSocket path; default /tunnel. */
  readonly path?: string;
}

export async function listenTunnelWss(options: TunnelWssListenOptions): Promise<TunnelListener> {
  const https = createServer(hubTlsOptions(options), (_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket upgrade required\n');
  });
  https.on('tlsClientError', (error, socket) => options.onHandshakeError?.(error, socket.remoteAddress ?? ''));
  const wss = new WebSocketServer({ server: https, path: options.path ?? TUNNEL_WSS_PATH, perMessageDeflate: false, maxPayload: MAX_MESSAGE });
  // ws re-emits the HTTPS server's errors (EADDRINUSE, EACCES on 443) on the WebSocketServer; without
  // a listener that would crash the process. The same error rejects listenServerOn below.
  wss.on('error', () => {});
  wss.on('connection', (ws, req) => {
    options.onCarriage(new WsCarriage(ws, peerOf(req.socket as TLSSocket, 'wss')));
  });
  const listener = await listenServerOn(https, options.host, options.port ?? DEFAULT_TUNNEL_WSS_PORT);
  return {
    address: listener.address,
    port: listener.port,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await listener.close();
    },
  };
}

export interface TunnelWssConnectOptions extends TunnelCredentials {
  /** wss://host:port/tunnel */
  readonly url: string;
  readonly timeoutMs?: number;
  readonly checkServerIdentity?: (host: string, cert: unknown) => Error | undefined;
}

export function tunnelWssUrl(host: string, port = DEFAULT_TUNNEL_WSS_PORT, path = TUNNEL_WSS_PATH): string {
  return `wss://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
}

export function connectTunnelWss(options: TunnelWssConnectOptions): Promise<TunnelCarriage> {
  return new Promise((resolve, reject) => {
    // ws hands its options to tls.connect (secureContext is not in its typings, hence the spread).
    const context = { secureContext: clientSecureContext(options) };
    const ws = new WebSocket(options.url, {
      ...context,
      minVersion: 'TLSv1.3',
      rejectUnauthorized: true,
      // ws hands this to tls.connect, which expects Node's signature (Error | undefined), not the
      // boolean one in ws's typings.
      checkServerIdentity: (options.checkServerIdentity ?? (() => undefined)) as unknown as () => boolean,
      perMessageDeflate: false,
      maxPayload: MAX_MESSAGE,
      handshakeTimeout: options.timeoutMs ?? 10_000,
    });
    let peer: TunnelPeer | undefined;
    ws.once('upgrade', (response) => {
      peer = peerOf(response.socket as TLSSocket, 'wss');
    });
    ws.once('error', (error) => {
      ws.terminate();
      reject(error);
    });
    ws.once('open', () => {
      ws.removeAllListeners('error');
      if (peer === undefined) {
        ws.terminate();
        reject(new Error('WSS tunnel opened without a TLS peer'));
        return;
      }
      resolve(new WsCarriage(ws, peer));
    });
  });
}
