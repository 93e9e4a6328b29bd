/**
 * The hub side: runs the handshake on each accepted carriage, creates sessions for HELLO and
 * re-attaches them for RESUME (PROTOCOL.md "Handshake", "Resume"). Disconnected sessions wait for
 * their agent for the resume window, in a bounded table, then close.
 */
import { randomBytes } from 'node:crypto';
import { TypedEmitter, type Clock, type Timer } from '../core/index.js';
import type { TunnelCarriage, TunnelPeer } from '../net/index.js';
import { ALL_CAPABILITIES, decodeHello, decodeResume, encodeHello, encodeResume, negotiateVersion, type GoAway } from './control.js';
import { GoAwayReason, TunnelProtocolError } from './errors.js';
import { Flag, FrameType, SUPPORTED_VERSIONS, type Frame } from './frame.js';
import { Link, type LinkCounters } from './link.js';
import { TunnelSession } from './session.js';
import type { SessionOptions } from './session-types.js';
import type { TunnelStats } from './stats.js';

export const DEFAULT_RESUME_WINDOW_MS = 300_000;
export const DEFAULT_MAX_SESSIONS = 10_000;
const TOKEN_BYTES = 32;

export interface TunnelServerOptions extends SessionOptions {
  readonly clock: Clock;
  /** The hub identity sent in HELLO(ACK). */
  readonly identity: string;
  readonly resumeWindowMs?: number;
  /** Sessions kept, connected or waiting for resume; the oldest disconnected one goes first. */
  readonly maxSessions?: number;
  readonly handshakeTimeoutMs?: number;
  /**
   * Checks the agent at each handshake (HELLO and RESUME), from its certificate: return a
   * go-away (REVOKED, UNAUTHORIZED) to refuse it.
   */
  readonly authorize?: (peer: TunnelPeer, claimedIdentity: string) => GoAway | undefined;
  readonly randomBytes?: (n: number) => Buffer;
}

export interface TunnelServerEvents extends Record<string, unknown> {
  session: TunnelSession;
  resumed: TunnelSession;
  refused: { peer: TunnelPeer; goAway: GoAway };
}

interface Entry {
  readonly session: TunnelSession;
  readonly identity: string;
  token: string;
  expiry: Timer | undefined;
}

export class TunnelServer extends TypedEmitter<TunnelServerEvents> {
  readonly #options: TunnelServerOptions;
  readonly #clock: Clock;
  readonly #resumeWindowMs: number;
  /** Insertion order = age, for eviction. */
  readonly #byToken = new Map<string, Entry>();
  readonly #entries = new Map<TunnelSession, Entry>();
  readonly #pending = new Set<Link>();
  readonly #scratch: LinkCounters = { sent: { bytes: 0, frames: 0 }, received: { bytes: 0, frames: 0 } };
  #closed = false;

  constructor(options: TunnelServerOptions) {
    super((event, error) => options.logger?.warn({ event, err: error }, 'tunnel server listener failed'));
    this.#options = options;
    this.#clock = options.clock;
    this.#resumeWindowMs = options.resumeWindowMs ?? DEFAULT_RESUME_WINDOW_MS;
  }

  /** Sessions held: connected, or disconnected within their resume window. */
  sessions(): TunnelSession[] {
    return [...this.#entries.keys()];
  }

  /** What `status` shows: one entry per session held. */
  stats(): TunnelStats[] {
    return this.sessions().map((s) => s.stats());
  }

  /** Takes an accepted carriage (TLS or WSS) and runs the handshake on it. */
  accept(carriage: TunnelCarriage): void {
    const link = new Link(carriage, this.#scratch);
    if (this.#closed) {
      link.goAway({ reason: GoAwayReason.SHUTTING_DOWN, message: 'hub closing' });
      return;
    }
    this.#pending.add(link);
    const timer = this.#clock.setTimeout(() => {
      this.#pending.delete(link);
      link.abort();
    }, this.#options.handshakeTimeoutMs ?? 10_000);
    const settle = (): boolean => {
      if (!this.#pending.delete(link)) return false;
      timer.cancel();
      return true;
    };
    link.use({
      frame: (f) => {
        if (settle()) this.#onFirstFrame(link, f);
      },
      alive: () => {},
      protocolError: (e) => {
        if (settle()) link.goAway({ reason: e.reason, message: e.message });
      },
      drain: () => {},
      lost: () => {
        settle();
      },
    });
  }

  #refuse(link: Link, goAway: GoAway): void {
    this.emit('refused', { peer: link.peer, goAway });
    link.goAway(goAway);
  }

  #onFirstFrame(link: Link, f: Frame): void {
    try {
      if (f.type === FrameType.HELLO && f.flags === Flag.SYN) return this.#onHello(link, f);
      if (f.type === FrameType.RESUME && f.flags === Flag.SYN) return this.#onResume(link, f);
      this.#refuse(link, { reason: GoAwayReason.UNAUTHORIZED, message: 'a frame before the handshake' });
    } catch (error) {
      if (!(error instanceof TunnelProtocolError)) throw error;
      this.#refuse(link, { reason: error.reason, message: error.message });
    }
  }

