/**
 * Music on hold: one WAV played round and round into a call through an RtpPlayer until stopped.
 * Each round starts when the packet after the last one of the previous round is due, so the
 * 20 ms pacing and the timestamps run on without a gap or a doubled packet, and only the first
 * round carries the marker bit (the music does not restart after silence; RFC 3551 §4.1).
 */
import type { Clock, Timer } from '../core/index.js';
import type { RtpPlayer } from './rtp-player.js';

export class LoopingPlayer {
  readonly #player: RtpPlayer;
  readonly #clock: Clock;
  readonly #samples: Int16Array;
  #rounds = 0;
  #timer: Timer | undefined;
  #running = false;

  constructor(player: RtpPlayer, clock: Clock, samples: Int16Array) {
    this.#player = player;
    this.#clock = clock;
    this.#samples = samples;
  }

  /** Rounds started so far. */
  get rounds(): number {
    return this.#rounds;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Starts the music (again, if it was stopped); nothing to do when it already runs or the WAV is empty. */
  start(): void {
    if (this.#running || this.#samples.length === 0) return;
    this.#running = true;
    this.#round(false);
  }

  /** Stops the music at once (held call resumed, caller answered); start() plays it from the top. */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#player.stop();
  }

  close(): void {
    this.stop();
  }

  #round(continuation: boolean): void {
    this.#rounds++;
    void this.#player.play(this.#samples, { continuation }).then((outcome) => {
      if (outcome.stopped || !this.#running) return;
      const due = this.#player.nextDueAt ?? this.#clock.now();
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        if (this.#running) this.#round(true);
      }, Math.max(0, due - this.#clock.now()));
    });
  }
}
