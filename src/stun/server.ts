/**
 * STUN server over injected sockets (RFC 8489 §6.3; RFC 5780 §6 with a second address and port).
 * UDP sockets sit on the RFC 5780 grid [ip][port]; a CHANGE-REQUEST is answered from the other
 * socket. TCP streams are answered on the same connection. Each source address gets a token
 * bucket on the injected clock; the table of buckets is bounded (lru-cache).
 */
import { LRUCache } from 'lru-cache';
import type { Clock, Logger } from '../core/index.js';
import type { TransportAddress } from './attributes.js';
import { StunStreamFramer } from './framer.js';
import { encodeStun } from './message.js';
import { isPlainBindingRequest, PlainBindingResponder } from './plain-binding.js';
import { StunResponder, type AddressGrid, type StunCredentials } from './responder.js';
import { formatEndpoint, type StunDatagramSocket, type StunStream } from './transport.js';

export interface StunRateLimit {
  /** Requests per second each source IP may send, sustained. */
  readonly perSecond: number;
  /** Bucket size: requests a source may send at once. */
  readonly burst: number;
  /** Most sources tracked at once; the least recently seen are forgotten first. */
  readonly maxSources?: number;
}

export interface StunServerOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Sockets and their RFC 5780 grid position (ip, port: 0 primary, 1 alternate). */
  readonly udp: readonly { readonly socket: StunDatagramSocket; readonly ip: 0 | 1; readonly port: 0 | 1 }[];
  readonly software?: string;
  readonly credentials?: StunCredentials;
  /** `false` turns the limit off (benchmarks). Default 50 per second, burst 100. */
  readonly rateLimit?: StunRateLimit | false;
}

export interface StunServerCounters {
  /** Datagrams and stream messages received. */
  received: number;
  /** Success responses sent. */
  success: number;
  /** Error responses sent, by code. */
  errors: Record<number, number>;
  /** Requests without the magic cookie answered the RFC 3489 way. */
  classic: number;
  /** Dropped: not STUN, or a bad FINGERPRINT. */
  malformed: number;
  /** Dropped: indications and responses. */
  ignored: number;
  /** Dropped by the per-source rate limit. */
  rateLimited: number;
}

export const DEFAULT_RATE_LIMIT: StunRateLimit = { perSecond: 50, burst: 100, maxSources: 10_000 };

interface Bucket {
  tokens: number;
  at: number;
}

export class StunServer {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #responder: StunResponder;
  /**
   * The fast path for Binding requests without attributes (plain-binding.ts): only without
   * credentials, and only where the answer has no RFC 5780 attributes (no alternate socket).
   */
  readonly #plain: PlainBindingResponder | undefined;
  readonly #plainOnGrid: boolean;
  readonly #sockets: (StunDatagramSocket | undefined)[][] = [[undefined, undefined], [undefined, undefined]];
  readonly #grid: AddressGrid;
  readonly #udp: StunServerOptions['udp'];
  readonly #limit: StunRateLimit | false;
  readonly #buckets: LRUCache<string, Bucket>;
  readonly #streams = new Set<StunStream>();
  readonly #counters: StunServerCounters = { received: 0, success: 0, errors: {}, classic: 0, malformed: 0, ignored: 0, rateLimited: 0 };
  #closed = false;