  #onHello(link: Link, f: Frame): void {
    const hello = decodeHello(f.payload);
    const version = negotiateVersion(hello.versions, SUPPORTED_VERSIONS);
    if (version === undefined) {
      return this.#refuse(link, { reason: GoAwayReason.UNSUPPORTED_VERSION, message: `hub speaks ${SUPPORTED_VERSIONS.join(',')}` });
    }
    const denied = this.#options.authorize?.(link.peer, hello.identity);
    if (denied !== undefined) return this.#refuse(link, denied);
    const session = new TunnelSession('server', this.#clock, this.#options);
    session.version = version;
    session.resumeWindowMs = this.#resumeWindowMs;
    session.peerIdentity = link.peer.subject || hello.identity;
    const token = this.#newToken();
    session.resumeToken = token;
    const entry: Entry = { session, identity: link.peer.subject, token: token.toString('hex'), expiry: undefined };
    this.#evictIfFull();
    this.#byToken.set(entry.token, entry);
    this.#entries.set(session, entry);
    session.on('disconnected', () => {
      entry.expiry?.cancel();
      entry.expiry = this.#clock.setTimeout(() => session.close(GoAwayReason.RESUME_REJECTED, 'resume window passed'), this.#resumeWindowMs);
    });
    session.on('open', () => {
      entry.expiry?.cancel();
      entry.expiry = undefined;
    });
    session.on('close', () => {
      entry.expiry?.cancel();
      this.#byToken.delete(entry.token);
      this.#entries.delete(session);
    });
    link.version = version;
    link.write([{ version, type: FrameType.HELLO, flags: Flag.ACK, id: 0, payload: encodeHello({
      versions: [version],
      capabilities: ALL_CAPABILITIES,
      identity: this.#options.identity,
      resumeToken: token,
      resumeWindow: Math.round(this.#resumeWindowMs / 1000),
    }) }]);
    session.notePeer(link.peer);
    this.emit('session', session);
    session.attach(link);
  }

  #onResume(link: Link, f: Frame): void {
    const resume = decodeResume(f.payload);
    const version = negotiateVersion(resume.versions, SUPPORTED_VERSIONS);
    if (version === undefined) {
      return this.#refuse(link, { reason: GoAwayReason.UNSUPPORTED_VERSION, message: `hub speaks ${SUPPORTED_VERSIONS.join(',')}` });
    }
    const entry = this.#byToken.get(resume.resumeToken.toString('hex'));
    // PROTOCOL.md "Resume": the token must be known and unspent, and the certificate the same identity.
    if (entry === undefined || entry.session.state === 'closed' || entry.identity !== link.peer.subject || version !== entry.session.version) {
      return this.#refuse(link, { reason: GoAwayReason.RESUME_REJECTED, message: 'unknown or expired session' });
    }
    const denied = this.#options.authorize?.(link.peer, entry.identity);
    if (denied !== undefined) {
      entry.session.close(denied.reason, denied.message);
      return this.#refuse(link, denied);
    }
    const token = this.#newToken();
    this.#byToken.delete(entry.token);
    entry.token = token.toString('hex');
    this.#byToken.set(entry.token, entry);
    entry.session.resumeToken = token;
    link.version = version;
    link.write([{ version, type: FrameType.RESUME, flags: Flag.ACK, id: 0, payload: encodeResume({ versions: [version], resumeToken: token, streams: entry.session.positions() }) }]);
    entry.session.attach(link, resume.streams);
    this.emit('resumed', entry.session);
  }

  #newToken(): Buffer {
    return (this.#options.randomBytes ?? randomBytes)(TOKEN_BYTES);
  }

  #evictIfFull(): void {
    const max = this.#options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    while (this.#entries.size >= max) {
      let victim: Entry | undefined;
      for (const e of this.#byToken.values()) {
        if (e.session.state !== 'open') {
          victim = e;
          break;
        }
      }
      victim ??= this.#byToken.values().next().value;
      if (victim === undefined) return;
      victim.session.close(GoAwayReason.SHUTTING_DOWN, 'too many sessions');
    }
  }

  /** Ends every session with GO_AWAY(reason) and refuses new carriages. Idempotent. */
  close(reason: (typeof GoAwayReason)[keyof typeof GoAwayReason] = GoAwayReason.SHUTTING_DOWN): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const link of this.#pending) link.abort();
    this.#pending.clear();
    for (const session of [...this.#entries.keys()]) session.close(reason, 'hub closing');
  }
}
