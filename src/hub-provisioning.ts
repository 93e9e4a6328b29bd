/**
 * The hub's provisioning service (PROTOCOL.md "Stream protocols", `provisioning/1`): an agent's
 * relay asks for a file over a tunnel stream, the hub fetches it from the PBX's provisioning server
 * (`hub.provisioning.upstream`) and answers a header then the body. So a branch phone is provisioned
 * without the provisioning server being reachable from the branch, whether or not the hub carries
 * calls (`hub.pbx`).
 *
 *   const tunnel = hubTunnelService({ ... });
 *   hub.add(tunnel);
 *   hub.add(hubProvisioningService({ streams: tunnel.streams, config: config.hub.provisioning, clock, logger,
 *     sbcName: (s) => tunnel.sbcName(s) }));
 *
 * The hub trusts nothing of the request: the path is checked again (checkFetchRequest: no
 * traversal, no absolute URL), each agent has at most `maxPerAgent` fetches at once (more are
 * answered 503), a file above `maxBytes` is answered 502 and an upstream slower than `timeoutMs`
 * 504. Without an upstream every fetch is answered 404, so the agent's relay answers 404 at once.
 */
import { componentLogger, describeError, type Clock, type Logger, type Timer } from './core/index.js';
import type { HubProvisioningConfig } from './config/index.js';
import type { HubService } from './hub.js';
import {
  FetchStatus,
  PROVISIONING_STREAM_LABEL,
  checkFetchRequest,
  decodeFetchRequest,
  encodeFetchHeader,
  httpUpstream,
  type FetchRequest,
  type UpstreamFetcher,
  type UpstreamResult,
} from './pnp/index.js';
import type { StreamDispatcher, TunnelSession, TunnelStream } from './tunnel/index.js';

export const DEFAULT_FETCHES_PER_AGENT = 8;

export interface HubProvisioningOptions {
  /** The hub's stream dispatcher (hubTunnelService().streams). */
  readonly streams: StreamDispatcher;
  readonly config: HubProvisioningConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Instead of httpUpstream(config.upstream) (tests). */
  readonly upstream?: UpstreamFetcher;
  /** Fetches one agent may have running at once; default 8. */
  readonly maxPerAgent?: number;
  /** The SBC's name for the log (hubTunnelService().sbcName); default the session's identity. */
  readonly sbcName?: (session: TunnelSession) => string;
}

export interface HubProvisioningStats {
  /** Requests read, whatever their answer. */
  requests: number;
  /** Answered with the upstream's own status. */
  forwarded: number;
  /** Refused by the path check (400). */
  badPath: number;
  /** Refused because the agent had too many fetches running (503). */
  busy: number;
  /** Upstream failures and oversized files (502), and timeouts (504). */
  upstreamErrors: number;
  timeouts: number;
  /** Streams reset: malformed request, no request in time, or the service closed. */
  reset: number;
  /** Fetches running now. */
  active: number;
}

export interface HubProvisioningService extends HubService {
  stats(): HubProvisioningStats;
}

class TimeoutError extends Error {}

class HubProvisioning implements HubProvisioningService {
  readonly name = 'provisioning';
  readonly #o: HubProvisioningOptions;
  readonly #log: Logger;
  readonly #upstream: UpstreamFetcher | undefined;
  readonly #maxPerAgent: number;
  readonly #perAgent = new Map<string, number>();
  readonly #open = new Set<TunnelStream>();
  readonly #stats: HubProvisioningStats = { requests: 0, forwarded: 0, badPath: 0, busy: 0, upstreamErrors: 0, timeouts: 0, reset: 0, active: 0 };
  #unregister: (() => void) | undefined;
  #closed = false;

  constructor(o: HubProvisioningOptions) {
    this.#o = o;
    this.#log = componentLogger(o.logger, 'provisioning');
    const c = o.config;
    this.#upstream = o.upstream ?? (c.upstream === undefined ? undefined : httpUpstream(c.upstream, { insecure: c.insecure, maxBodyBytes: c.maxBytes, timeoutMs: c.timeoutMs }));
    this.#maxPerAgent = o.maxPerAgent ?? DEFAULT_FETCHES_PER_AGENT;
  }