  constructor(options: StunServerOptions) {
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#responder = new StunResponder({ credentials: options.credentials, software: options.software });
    this.#udp = options.udp;
    const grid: [[TransportAddress | undefined, TransportAddress | undefined], [TransportAddress | undefined, TransportAddress | undefined]] = [
      [undefined, undefined],
      [undefined, undefined],
    ];
    for (const { socket, ip, port } of options.udp) {
      (this.#sockets[ip] ?? [])[port] = socket;
      grid[ip][port] = socket.local;
    }
    this.#grid = grid;
    this.#plain = options.credentials === undefined ? new PlainBindingResponder(options.software) : undefined;
    this.#plainOnGrid = grid[1][0] === undefined && grid[1][1] === undefined && grid[0][1] === undefined;
    this.#limit = options.rateLimit ?? DEFAULT_RATE_LIMIT;
    this.#buckets = new LRUCache({ max: this.#limit === false ? 1 : (this.#limit.maxSources ?? 10_000) });
  }

  /** Attaches to the UDP sockets given in the options. */
  start(): void {
    for (const { socket, ip, port } of this.#udp) {
      socket.onMessage((data, from) => this.#onDatagram(data, from, ip, port));
    }
  }

  /**
   * A STUN datagram that arrived on a socket the server does not own (the SIP port, after the
   * RFC 7983 demux): answered from that same socket, without RFC 5780 address changes.
   */
  handleDatagram(data: Buffer, from: TransportAddress, via: StunDatagramSocket): void {
    if (this.#closed) return;
    this.#counters.received++;
    if (!this.#allow(from)) return;
    if (this.#plain !== undefined && isPlainBindingRequest(data)) {
      this.#counters.success++;
      via.send(this.#plain.respond(data, from), from.port, from.address);
      return;
    }
    const decision = this.#responder.decide({ raw: data, source: from, transport: 'udp', ip: 0, port: 0, grid: [[via.local, undefined], [undefined, undefined]], now: this.#clock.now() });
    const out = this.#account(decision);
    if (out !== undefined) via.send(out.bytes, out.to.port, out.to.address);
  }

  /** Serves one accepted TCP connection until it closes (RFC 8489 §6.2.2). */
  handleStream(stream: StunStream): void {
    if (this.#closed) {
      stream.close();
      return;
    }
    this.#streams.add(stream);
    const framer = new StunStreamFramer();
    stream.onClose(() => this.#streams.delete(stream));
    stream.onData((chunk) => {
      let messages: Buffer[];
      try {
        messages = framer.push(chunk);
      } catch {
        // The stream cannot be resynchronised after a bad header.
        this.#counters.malformed++;
        stream.close();
        return;
      }
      for (const raw of messages) {
        this.#counters.received++;
        if (!this.#allow(stream.remote)) continue;
        const decision = this.#responder.decide({ raw, source: stream.remote, transport: 'tcp', ip: 0, port: 0, grid: [[stream.local, undefined], [undefined, undefined]], now: this.#clock.now() });
        const out = this.#account(decision);
        if (out !== undefined) stream.write(out.bytes);
      }
    });
  }

  /** A snapshot of the counters. */
  get counters(): StunServerCounters {
    return { ...this.#counters, errors: { ...this.#counters.errors } };
  }

  /** Stops answering and closes accepted streams; the UDP sockets belong to the caller. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const { socket } of this.#udp) socket.onMessage(() => {});
    for (const stream of this.#streams) stream.close();
    this.#streams.clear();
  }

  #onDatagram(data: Buffer, from: TransportAddress, ip: 0 | 1, port: 0 | 1): void {
    if (this.#closed) return;
    this.#counters.received++;
    if (!this.#allow(from)) return;
    if (this.#plain !== undefined && this.#plainOnGrid && isPlainBindingRequest(data)) {
      this.#counters.success++;
      this.#sockets[ip]?.[port]?.send(this.#plain.respond(data, from), from.port, from.address);
      return;
    }
    const decision = this.#responder.decide({ raw: data, source: from, transport: 'udp', ip, port, grid: this.#grid, now: this.#clock.now() });
    const out = this.#account(decision);
    if (out === undefined) return;
    const socket = this.#sockets[out.ip]?.[out.port];
    socket?.send(out.bytes, out.to.port, out.to.address);
  }

  #account(decision: ReturnType<StunResponder['decide']>): { bytes: Buffer; to: TransportAddress; ip: 0 | 1; port: 0 | 1 } | undefined {
    if (decision.kind === 'drop') {
      if (decision.reason === 'not-a-request') this.#counters.ignored++;
      else this.#counters.malformed++;
      return undefined;
    }
    if (decision.classic) this.#counters.classic++;
    if (decision.status === 0) this.#counters.success++;
    else this.#counters.errors[decision.status] = (this.#counters.errors[decision.status] ?? 0) + 1;
    if (decision.status !== 0) this.#logger.debug({ status: decision.status, to: formatEndpoint(decision.destination) }, 'STUN error response');
    const bytes = encodeStun(decision.message, decision.key === undefined ? {} : { integrityKey: decision.key });
    return { bytes, to: decision.destination, ip: decision.ip, port: decision.port };
  }

  /** Token bucket per source IP (RFC 8489 §6.3 leaves abuse control to the server). */
  #allow(from: TransportAddress): boolean {
    if (this.#limit === false) return true;
    const now = this.#clock.now();
    const bucket = this.#buckets.get(from.address) ?? { tokens: this.#limit.burst, at: now };
    bucket.tokens = Math.min(this.#limit.burst, bucket.tokens + ((now - bucket.at) * this.#limit.perSecond) / 1000);
    bucket.at = now;
    this.#buckets.set(from.address, bucket);
    if (bucket.tokens < 1) {
      this.#counters.rateLimited++;
      return false;
    }
    bucket.tokens -= 1;
    return true;
  }
}
