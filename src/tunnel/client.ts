/**
 * The agent side of a tunnel: connects (through an injected connector: TLS first, then WSS),
 * says HELLO, and when the path breaks reconnects with backoff and RESUMEs the same session
 * (PROTOCOL.md "Reconnect", "Resume"). Streams and channels opened on the client survive a resume;
 * a rejected resume starts a new session and emits `session`.
 */
import { TypedEmitter, type Clock, type Timer } from '../core/index.js';
import type { TunnelCarriage } from '../net/index.js';
import { AcceptQueue } from './accept-queue.js';
import { backoffDelay, isNoRouteError, type BackoffOptions } from './backoff.js';
import { ALL_CAPABILITIES, decodeGoAway, decodeHello, decodeResume, encodeHello, encodeResume, type GoAway } from './control.js';
import { GoAwayReason, TunnelProtocolError, goAwayReasonName } from './errors.js';
import { Flag, FrameType, SUPPORTED_VERSIONS, type Frame } from './frame.js';
import { Link, type LinkCounters } from './link.js';
import { TunnelSession } from './session.js';
import type { SessionCloseInfo, SessionOptions } from './session-types.js';
import type { TunnelStats } from './stats.js';
import type { TunnelChannel } from './channel.js';
import type { TunnelStream } from './stream.js';

export interface TunnelClientOptions extends SessionOptions {
  readonly clock: Clock;
  /** Opens a carriage to the hub; rejects when it cannot (its own timeout included). */
  readonly connect: () => Promise<TunnelCarriage>;
  /** The agent identity sent in HELLO (the certificate common name). */
  readonly identity: string;
  readonly reconnect?: BackoffOptions;
  readonly handshakeTimeoutMs?: number;
  /** Random source for the backoff jitter; Math.random by default. */
  readonly random?: () => number;
}

export type TunnelClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface TunnelClientEvents extends Record<string, unknown> {
  open: { resumed: boolean };
  disconnected: { reason: string; error: Error | undefined };
  reconnecting: { attempt: number; delayMs: number; error: Error | undefined };
  /** A new session replaced a lost one (resume rejected, or the hub ended the old one). */
  session: TunnelSession;
  stream: TunnelStream;
  channel: TunnelChannel;
  config: { id: number; data: Buffer };
  goaway: GoAway;
  close: SessionCloseInfo;
}

/** Go-away reasons after which reconnecting cannot help (PROTOCOL.md "Go-away"). */
const FINAL: ReadonlySet<number> = new Set([GoAwayReason.REVOKED, GoAwayReason.UNAUTHORIZED, GoAwayReason.UNSUPPORTED_VERSION, GoAwayReason.SUPERSEDED]);
const VERSIONS_DESC = [...SUPPORTED_VERSIONS].sort((a, b) => b - a);
/** While calls are up, the longest wait between two reconnect attempts (setUrgent). */
export const URGENT_RETRY_MS = 1000;
/**
 * While calls are up, the wait after an attempt that failed at once for want of a route
 * (isNoRouteError): it sent nothing, so the next can follow soon, and the first attempt after
 * the route returns (the WAN link up again) comes within this time instead of up to
 * URGENT_RETRY_MS later, which the callers heard as silence (bench/soak.ts: 84–878 ms from the
 * link's return to the tunnel's, the rest of the return under 0.1 s).
 */
export const NO_ROUTE_RETRY_MS = 100;

export class TunnelClient extends TypedEmitter<TunnelClientEvents> {
  readonly #options: TunnelClientOptions;
  readonly #clock: Clock;
  #session: TunnelSession;
  #state: TunnelClientState = 'idle';
  #attempt = 0;
  #reconnects = 0;
  /** When the open session lost its carriage (clock.now()); undefined while open or never open. */
  #lostAt: number | undefined;
  #retryTimer: Timer | undefined;
  #generation = 0;
  #everOpen = false;
  #cancelHandshake: (() => void) | undefined;
  /** Calls are up: reconnect attempts at least every URGENT_RETRY_MS (setUrgent). */
  #urgent = false;
  #urgentTimer: Timer | undefined;
  /** A connect() is pending (its carriage not there yet). */
  #connecting = false;
  readonly #accept = new AcceptQueue<TunnelStream>();
  readonly #scratch: LinkCounters = { sent: { bytes: 0, frames: 0 }, received: { bytes: 0, frames: 0 } };

