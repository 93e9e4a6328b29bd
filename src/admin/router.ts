/**
 * The admin API's route table: `GET /api/phones`, `POST /api/phones/:mac/:action`... A path that
 * matches no route is 404; a path that matches with another method is 405 with `Allow`. Handlers
 * return a JSON value or throw an AdminRequestError; the body is parsed as JSON only when asked.
 */
import { AdminRequestError } from './errors.js';

export type Method = 'GET' | 'POST' | 'DELETE';

export interface RouteContext {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The request body parsed as a JSON object ({} when empty); 400 naming `body` when it is not one. */
  json(): Record<string, unknown>;
}

export interface RouteResult {
  readonly status?: number;
  readonly json: unknown;
  /** Bytes sent instead of `json` (a pcap file), with their media type. */
  readonly binary?: { readonly type: string; readonly body: Buffer };
}

export type RouteHandler = (ctx: RouteContext) => Promise<RouteResult> | RouteResult;

export interface Route {
  readonly method: Method;
  /** Segments; `:name` captures one segment. */
  readonly path: string;
  readonly handler: RouteHandler;
}

function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, w] of want.entries()) {
    const g = got[i] ?? '';
    if (w.startsWith(':')) {
      if (g === '') return undefined;
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return undefined;
      }
    } else if (w !== g) return undefined;
  }
  return params;
}

export function parseJsonObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AdminRequestError(400, 'body: not valid JSON', 'body');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AdminRequestError(400, 'body: must be a JSON object', 'body');
  return value as Record<string, unknown>;
}

export class AdminRouter {
  readonly #routes: Route[] = [];

  add(method: Method, path: string, handler: RouteHandler): this {
    this.#routes.push({ method, path, handler });
    return this;
  }

  get routes(): readonly Route[] {
    return this.#routes;
  }

  async handle(method: string, path: string, query: URLSearchParams, body: Buffer): Promise<RouteResult & { allow?: string }> {
    const allowed: string[] = [];
    for (const route of this.#routes) {
      const params = match(route.path, path);
      if (params === undefined) continue;
      if (route.method !== method && !(route.method === 'GET' && method === 'HEAD')) {
        allowed.push(route.method);
        continue;
      }
      let parsed: Record<string, unknown> | undefined;
      return route.handler({ params, query, json: () => (parsed ??= parseJsonObject(body)) });
    }
    if (allowed.length > 0) return { status: 405, json: { error: { status: 405, message: `${method} is not allowed on ${path}; use ${allowed.join(', ')}` } }, allow: allowed.join(', ') };
    return { status: 404, json: { error: { status: 404, message: `no such resource: ${path}` } } };
  }
}
