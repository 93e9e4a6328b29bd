/**
 * The provisioning relay: the URL handed to phones points here. Each request is checked (path,
 * approval), fetched once from the upstream (the PBX's provisioning server, directly over
 * HTTP(S), or through the tunnel to the hub: `UpstreamFetcher` is injected), cached, and served
 * with the registrar rewritten to the agent's address on the phone's LAN.
 *
 * Single flight: concurrent requests for the same file share one upstream fetch, so a reboot
 * wave of 50 phones costs the WAN one fetch per file.
 */
import { describeError, type Clock, type Logger } from '../core/index.js';
import type { HttpReply, HttpRequestInfo } from '../net/index.js';
import type { PhoneInbox } from './inbox.js';
import type { PhoneRecord } from './inbox-file.js';
import { checkRequestPath, macsInPath } from './relay-path.js';
import { substitute, VENDOR_RULES, type SubstitutionRule } from './substitute.js';

export interface UpstreamResult {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

/** Who a fetch is for, as far as the relay knows: for the upstream's log (the hub names the phone). */
export interface FetchContext {
  /** The MAC of the phone that asked first (later askers share the fetch). */
  readonly mac?: string;
}

/** Where files come from: the PBX's provisioning server, the tunnel, or a local template folder. */
export interface UpstreamFetcher {
  /** `path` is relative (no leading "/"), `query` empty or starting with "?". Rejects on network failure. */
  fetch(path: string, query: string, context?: FetchContext): Promise<UpstreamResult>;
}

export interface RelayOptions {
  readonly upstream: UpstreamFetcher;
  readonly inbox: PhoneInbox;
  readonly clock: Clock;
  readonly log: Logger;
  readonly cacheTtlMs?: number;
  readonly maxCacheBytes?: number;
  /** Rules that put the agent's address in place of the registrar; default VENDOR_RULES. */
  readonly rules?: readonly SubstitutionRule[];
  /** Set when the files are local templates: `{{mac}}`, `{{extension}}`, `{{agent}}`, `{{sip_port}}` are filled in. */
  readonly templates?: boolean;
  readonly sipPort?: number;
}

export interface RelayStats {
  requests: number;
  badRequests: number;
  forbidden: number;
  upstreamFetches: number;
  cacheHits: number;
  upstreamErrors: number;
}

interface CacheEntry {
  readonly result: UpstreamResult;
  readonly expires: number;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  cfg: 'text/plain', txt: 'text/plain', xml: 'application/xml', htm: 'text/html', html: 'text/html',
  rom: 'application/octet-stream', bin: 'application/octet-stream', zip: 'application/zip',
};

export class ProvisioningRelay {
  readonly #o: RelayOptions;
  readonly #ttl: number;
  readonly #maxBytes: number;
  readonly #cache = new Map<string, CacheEntry>();
  #cacheBytes = 0;
  readonly #inflight = new Map<string, Promise<UpstreamResult>>();
  readonly stats: RelayStats = { requests: 0, badRequests: 0, forbidden: 0, upstreamFetches: 0, cacheHits: 0, upstreamErrors: 0 };

  constructor(options: RelayOptions) {
    this.#o = options;
    this.#ttl = options.cacheTtlMs ?? 300_000;
    this.#maxBytes = options.maxCacheBytes ?? 128 * 1024 * 1024;
  }

