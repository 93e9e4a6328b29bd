/**
 * The admin server of one process (agent or hub): the JSON API under `/api/`, the event stream at
 * `/api/events` (WebSocket), `/metrics`, and the status page at `/`. Every `/api/` request and
 * the stream need the token (`Authorization: Bearer <token>`; the stream also takes `?token=`, as a
 * browser's WebSocket cannot set headers); `/metrics` too unless `metricsOpen`. A source that
 * presented too many wrong tokens gets 429 for the rest of the minute. It listens on each address
 * of `listen` (127.0.0.1 by default: docs in the README "Admin API").
 */
import { componentLogger, type Clock, type Logger } from '../core/index.js';
import { startAdminHttpServer, type AdminHttpRequest, type AdminHttpServer, type HttpReply, type HttpRequestInfo, type SocketAddress, type UpgradeDecision } from '../net/index.js';
import { FailureLimiter, presentedToken, tokensEqual } from './auth.js';
import { AdminRequestError } from './errors.js';
import { queryTopics, streamClient } from './event-stream.js';
import type { AdminEvents } from './events.js';
import type { AdminMetrics } from './metrics.js';
import type { PageFile } from './pages.js';
import type { AdminRouter } from './router.js';

export interface AdminServerOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Addresses to listen on (each a listener); port 0 picks a free one (the first's, then the same). */
  readonly listen: readonly string[];
  readonly port: number;
  readonly token: string;
  readonly router: AdminRouter;
  readonly events: AdminEvents;
  readonly metrics: AdminMetrics;
  /** `/metrics` without the token (a scraper on this machine). */
  readonly metricsOpen?: boolean;
  readonly pages?: ReadonlyMap<string, PageFile>;
  /** Wrong tokens per source per minute before 429; default 10. */
  readonly maxFailures?: number;
}

const PAGE_POLICY = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'";

const JSON_TYPE = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' };

function json(status: number, value: unknown, headers: Record<string, string> = {}): HttpReply {
  return { status, headers: { ...JSON_TYPE, ...headers }, body: Buffer.from(`${JSON.stringify(value)}\n`) };
}

function errorReply(status: number, message: string, field?: string, headers: Record<string, string> = {}): HttpReply {
  return json(status, { error: { status, message, ...(field === undefined ? {} : { field }) } }, headers);
}

export class AdminServer {
  readonly #o: AdminServerOptions;
  readonly #log: Logger;
  readonly #limiter: FailureLimiter;
  #servers: AdminHttpServer[] = [];
  #closed: Promise<void> | undefined;

  private constructor(o: AdminServerOptions) {
    this.#o = o;
    this.#log = componentLogger(o.logger, 'admin');
    this.#limiter = new FailureLimiter({ clock: o.clock, ...(o.maxFailures === undefined ? {} : { maxFailures: o.maxFailures }) });
  }

  /** Binds every listen address; a failure closes the ones bound and rethrows. */
  static async start(o: AdminServerOptions, bind: (address: string, port: number, open: () => Promise<AdminHttpServer>) => Promise<AdminHttpServer> = (_a, _p, open) => open()): Promise<AdminServer> {
    const server = new AdminServer(o);
    try {
      let port = o.port;
      for (const address of o.listen) {
        const s = await bind(address, port, () => startAdminHttpServer({
          host: address,
          port,
          handler: (r) => server.handle(r),
          upgrade: (r) => server.upgrade(r),
          onError: (error) => server.#log.error({ err: error }, 'admin request failed'),
        }));
        server.#servers.push(s);
        port = s.local.port;
      }
      return server;
    } catch (error) {
      await server.close();
      throw error;
    }
  }

  get addresses(): readonly SocketAddress[] {
    return this.#servers.map((s) => s.local);
  }

  /** 429 for a source past its wrong tokens, 401 for a missing or wrong token, else undefined. */
  #refusal(r: HttpRequestInfo, query: URLSearchParams | undefined): HttpReply | undefined {
    const source = r.remote.address;
    if (this.#limiter.blocked(source)) {
      return errorReply(429, 'too many wrong tokens from this address; wait and try again', undefined, { 'Retry-After': String(this.#limiter.retryAfterSeconds(source)) });
    }
    const token = presentedToken(r.headers['authorization'], query);
    if (token !== undefined && tokensEqual(this.#o.token, token)) return undefined;
    this.#limiter.fail(source);
    this.#log.warn({ source, given: token !== undefined }, 'admin request with a wrong or missing token');
    return errorReply(401, token === undefined ? 'this needs the admin token (Authorization: Bearer <token>)' : 'wrong admin token', undefined, { 'WWW-Authenticate': 'Bearer realm="sbc-agent"' });
  }

  async handle(r: AdminHttpRequest): Promise<HttpReply> {
    const url = new URL(r.target, 'http://admin.invalid');
    const path = url.pathname;
    if (path === '/metrics') {
      if (r.method !== 'GET' && r.method !== 'HEAD') return errorReply(405, 'use GET', undefined, { Allow: 'GET' });
      const refused = this.#o.metricsOpen === true ? undefined : this.#refusal(r, undefined);
      if (refused !== undefined) return refused;
      return { status: 200, headers: { 'Content-Type': this.#o.metrics.contentType }, body: Buffer.from(await this.#o.metrics.text()) };
    }
    if (!path.startsWith('/api/')) {
      const page = this.#o.pages?.get(path);
      if (page === undefined) return errorReply(404, `no such page: ${path}`);
      if (r.method !== 'GET' && r.method !== 'HEAD') return errorReply(405, 'use GET', undefined, { Allow: 'GET' });
      // The pages load only their own files and talk only to this server (the QR code is inline SVG).
      return { status: 200, headers: { 'Content-Type': page.type, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': PAGE_POLICY, 'X-Frame-Options': 'DENY' }, body: page.body };
    }
    const refused = this.#refusal(r, undefined);
    if (refused !== undefined) return refused;
    try {
      const result = await this.#o.router.handle(r.method, path, url.searchParams, r.body);
      if (result.binary !== undefined) return { status: result.status ?? 200, headers: { 'Content-Type': result.binary.type }, body: result.binary.body };
      return json(result.status ?? 200, result.json, 'allow' in result && result.allow !== undefined ? { Allow: result.allow } : {});
    } catch (error) {
      if (error instanceof AdminRequestError) return errorReply(error.status, error.message, error.field);
      throw error;
    }
  }

  upgrade(r: HttpRequestInfo): UpgradeDecision {
    const url = new URL(r.target, 'http://admin.invalid');
    if (url.pathname !== '/api/events') return { refuse: 404 };
    const refused = this.#refusal(r, url.searchParams);
    if (refused !== undefined) return { refuse: refused.status };
    const topics = queryTopics(url.searchParams);
    if (typeof topics === 'string') return { refuse: 400 };
    return { accept: (socket) => streamClient(this.#o.events, socket, topics) };
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      await Promise.all(this.#servers.map((s) => s.close()));
    })();
    return this.#closed;
  }
}
