/**
 * What a queue caller hears while it waits, once the agent has answered it (agent-media.ts
 * queueHold): the queue's intro prompt once, then music on hold round and round (LoopingPlayer)
 * until stop() (an agent answered, or the queue sends the caller on). The music starts when the
 * packet after the intro's last one is due, so the 20 ms pacing runs on without a burst; its first
 * packet carries the marker bit, a new talkspurt after the prompt (RFC 3551 §4.1).
 */
import type { Clock, Timer } from '../core/index.js';
import { LoopingPlayer, type RtpPlayer } from '../media/index.js';

export class QueueHold {
  readonly #player: RtpPlayer;
  readonly #clock: Clock;
  readonly #intro: Int16Array | undefined;
  readonly #music: Int16Array;
  #looping: LoopingPlayer | undefined;
  #timer: Timer | undefined;
  #stopped = false;

  constructor(player: RtpPlayer, clock: Clock, intro: Int16Array | undefined, music: Int16Array) {
    this.#player = player;
    this.#clock = clock;
    this.#intro = intro;
    this.#music = music;
  }

  /** Whether the music (after the intro) is playing. */
  get musicPlaying(): boolean {
    return this.#looping?.running ?? false;
  }

  start(): void {
    if (this.#stopped) return;
    if (this.#intro === undefined) {
      this.#startMusic();
      return;
    }
    void this.#player.play(this.#intro).then((outcome) => {
      if (outcome.stopped || this.#stopped) return;
      const due = this.#player.nextDueAt ?? this.#clock.now();
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        this.#startMusic();
      }, Math.max(0, due - this.#clock.now()));
    });
  }

  /** Stops the intro or the music at once. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#looping?.close();
    this.#player.stop();
  }

  #startMusic(): void {
    if (this.#stopped) return;
    this.#looping = new LoopingPlayer(this.#player, this.#clock, this.#music);
    this.#looping.start();
  }
}
