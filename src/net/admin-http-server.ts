/**
 * The HTTP/1.1 listener of the admin API (src/admin): JSON requests with a bounded body, and
 * WebSocket upgrades for the event stream. The handler sees plain values (method, target, headers,
 * body, addresses) and returns a reply; an upgrade is offered to `upgrade`, which accepts it by
 * returning a handler for the socket's text messages, or refuses it with an HTTP status. Bodies
 * above `maxBodyBytes` are answered 413 before they are buffered (docs/STYLE.md rule 3).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { listenTracked, readBoundedBody, socketAddressOf } from './http-listen.js';
import type { HttpReply, HttpRequestInfo } from './http-server.js';
import type { SocketAddress } from './types.js';

export interface AdminHttpRequest extends HttpRequestInfo {
  readonly body: Buffer;
}

/** One accepted WebSocket, as the admin code sees it. */
export interface TextSocket {
  send(text: string): void;
  close(code?: number, reason?: string): void;
  /** Bytes queued and not yet written: a slow reader is dropped above a limit. */
  readonly buffered: number;
}

export interface TextSocketHandler {
  onMessage(text: string): void;
  onClose(): void;
}

export type UpgradeDecision =
  | { readonly accept: (socket: TextSocket) => TextSocketHandler }
  | { readonly refuse: number };

export interface AdminHttpServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly handler: (request: AdminHttpRequest) => Promise<HttpReply>;
  readonly upgrade: (request: HttpRequestInfo) => UpgradeDecision;
  readonly maxBodyBytes?: number;
  readonly onError?: (error: unknown) => void;
}

export interface AdminHttpServer {
  readonly local: SocketAddress;
  close(): Promise<void>;
}

const STATUS_TEXT: Readonly<Record<number, string>> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests' };

function infoOf(req: IncomingMessage): HttpRequestInfo {
  return {
    method: req.method ?? 'GET',
    target: req.url ?? '/',
    headers: req.headers,
    remote: socketAddressOf(req.socket.remoteAddress, req.socket.remotePort),
    local: socketAddressOf(req.socket.localAddress, req.socket.localPort),
  };
}

function reply(res: ServerResponse, r: HttpReply, head: boolean): void {
  const body = r.body ?? Buffer.alloc(0);
  res.writeHead(r.status, { ...r.headers, 'Content-Length': String(body.length) });
  res.end(head ? undefined : body);
}

function wrap(ws: WebSocket): TextSocket {
  return {
    send: (text) => ws.send(text),
    close: (code, reason) => ws.close(code, reason),
    get buffered() {
      return ws.bufferedAmount;
    },
  };
}

export function startAdminHttpServer(options: AdminHttpServerOptions): Promise<AdminHttpServer> {
  const maxBody = options.maxBodyBytes ?? 64 * 1024;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const info = infoOf(req);
    readBoundedBody(req, maxBody)
      .then(async (body) => {
        if (body === undefined) return reply(res.setHeader('Connection', 'close'), { status: 413 }, false);
        return reply(res, await options.handler({ ...info, body }), info.method === 'HEAD');
      })
      .catch((error: unknown) => {
        options.onError?.(error);
        if (!res.headersSent) reply(res, { status: 500 }, false);
        else res.destroy();
      });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const decision = options.upgrade(infoOf(req));
    if ('refuse' in decision) {
      socket.end(`HTTP/1.1 ${decision.refuse} ${STATUS_TEXT[decision.refuse] ?? 'Refused'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const handler = decision.accept(wrap(ws));
      ws.on('message', (data, isBinary) => {
        if (!isBinary) handler.onMessage(Buffer.isBuffer(data) ? data.toString('utf8') : String(data));
      });
      ws.on('close', () => handler.onClose());
      ws.on('error', () => ws.terminate());
    });
  });
  return listenTracked(server, options.host, options.port, {
    beforeClose: () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  });
}
