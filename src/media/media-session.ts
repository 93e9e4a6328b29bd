/**
 * A relayed media session: two MediaEndpoints (leg a and leg b) joined so that what arrives
 * on one is sent out of the other, unchanged (SRTP passes through: the RTP header that the
 * statistics read is not encrypted, RFC 3711 §3.1). Keeps RFC 3550 statistics per direction,
 * runs the one-way-audio detector, and reports dead media (no RTP either way for
 * `mediaTimeoutMs`) as events. close() is idempotent and closes both endpoints.
 */
import { TypedEmitter, type Clock, type Timer } from '../core/index.js';
import {
  OneWayAudioDetector,
  RtpStreamStats,
  type OneWayAudioClear,
  type OneWayAudioOptions,
  type OneWayAudioStart,
  type RtpDirection,
  type RtpStreamSnapshot,
} from '../rtp/index.js';
import type { MediaDirection } from '../sdp/index.js';
import type { MediaEndpoint } from './media-endpoint.js';

export interface MediaSessionOptions {
  readonly clock: Clock;
  readonly a: MediaEndpoint;
  readonly b: MediaEndpoint;
  /** Clock rates of dynamic payload types (sdp clockRates()), for jitter. */
  readonly clockRates?: ReadonlyMap<number, number>;
  /** One-way-audio detection (default on, 5 s); false turns it off. */
  readonly oneWayAudio?: OneWayAudioOptions | false;
  /** No RTP in either direction for this long raises 'media-timeout'. Default 30000 ms. */
  readonly mediaTimeoutMs?: number;
  /** How often the dead-media condition is checked. Default 1000 ms. */
  readonly checkIntervalMs?: number;
  readonly onListenerError?: (event: string, error: unknown) => void;
}

export interface MediaSessionEvents extends Record<string, unknown> {
  'media-timeout': { readonly at: number; readonly silentForMs: number };
  'media-resumed': { readonly at: number; readonly direction: RtpDirection };
  'one-way-start': OneWayAudioStart;
  'one-way-clear': OneWayAudioClear;
  closed: { readonly at: number };
}

export interface MediaSessionStats {
  readonly startedAt: number | undefined;
  readonly 'a-to-b': RtpStreamSnapshot;
  readonly 'b-to-a': RtpStreamSnapshot;
  /** The direction currently flagged by the one-way-audio detector. */
  readonly oneWay: RtpDirection | undefined;
  readonly mediaTimedOut: boolean;
}

export class MediaSession {
  readonly events: TypedEmitter<MediaSessionEvents>;
  readonly #clock: Clock;
  readonly #a: MediaEndpoint;
  readonly #b: MediaEndpoint;
  readonly #stats: Record<RtpDirection, RtpStreamStats>;
  readonly #detector: OneWayAudioDetector | undefined;
  readonly #mediaTimeoutMs: number;
  readonly #checkIntervalMs: number;
  readonly #expected: Record<RtpDirection, boolean> = { 'a-to-b': true, 'b-to-a': true };
  #timer: Timer | undefined;
  #startedAt: number | undefined;
  #lastRtpAt = 0;
  #timedOut = false;
  #closed = false;

  constructor(options: MediaSessionOptions) {
    this.#clock = options.clock;
    this.#a = options.a;
    this.#b = options.b;
    const statsOptions = options.clockRates === undefined ? {} : { clockRates: options.clockRates };
    this.#stats = { 'a-to-b': new RtpStreamStats(statsOptions), 'b-to-a': new RtpStreamStats(statsOptions) };
    this.#mediaTimeoutMs = options.mediaTimeoutMs ?? 30_000;
    this.#checkIntervalMs = options.checkIntervalMs ?? 1000;
    this.events = new TypedEmitter<MediaSessionEvents>(options.onListenerError);
    if (options.oneWayAudio !== false) {
      this.#detector = new OneWayAudioDetector(this.#clock, options.oneWayAudio ?? {}, options.onListenerError);
      this.#detector.events.on('one-way-start', (e) => this.events.emit('one-way-start', e));
      this.#detector.events.on('one-way-clear', (e) => this.events.emit('one-way-clear', e));
    }
  }

