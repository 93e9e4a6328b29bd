/**
 * An HTTPS server for small JSON APIs (the hub's enrollment endpoint). The request body is
 * limited before it is buffered (413 beyond `maxBodyBytes`); the handler sees plain values and
 * returns a status and a JSON-serializable body. The certificate chain (server certificate then
 * CA) is sent whole, so a client can pin the CA by fingerprint.
 */
import { createServer, type Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import { listenTracked, readBoundedBody } from './http-listen.js';
import type { SocketAddress } from './types.js';

export interface HttpsJsonRequest {
  readonly method: string;
  readonly path: string;
  readonly remoteAddress: string;
  readonly host: string | undefined;
  readonly body: Buffer;
}

export interface HttpsJsonResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HttpsJsonServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly key: string;
  /** PEM chain: the server certificate first, then its CA. */
  readonly cert: string;
  readonly maxBodyBytes: number;
  readonly handler: (request: HttpsJsonRequest) => Promise<HttpsJsonResponse>;
  /** Called when the handler throws; the client then gets 500. */
  readonly onError?: (error: unknown) => void;
}

export interface HttpsJsonServer {
  readonly local: SocketAddress;
  /** Stops listening and ends open connections; idempotent. */
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

export async function listenHttpsJson(options: HttpsJsonServerOptions): Promise<HttpsJsonServer> {
  const server: Server = createServer(
    { key: options.key, cert: options.cert, minVersion: 'TLSv1.2', requestTimeout: 30_000, headersTimeout: 10_000 },
    (req, res) => {
      void (async () => {
        const body = await readBoundedBody(req, options.maxBodyBytes);
        if (body === undefined) {
          send(res, 413, { error: { code: 'bad_request', message: `request body larger than ${options.maxBodyBytes} bytes` } }, { connection: 'close' });
          return;
        }
        const reply = await options.handler({
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          remoteAddress: req.socket.remoteAddress ?? '',
          host: req.headers.host,
          body,
        });
        send(res, reply.status, reply.body, reply.headers);
      })().catch((error: unknown) => {
        options.onError?.(error);
        if (!res.headersSent) send(res, 500, { error: { code: 'internal', message: 'internal error' } });
        else res.destroy();
      });
    },
  );
  // After listening, a server error (EMFILE...) is reported, never an uncaught exception.
  return listenTracked(server, options.host, options.port, { badRequest400: false, ...(options.onError === undefined ? {} : { onError: options.onError }) });
}