  constructor(options: TunnelClientOptions) {
    super((event, error) => options.logger?.warn({ event, err: error }, 'tunnel client listener failed'));
    this.#options = options;
    this.#clock = options.clock;
    this.#session = this.#newSession();
  }

  get state(): TunnelClientState {
    return this.#state;
  }

  get session(): TunnelSession {
    return this.#session;
  }

  /** Starts connecting. Constructors do no I/O (docs/STYLE.md rule 5). */
  start(): void {
    if (this.#state !== 'idle') return;
    void this.#connectOnce();
  }

  openStream(): TunnelStream {
    return this.#session.openStream();
  }

  /** The next stream the hub opens, across sessions (for callers that do not listen to `stream`). */
  acceptStream(): Promise<TunnelStream> {
    return this.#accept.take();
  }

  openChannel(label = ''): TunnelChannel {
    return this.#session.openChannel(label);
  }

  sendDatagram(channelId: number, datagram: Buffer): boolean {
    return this.#session.sendDatagram(channelId, datagram);
  }

  onConfig(handler: (config: { id: number; data: Buffer }) => void): () => void {
    return this.on('config', handler);
  }

  stats(): TunnelStats {
    const s = this.#session.stats();
    const state = this.#state === 'open' ? s.state : this.#state === 'idle' ? 'handshaking' : this.#state;
    return { ...s, state, reconnects: this.#reconnects };
  }

  /**
   * While calls are up (issue 12), a cut tunnel is tried again at least every second, however long
   * the outage: the ordinary backoff grows to 30 s, so the audio of a call kept across a 5-minute
   * outage would come back up to 30 s after the link. Urgent, a retry waits at most ~1 s (jittered
   * 0.75–1 s) and a connect attempt still hanging (a SYN into a dead link) is overtaken by a fresh
   * one every second, the old one aborted if it ever completes: when the link returns, the next
   * attempt's SYN gets through at once. Attempts in the handshake are never overtaken. An attempt
   * that failed at once for want of a route (the WAN link down) is followed ~0.1 s later
   * (NO_ROUTE_RETRY_MS): it costs no packet, and the link's return is seen within that time.
   */
  setUrgent(urgent: boolean): void {
    if (urgent === this.#urgent) return;
    this.#urgent = urgent;
    this.#urgentTimer?.cancel();
    this.#urgentTimer = undefined;
    if (!urgent) return;
    // A long backoff already waiting is cut short.
    if (this.#state === 'reconnecting' && !this.#connecting && this.#cancelHandshake === undefined) this.#scheduleRetry(undefined, false, true);
    this.#armUrgent();
  }

  #armUrgent(): void {
    if (!this.#urgent || this.#state === 'closed') return;
    const random = this.#options.random ?? Math.random;
    this.#urgentTimer = this.#clock.setTimeout(() => {
      this.#urgentTimer = undefined;
      if (this.#connecting && this.#cancelHandshake === undefined && (this.#state === 'reconnecting' || this.#state === 'connecting')) {
        void this.#connectOnce();
      }
      this.#armUrgent();
    }, URGENT_RETRY_MS * (0.75 + 0.25 * Math.min(Math.max(random(), 0), 1)));
  }

  /** Ends the session with GO_AWAY(NORMAL) and stops reconnecting. Idempotent. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#accept.close(new TunnelProtocolError(GoAwayReason.NORMAL, 'tunnel client closed'));
    this.#generation++;
    this.#retryTimer?.cancel();
    this.#urgentTimer?.cancel();
    this.#cancelHandshake?.();
    this.#session.close(GoAwayReason.NORMAL, 'agent closing');
  }

  #newSession(): TunnelSession {
    const session = new TunnelSession('client', this.#clock, this.#options);
    session.on('stream', (s) => {
      const listened = this.listenerCount('stream') > 0;
      this.emit('stream', s);
      this.#accept.offer(s, listened);
    });
    session.on('channel', (c) => this.emit('channel', c));
    session.on('config', (c) => this.emit('config', c));
    session.on('open', (e) => {
      this.#state = 'open';
      this.#lostAt = undefined;
      this.emit('open', e);
    });
    session.on('disconnected', (e) => {
      if (this.#state === 'closed') return;
      this.#lostAt ??= this.#clock.now();
      this.emit('disconnected', { reason: e.reason, error: e.error });
      this.#scheduleRetry(e.error);
    });
    session.on('close', (info) => this.#onSessionClose(session, info));
    return session;
  }

  #onSessionClose(session: TunnelSession, info: SessionCloseInfo): void {
    if (this.#state === 'closed') {
      this.emit('close', info);
      return;
    }
    if (session !== this.#session) return;
    if (info.byPeer) this.emit('goaway', { reason: info.reason, message: info.message });
    if (FINAL.has(info.reason)) {
      this.#state = 'closed';
      this.#accept.close(new TunnelProtocolError(info.reason, info.message));
      this.#retryTimer?.cancel();
      this.emit('close', info);
      return;
    }
    // The hub ended the session (or it failed): start a new one.
    this.#session = this.#newSession();
    this.emit('session', this.#session);
    // A rejected resume is followed at once by a fresh HELLO (PROTOCOL.md "Resume").
    this.#scheduleRetry(new Error(`session ended: ${goAwayReasonName(info.reason)} ${info.message}`), info.reason === GoAwayReason.RESUME_REJECTED);
  }

  #scheduleRetry(error: Error | undefined, immediately = false, quiet = false): void {
    if (this.#state === 'closed') return;
    this.#generation++;
    this.#retryTimer?.cancel();
    this.#state = 'reconnecting';
    const random = this.#options.random ?? Math.random;
    const backoff = immediately ? 0 : backoffDelay(this.#attempt, random, this.#options.reconnect, this.#lostAt === undefined ? undefined : this.#clock.now() - this.#lostAt);
    const urgentMs = isNoRouteError(error) ? NO_ROUTE_RETRY_MS : URGENT_RETRY_MS;
    const delayMs = this.#urgent ? Math.min(backoff, urgentMs * (0.75 + 0.25 * Math.min(Math.max(random(), 0), 1))) : backoff;
    const attempt = quiet ? this.#attempt : this.#attempt++;
    if (!quiet) this.emit('reconnecting', { attempt, delayMs, error });
    if (immediately) {
      void this.#connectOnce();
      return;
    }
    const generation = this.#generation;
    this.#retryTimer = this.#clock.setTimeout(() => {
      if (generation === this.#generation) void this.#connectOnce();
    }, delayMs);
  }

  async #connectOnce(): Promise<void> {
    const generation = ++this.#generation;
    this.#state = this.#everOpen ? 'reconnecting' : 'connecting';
    let carriage: TunnelCarriage;
    this.#connecting = true;
    try {
      carriage = await this.#options.connect();
    } catch (error) {
      if (generation === this.#generation) {
        this.#connecting = false;
        this.#scheduleRetry(error instanceof Error ? error : new Error(String(error)));
      }
      return;
    }
    if (generation === this.#generation) this.#connecting = false;
    if (generation !== this.#generation || (this.#state as TunnelClientState) === 'closed') {
      carriage.abort();
      return;
    }
    this.#handshake(new Link(carriage, this.#scratch), generation);
  }

  #handshake(link: Link, generation: number): void {
    const session = this.#session;
    const resuming = session.resumeToken.length > 0;
    let done = false;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      timer.cancel();
      this.#cancelHandshake = undefined;
      if (generation === this.#generation) return true;
      link.abort(); // superseded (closed, or another attempt started)
      return false;
    };
    this.#cancelHandshake = () => {
      finish();
      link.abort();
    };
    const timer = this.#clock.setTimeout(() => {
      if (!finish()) return;
      link.abort();
      this.#scheduleRetry(new Error('tunnel handshake timed out'));
    }, this.#options.handshakeTimeoutMs ?? 10_000);
    link.use({
      frame: (f) => {
        if (finish()) this.#onAnswer(link, f, session, resuming);
      },
      alive: () => {},
      protocolError: (e) => {
        if (!finish()) return;
        link.goAway({ reason: e.reason, message: e.message });
        this.#scheduleRetry(e);
      },
      drain: () => {},
      lost: (error) => {
        if (finish()) this.#scheduleRetry(error ?? new Error('carriage closed during the handshake'));
      },
    });
    const payload = resuming
      ? encodeResume({ versions: VERSIONS_DESC, resumeToken: session.resumeToken, streams: session.positions() })
      : encodeHello({ versions: VERSIONS_DESC, capabilities: ALL_CAPABILITIES, identity: this.#options.identity, resumeToken: Buffer.alloc(0), resumeWindow: 0 });
    link.write([{ version: 1, type: resuming ? FrameType.RESUME : FrameType.HELLO, flags: Flag.SYN, id: 0, payload }]);
  }

  #onAnswer(link: Link, f: Frame, session: TunnelSession, resuming: boolean): void {
    try {
      if (f.type === FrameType.GO_AWAY) return this.#onRefused(link, decodeGoAway(f.payload), session);
      const expected = resuming ? FrameType.RESUME : FrameType.HELLO;
      if (f.type !== expected || f.flags !== Flag.ACK) {
        throw new TunnelProtocolError(GoAwayReason.PROTOCOL_ERROR, `expected ${resuming ? 'RESUME' : 'HELLO'}(ACK), got type ${f.type}`);
      }
      const answer = resuming ? decodeResume(f.payload) : decodeHello(f.payload);
      const version = answer.versions[0] ?? 0;
      if (answer.versions.length !== 1 || !SUPPORTED_VERSIONS.includes(version)) {
        throw new TunnelProtocolError(GoAwayReason.UNSUPPORTED_VERSION, `hub chose version ${answer.versions.join(',')}`);
      }
      session.version = version;
      session.resumeToken = answer.resumeToken;
      if ('identity' in answer) {
        session.peerIdentity = answer.identity;
        session.resumeWindowMs = answer.resumeWindow * 1000;
      }
      if (this.#everOpen) this.#reconnects++;
      this.#everOpen = true;
      this.#attempt = 0;
      session.reconnects = this.#reconnects;
      session.attach(link, 'streams' in answer ? answer.streams : undefined);
    } catch (error) {
      if (!(error instanceof TunnelProtocolError)) throw error;
      link.goAway({ reason: error.reason, message: error.message });
      if (FINAL.has(error.reason)) session.close(error.reason, error.message);
      else this.#scheduleRetry(error);
    }
  }

  #onRefused(link: Link, g: GoAway, session: TunnelSession): void {
    link.close();
    if (FINAL.has(g.reason) || (g.reason === GoAwayReason.RESUME_REJECTED && session.resumeToken.length > 0)) {
      // The session cannot go on (PROTOCOL.md "Resume", "Go-away"); #onSessionClose decides what next.
      session.reject(g.reason, g.message);
      return;
    }
    this.emit('goaway', g);
    this.#scheduleRetry(new Error(`hub refused: ${goAwayReasonName(g.reason)} ${g.message}`));
  }
}
