/**
 * Music on hold in the B2BUA: when one side's SDP puts a stream on hold (RFC 3264 §8.4:
 * sendonly, inactive, or c=0.0.0.0), the agent plays a WAV round and round (LoopingPlayer) out
 * of the relay leg that faces the other side, until the holder's next SDP takes the hold off or
 * the call ends. The music goes as G.711 in the first PCMU/PCMA format of the holder's offer
 * (the other side answers from that list, RFC 3264 §6.1), with its own SSRC. A stream offered
 * as RTP/SAVP gets no music: the relay forwards SRTP without its keys, so it cannot protect any.
 */
import type { Clock } from '../core/index.js';
import { LoopingPlayer, RtpPlayer, type G711Law, type MediaEndpoint } from '../media/index.js';
import { isOnHold, rtpMaps, type SessionDescription } from '../sdp/index.js';

export interface HoldMusicFormat {
  readonly law: G711Law;
  readonly payloadType: number;
}

/** The format to play to the other side while stream `index` of `sd` holds it, or undefined (not held, SRTP, no G.711). */
export function holdMusicFormat(sd: SessionDescription, index: number): HoldMusicFormat | undefined {
  const format = g711Format(sd, index);
  return format !== undefined && isOnHold(sd, index) ? format : undefined;
}

/** The first PCMU/PCMA format of plain-RTP audio stream `index` of `sd`, or undefined (SRTP, no G.711, port 0). */
export function g711Format(sd: SessionDescription, index: number): HoldMusicFormat | undefined {
  const m = sd.media[index];
  if (m === undefined || m.media !== 'audio' || m.port === 0 || /\bSAVP\b/.test(m.proto)) return undefined;
  const names = new Map(rtpMaps(m).map((r) => [r.payloadType, r.encodingName.toUpperCase()]));
  for (const format of m.formats) {
    const pt = Number(format);
    const name = names.get(pt) ?? (pt === 0 ? 'PCMU' : pt === 8 ? 'PCMA' : undefined);
    if (name === 'PCMU') return { law: 'ulaw', payloadType: pt };
    if (name === 'PCMA') return { law: 'alaw', payloadType: pt };
  }
  return undefined;
}

export class HoldMusic {
  readonly #clock: Clock;
  readonly #samples: Int16Array;
  /** By `<holder>|<stream index>`. */
  readonly #playing = new Map<string, LoopingPlayer>();
  #closed = false;

  constructor(clock: Clock, samples: Int16Array) {
    this.#clock = clock;
    this.#samples = samples;
  }

  /** Whether music plays for a hold by `holder` on stream `index`. */
  playing(holder: 'a' | 'b', index: number): boolean {
    return this.#playing.get(`${holder}|${index}`)?.running ?? false;
  }

  /**
   * An SDP from `holder` for stream `index`: starts the music toward `otherSide` when it holds
   * (and none plays yet), stops it when it does not. Says which of the two it did, if either.
   */
  update(holder: 'a' | 'b', index: number, sd: SessionDescription, otherSide: MediaEndpoint): 'started' | 'stopped' | undefined {
    if (this.#closed) return undefined;
    const key = `${holder}|${index}`;
    const format = holdMusicFormat(sd, index);
    const current = this.#playing.get(key);
    if (format === undefined) {
      if (current === undefined) return undefined;
      current.close();
      this.#playing.delete(key);
      return 'stopped';
    }
    if (current !== undefined) return undefined;
    const player = new RtpPlayer({ clock: this.#clock, law: format.law, payloadType: format.payloadType, send: (p) => otherSide.send(p) });
    const looping = new LoopingPlayer(player, this.#clock, this.#samples);
    this.#playing.set(key, looping);
    looping.start();
    return 'started';
  }

  close(): void {
    this.#closed = true;
    for (const p of this.#playing.values()) p.close();
    this.#playing.clear();
  }
}
