/**
 * One-way-audio detection for a call with two RTP directions: flags the call when one
 * direction has carried no RTP for more than `silenceMs` while the other has carried RTP
 * within that time, and clears the flag when the silent direction comes back (or the
 * condition ends otherwise). Time comes from the injected Clock; the condition is checked
 * every `checkIntervalMs` and whenever a packet is noted, so events are late by at most one
 * interval.
 */
import { TypedEmitter, type Clock, type Timer } from '../core/index.js';

/** 'a-to-b' is the RTP that leg a sends toward leg b. */
export type RtpDirection = 'a-to-b' | 'b-to-a';

export const RTP_DIRECTIONS: readonly RtpDirection[] = ['a-to-b', 'b-to-a'];

export interface OneWayAudioStart {
  /** The direction that carries no RTP. */
  readonly silent: RtpDirection;
  readonly at: number;
  /** How long the silent direction had been without RTP when flagged. */
  readonly silentForMs: number;
}

export interface OneWayAudioClear {
  readonly silent: RtpDirection;
  readonly at: number;
  readonly durationMs: number;
  /** 'media': the silent direction carries RTP again; 'both-silent': the other side stopped too; 'not-expected': hold; 'closed'. */
  readonly reason: 'media' | 'both-silent' | 'not-expected' | 'closed';
}

export interface OneWayAudioEvents extends Record<string, unknown> {
  'one-way-start': OneWayAudioStart;
  'one-way-clear': OneWayAudioClear;
}

export interface OneWayAudioOptions {
  /** Default 5000 ms. */
  readonly silenceMs?: number;
  /** Default 500 ms. */
  readonly checkIntervalMs?: number;
}

function other(d: RtpDirection): RtpDirection {
  return d === 'a-to-b' ? 'b-to-a' : 'a-to-b';
}

export class OneWayAudioDetector {
  readonly events: TypedEmitter<OneWayAudioEvents>;
  readonly #clock: Clock;
  readonly #silenceMs: number;
  readonly #checkIntervalMs: number;
  readonly #last = new Map<RtpDirection, number>();
  readonly #expected = new Map<RtpDirection, boolean>([
    ['a-to-b', true],
    ['b-to-a', true],
  ]);
  #startedAt = 0;
  #timer: Timer | undefined;
  #flag: { silent: RtpDirection; since: number } | undefined;
  #closed = false;

  constructor(clock: Clock, options: OneWayAudioOptions = {}, onListenerError?: (event: string, error: unknown) => void) {
    this.#clock = clock;
    this.#silenceMs = options.silenceMs ?? 5000;
    this.#checkIntervalMs = options.checkIntervalMs ?? 500;
    this.events = new TypedEmitter<OneWayAudioEvents>(onListenerError);
  }

  /** Starts watching; a direction that never carries RTP is silent from this moment. */
  start(): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#startedAt = this.#clock.now();
    this.#timer = this.#clock.setInterval(() => this.check(), this.#checkIntervalMs);
  }

  /** Notes an RTP packet in one direction (RTCP does not count: it flows on hold too). */
  packet(direction: RtpDirection): void {
    if (this.#closed) return;
    this.#last.set(direction, this.#clock.now());
    if (this.#flag?.silent === direction) this.#clear('media');
  }

  /**
   * Whether a direction is expected to carry RTP. During hold (RFC 3264 §8.4: sendonly,
   * recvonly or inactive) the held direction is legitimately silent and is never flagged.
   */
  expect(direction: RtpDirection, expected: boolean): void {
    this.#expected.set(direction, expected);
    if (expected) this.#last.set(direction, Math.max(this.#last.get(direction) ?? 0, this.#clock.now()));
    this.check();
  }

  /** The current flag, if any. */
  get oneWay(): { readonly silent: RtpDirection; readonly since: number } | undefined {
    return this.#flag;
  }

  /** Evaluates the condition now (the timer calls this). */
  check(): void {
    if (this.#closed || this.#timer === undefined) return;
    const now = this.#clock.now();
    const silentFor = (d: RtpDirection): number => now - (this.#last.get(d) ?? this.#startedAt);
    const active = (d: RtpDirection): boolean => this.#last.has(d) && silentFor(d) <= this.#silenceMs;
    if (this.#flag !== undefined) {
      const silent = this.#flag.silent;
      if (this.#expected.get(silent) !== true) this.#clear('not-expected');
      else if (!active(other(silent))) this.#clear('both-silent');
      return;
    }
    for (const d of RTP_DIRECTIONS) {
      if (this.#expected.get(d) === true && silentFor(d) > this.#silenceMs && active(other(d))) {
        this.#flag = { silent: d, since: now };
        this.events.emit('one-way-start', { silent: d, at: now, silentForMs: silentFor(d) });
        return;
      }
    }
  }

  #clear(reason: OneWayAudioClear['reason']): void {
    const flag = this.#flag;
    if (flag === undefined) return;
    this.#flag = undefined;
    const now = this.#clock.now();
    this.events.emit('one-way-clear', { silent: flag.silent, at: now, durationMs: now - flag.since, reason });
  }

  /** Stops the timer; a raised flag is cleared with reason 'closed'. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#clear('closed');
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.events.removeAllListeners();
  }
}