  async handle(request: HttpRequestInfo): Promise<HttpReply> {
    this.stats.requests++;
    if (request.method !== 'GET' && request.method !== 'HEAD') return { status: 405, headers: { Allow: 'GET, HEAD' } };
    const checked = checkRequestPath(request.target);
    if (!checked.ok) {
      this.stats.badRequests++;
      this.#o.log.warn({ from: request.remote.address, reason: checked.reason }, 'provisioning request refused (400)');
      return { status: 400 };
    }
    const phone = this.#authorise(checked.path, request.remote.address);
    if (phone === 'forbidden') {
      this.stats.forbidden++;
      this.#o.log.info({ from: request.remote.address, path: checked.path }, 'provisioning request from a phone not approved (403)');
      return { status: 403 };
    }
    let result: UpstreamResult;
    try {
      result = await this.#get(checked.path, checked.query, phone?.mac === undefined ? {} : { mac: phone.mac });
    } catch (error) {
      this.stats.upstreamErrors++;
      this.#o.log.warn({ path: checked.path, err: describeError(error) }, 'provisioning upstream failed (502)');
      return { status: 502 };
    }
    if (result.status !== 200) return { status: result.status === 404 ? 404 : 502 };
    let body = result.body;
    // A template names the agent itself ({{agent}}); a file from the PBX names the PBX.
    if (this.#o.templates === true) body = this.#render(body, phone, request.local.address);
    else body = substitute(body, this.#o.rules ?? VENDOR_RULES, request.local.address).body;
    const ext = /\.([a-z0-9]+)$/i.exec(checked.path)?.[1]?.toLowerCase() ?? '';
    return { status: 200, headers: { 'Content-Type': result.contentType ?? CONTENT_TYPES[ext] ?? 'application/octet-stream', 'Cache-Control': 'no-store' }, body };
  }

  /** Who asks: the MAC in the path, else the phone last seen at the source address. */
  #authorise(path: string, source: string): PhoneRecord | undefined | 'forbidden' {
    const auto = this.#o.inbox.policy === 'auto';
    const macs = macsInPath(path);
    if (macs.length > 0) {
      for (const mac of macs) {
        const p = this.#o.inbox.get(mac);
        if (p?.state === 'approved') return p;
        if (p?.state === 'rejected' || !auto) return 'forbidden';
      }
      return undefined;
    }
    const p = this.#o.inbox.findByIp(source);
    if (p?.state === 'approved') return p;
    if (p?.state === 'rejected' || !auto) return 'forbidden';
    return undefined;
  }

  #get(path: string, query: string, context: FetchContext): Promise<UpstreamResult> {
    const key = `${path}${query}`;
    const hit = this.#cache.get(key);
    if (hit !== undefined && hit.expires > this.#o.clock.now()) {
      this.stats.cacheHits++;
      return Promise.resolve(hit.result);
    }
    const running = this.#inflight.get(key);
    if (running !== undefined) {
      this.stats.cacheHits++;
      return running;
    }
    this.stats.upstreamFetches++;
    const p = this.#o.upstream.fetch(path, query, context).then(
      (result) => {
        this.#inflight.delete(key);
        if (result.status === 200) this.#store(key, result);
        return result;
      },
      (error: unknown) => {
        this.#inflight.delete(key);
        throw error;
      },
    );
    this.#inflight.set(key, p);
    return p;
  }

  #store(key: string, result: UpstreamResult): void {
    if (result.body.length > this.#maxBytes / 4) return;
    const old = this.#cache.get(key);
    if (old !== undefined) {
      this.#cacheBytes -= old.result.body.length;
      this.#cache.delete(key);
    }
    // Map order is insertion order: the first entries are the oldest, evicted first.
    for (const [k, e] of this.#cache) {
      if (this.#cacheBytes + result.body.length <= this.#maxBytes) break;
      this.#cache.delete(k);
      this.#cacheBytes -= e.result.body.length;
    }
    this.#cache.set(key, { result, expires: this.#o.clock.now() + this.#ttl });
    this.#cacheBytes += result.body.length;
  }

  #render(body: Buffer, phone: PhoneRecord | undefined, agent: string): Buffer {
    if (body.includes(0)) return body;
    const values: Record<string, string> = {
      mac: phone?.mac ?? '', extension: phone?.extension ?? '', agent, sip_port: String(this.#o.sipPort ?? 5060),
    };
    return Buffer.from(body.toString('utf8').replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (m: string, name: string) => values[name] ?? m), 'utf8');
  }
}