  /** Joins the two endpoints and starts the timers. */
  start(): void {
    if (this.#closed || this.#startedAt !== undefined) return;
    this.#startedAt = this.#clock.now();
    this.#lastRtpAt = this.#startedAt;
    this.#join();
    this.#detector?.start();
    this.#timer = this.#clock.setInterval(() => this.#checkTimeout(), this.#checkIntervalMs);
  }

  /**
   * Joins the endpoints again after something else took one's packets for a while (the agent's
   * own media terminal on the caller's leg during an IVR, src/b2bua/ivr-runner.ts).
   */
  rejoin(): void {
    if (this.#closed || this.#startedAt === undefined) return;
    this.#join();
  }

  #join(): void {
    this.#a.onPacket((packet) => this.#forward(packet, 'a-to-b', this.#b));
    this.#b.onPacket((packet) => this.#forward(packet, 'b-to-a', this.#a));
  }

  #forward(packet: Buffer, direction: RtpDirection, to: MediaEndpoint): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    if (this.#stats[direction].record(packet, now) === 'rtp') {
      this.#detector?.packet(direction);
      this.#lastRtpAt = now;
      if (this.#timedOut) {
        this.#timedOut = false;
        this.events.emit('media-resumed', { at: now, direction });
      }
    }
    to.send(packet);
  }

  #checkTimeout(): void {
    if (this.#closed || this.#timedOut) return;
    // Both directions held (inactive): silence is expected, not dead media.
    if (!this.#expected['a-to-b'] && !this.#expected['b-to-a']) return;
    const now = this.#clock.now();
    const silentForMs = now - this.#lastRtpAt;
    if (silentForMs > this.#mediaTimeoutMs) {
      this.#timedOut = true;
      this.events.emit('media-timeout', { at: now, silentForMs });
    }
  }

  /**
   * Whether a direction should carry RTP, from the negotiated directions (RFC 3264 §8.4):
   * on hold the held direction is not flagged as one-way audio, and with both directions
   * off no media timeout is raised.
   */
  setExpected(direction: RtpDirection, expected: boolean): void {
    this.#expected[direction] = expected;
    if (expected) this.#lastRtpAt = Math.max(this.#lastRtpAt, this.#clock.now());
    this.#detector?.expect(direction, expected);
  }

  /**
   * The same from a negotiated direction as leg a's side states it (RFC 3264 §6.1): sendonly
   * means a sends and b does not; recvonly the reverse; inactive neither; sendrecv both.
   */
  applyDirection(aDirection: MediaDirection): void {
    this.setExpected('a-to-b', aDirection === 'sendrecv' || aDirection === 'sendonly');
    this.setExpected('b-to-a', aDirection === 'sendrecv' || aDirection === 'recvonly');
  }

  /** A re-INVITE that changes codecs brings new dynamic payload types. */
  setClockRates(rates: ReadonlyMap<number, number>): void {
    this.#stats['a-to-b'].setClockRates(rates);
    this.#stats['b-to-a'].setClockRates(rates);
  }

  stats(): MediaSessionStats {
    return {
      startedAt: this.#startedAt,
      'a-to-b': this.#stats['a-to-b'].snapshot(),
      'b-to-a': this.#stats['b-to-a'].snapshot(),
      oneWay: this.#detector?.oneWay?.silent,
      mediaTimedOut: this.#timedOut,
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Stops timers and closes both endpoints. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer?.cancel();
    this.#detector?.close();
    this.#a.onPacket(() => {});
    this.#b.onPacket(() => {});
    this.#a.close();
    this.#b.close();
    this.events.emit('closed', { at: this.#clock.now() });
    this.events.removeAllListeners();
  }
}