  async start(): Promise<void> {
    if (this.#closed || this.#unregister !== undefined) return;
    this.#unregister = this.#o.streams.register(PROVISIONING_STREAM_LABEL, (stream, session) => this.#serve(stream, session));
    if (this.#upstream === undefined) this.#log.info('no hub.provisioning.upstream: provisioning fetches are answered 404');
  }

  stats(): HubProvisioningStats {
    return { ...this.#stats, active: this.#open.size };
  }

  /** One fetch: read the request (one message, then FIN), answer, FIN. */
  #serve(stream: TunnelStream, session: TunnelSession): void {
    const sbc = this.#o.sbcName?.(session) ?? (session.peerIdentity || 'unknown');
    const key = session.peerIdentity;
    let request: Buffer | undefined;
    const abandon = (why: string): void => {
      timer.cancel();
      this.#stats.reset++;
      this.#log.warn({ sbc, stream: stream.id, why }, 'provisioning stream reset');
      stream.reset();
    };
    // The request follows the label at once; a stream that sends nothing is not kept.
    const timer: Timer = this.#o.clock.setTimeout(() => abandon('no request in time'), this.#o.config.timeoutMs);
    this.#open.add(stream);
    const running = (this.#perAgent.get(key) ?? 0) + 1;
    this.#perAgent.set(key, running);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.#open.delete(stream);
      const left = (this.#perAgent.get(key) ?? 1) - 1;
      if (left > 0) this.#perAgent.set(key, left);
      else this.#perAgent.delete(key);
    };
    stream.on('close', () => {
      timer.cancel();
      release();
    });
    stream.on('data', (payload) => {
      if (request !== undefined) return abandon('more than one request message');
      request = payload;
    });
    stream.on('end', () => {
      timer.cancel();
      if (request === undefined) return abandon('FIN without a request');
      let parsed: FetchRequest;
      try {
        parsed = decodeFetchRequest(request);
      } catch (error) {
        return abandon(describeError(error));
      }
      this.#stats.requests++;
      if (running > this.#maxPerAgent) {
        this.#stats.busy++;
        this.#log.warn({ sbc, mac: parsed.mac, path: parsed.path, running, status: FetchStatus.BUSY }, 'provisioning fetch refused: too many at once for this SBC');
        return this.#reply(stream, release, FetchStatus.BUSY, undefined, Buffer.alloc(0));
      }
      this.#answer(stream, release, sbc, parsed).catch((error: unknown) => {
        this.#log.error({ sbc, path: parsed.path, err: error }, 'provisioning fetch failed; stream reset');
        release();
        stream.reset();
      });
    });
  }

  async #answer(stream: TunnelStream, release: () => void, sbc: string, request: FetchRequest): Promise<void> {
    const started = this.#o.clock.now();
    const log = (status: number, extra: Record<string, unknown> = {}): void =>
      this.#log.info({ sbc, mac: request.mac, path: request.path, status, ms: Math.round(this.#o.clock.now() - started), ...extra }, 'provisioning fetch');
    const checked = checkFetchRequest(request);
    if (!checked.ok) {
      this.#stats.badPath++;
      this.#log.warn({ sbc, mac: request.mac, path: request.path.slice(0, 200), reason: checked.reason, status: FetchStatus.BAD_REQUEST }, 'provisioning fetch refused: bad path');
      return this.#reply(stream, release, FetchStatus.BAD_REQUEST, undefined, Buffer.alloc(0));
    }
    const upstream = this.#upstream;
    if (upstream === undefined) {
      log(FetchStatus.NOT_FOUND, { reason: 'no upstream configured' });
      return this.#reply(stream, release, FetchStatus.NOT_FOUND, undefined, Buffer.alloc(0));
    }
    let result: UpstreamResult;
    try {
      result = await this.#withTimeout(upstream.fetch(checked.path, checked.query, request.mac === undefined ? {} : { mac: request.mac }));
    } catch (error) {
      const timedOut = error instanceof TimeoutError;
      const status = timedOut ? FetchStatus.GATEWAY_TIMEOUT : FetchStatus.BAD_GATEWAY;
      if (timedOut) this.#stats.timeouts++;
      else this.#stats.upstreamErrors++;
      log(status, { err: describeError(error) });
      return this.#reply(stream, release, status, undefined, Buffer.alloc(0));
    }
    if (stream.closed) {
      log(result.status, { reason: 'the agent gave up before the answer' });
      return release();
    }
    if (result.body.length > this.#o.config.maxBytes) {
      this.#stats.upstreamErrors++;
      log(FetchStatus.BAD_GATEWAY, { reason: `file of ${result.body.length} bytes, above hub.provisioning.maxBytes` });
      return this.#reply(stream, release, FetchStatus.BAD_GATEWAY, undefined, Buffer.alloc(0));
    }
    const status = Number.isInteger(result.status) && result.status >= 100 && result.status <= 599 ? result.status : FetchStatus.BAD_GATEWAY;
    this.#stats.forwarded++;
    log(status, { bytes: result.body.length });
    const contentType = result.contentType !== undefined && result.contentType.length <= 256 ? result.contentType : undefined;
    this.#reply(stream, release, status, contentType, result.body);
  }

  /** The upstream's own timeout is per socket inactivity; this bounds the whole fetch. */
  #withTimeout<T>(promise: Promise<T>): Promise<T> {
    const ms = this.#o.config.timeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = this.#o.clock.setTimeout(() => reject(new TimeoutError(`no answer from the upstream within ${ms} ms`)), ms);
      promise.then(
        (value) => {
          timer.cancel();
          resolve(value);
        },
        (error: unknown) => {
          timer.cancel();
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /** The header, the body (the stream splits it into frames), FIN. */
  #reply(stream: TunnelStream, release: () => void, status: number, contentType: string | undefined, body: Buffer): void {
    release();
    if (stream.closed) return;
    stream.write(encodeFetchHeader({ status, ...(contentType === undefined ? {} : { contentType }), length: body.length }));
    if (body.length > 0) stream.write(body);
    stream.end();
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#unregister?.();
    for (const stream of [...this.#open]) {
      this.#stats.reset++;
      stream.reset();
    }
    return Promise.resolve();
  }
}

/** The provisioning fetches of the hub's agents; `hub.add()` it after the tunnel service. */
export function hubProvisioningService(options: HubProvisioningOptions): HubProvisioningService {
  return new HubProvisioning(options);
}
