/**
 * Plays audio into a call as RTP: one source per call leg (its SSRC, sequence number and
 * timestamp continue across prompts, RFC 3550 §5.1), G.711 at 8 kHz in 20 ms packets (160
 * samples, RFC 3551 §4.5.1 default packetization). Packets go out on the injected clock at
 * start + n × 20 ms, each timer set from the clock's reading so that late timers do not add up
 * (a packet due while the process was busy goes out at once, never twice). The first packet of
 * each prompt carries the marker bit (the start of a talkspurt, RFC 3551 §4.1); the timestamp
 * of a prompt played after a pause advances by the time that passed, as the sampling clock of a
 * real phone would. The sender is injected: a relay leg's send, or an SRTP protector in front of it.
 */
import type { Clock, Timer } from '../core/index.js';
import { buildRtpPacket } from '../rtp/index.js';
import { G711_PAYLOAD_TYPE, encodeG711, type G711Law } from './g711.js';

export const PACKET_MS = 20;
export const SAMPLES_PER_PACKET = 160;
const SAMPLES_PER_MS = 8;

export interface RtpPlayerOptions {
  readonly clock: Clock;
  readonly law: G711Law;
  /** The payload type negotiated for the law (0 and 8 by default). */
  readonly payloadType?: number;
  readonly send: (packet: Buffer) => void;
  /** Random by default (RFC 3550 §5.1: SSRC, first sequence number and timestamp are random). */
  readonly ssrc?: number;
  readonly firstSequence?: number;
  readonly firstTimestamp?: number;
  readonly random?: () => number;
}

export interface PlayOutcome {
  readonly packets: number;
  /** True when stop() ended it before the last packet. */
  readonly stopped: boolean;
}

export class RtpPlayer {
  readonly ssrc: number;
  readonly #o: RtpPlayerOptions;
  readonly #payloadType: number;
  #sequence: number;
  #timestamp: number;
  /** Clock time of the sampling instant of `#timestamp` (undefined before the first packet). */
  #timestampAt: number | undefined;
  #timer: Timer | undefined;
  #finish: ((o: PlayOutcome) => void) | undefined;
  #sent = 0;
  #closed = false;

  constructor(o: RtpPlayerOptions) {
    const random = o.random ?? Math.random;
    this.#o = o;
    this.#payloadType = o.payloadType ?? G711_PAYLOAD_TYPE[o.law];
    this.ssrc = o.ssrc ?? Math.floor(random() * 0x1_0000_0000) >>> 0;
    this.#sequence = o.firstSequence ?? Math.floor(random() * 0x10000);
    this.#timestamp = o.firstTimestamp ?? Math.floor(random() * 0x1_0000_0000) >>> 0;
  }

  get playing(): boolean {
    return this.#finish !== undefined;
  }

  /** The next sequence number and timestamp (for tests and for a following stream of the same SSRC). */
  get position(): { sequence: number; timestamp: number } {
    return { sequence: this.#sequence, timestamp: this.#timestamp };
  }

  /** Clock time the packet after the last one sent was due (undefined before the first packet). */
  get nextDueAt(): number | undefined {
    return this.#timestampAt;
  }

  /**
   * Plays `samples` (8 kHz linear PCM); the last packet is padded with silence. Resolves when done
   * or stopped. `continuation` (a loop of music going round) leaves the marker bit off the first
   * packet: the audio does not restart after silence, so it is no talkspurt (RFC 3551 §4.1).
   */
  play(samples: Int16Array, options: { readonly continuation?: boolean } = {}): Promise<PlayOutcome> {
    if (this.#closed) return Promise.resolve({ packets: 0, stopped: true });
    this.stop();
    const payload = encodeG711(samples, this.#o.law);
    const count = Math.ceil(payload.length / SAMPLES_PER_PACKET);
    const silence = encodeG711(new Int16Array(1), this.#o.law)[0] ?? 0;
    const start = this.#o.clock.now();
    if (this.#timestampAt !== undefined) {
      // A pause since the last packet moves the timestamp on by the time that passed.
      const elapsed = Math.max(0, start - this.#timestampAt);
      this.#timestamp = (this.#timestamp + Math.round(elapsed * SAMPLES_PER_MS)) >>> 0;
    }
    this.#timestampAt = start;
    const firstTimestamp = this.#timestamp;
    return new Promise((resolve) => {
      let n = 0;
      this.#sent = 0;
      this.#finish = resolve;
      const sendNext = (): void => {
        while (n < count && this.#o.clock.now() >= start + n * PACKET_MS) {
          const chunk = Buffer.alloc(SAMPLES_PER_PACKET, silence);
          payload.copy(chunk, 0, n * SAMPLES_PER_PACKET, Math.min(payload.length, (n + 1) * SAMPLES_PER_PACKET));
          const ts = (firstTimestamp + n * SAMPLES_PER_PACKET) >>> 0;
          this.#o.send(buildRtpPacket({ payloadType: this.#payloadType, marker: n === 0 && options.continuation !== true, sequenceNumber: this.#sequence, timestamp: ts, ssrc: this.ssrc }, chunk));
          this.#sequence = (this.#sequence + 1) & 0xffff;
          this.#timestamp = (ts + SAMPLES_PER_PACKET) >>> 0;
          this.#timestampAt = start + (n + 1) * PACKET_MS;
          n++;
          this.#sent++;
        }
        if (n >= count) {
          this.#end(false);
          return;
        }
        this.#timer = this.#o.clock.setTimeout(sendNext, Math.max(0, start + n * PACKET_MS - this.#o.clock.now()));
      };
      sendNext();
    });
  }

  /** Ends the prompt being played (its promise resolves with stopped: true). */
  stop(): void {
    if (this.#finish !== undefined) this.#end(true);
  }

  #end(stopped: boolean): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    const finish = this.#finish;
    this.#finish = undefined;
    finish?.({ packets: this.#sent, stopped });
  }

  close(): void {
    this.#closed = true;
    this.stop();
  }
}
