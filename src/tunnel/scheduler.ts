/**
 * What a session has to send, and in which order (PROTOCOL.md "Priority"): control frames and
 * window updates first, then datagrams round robin over channels, then bulk (stream DATA round
 * robin over streams, one frame per stream per turn, and CONFIG chunks). `nextBatch` gathers
 * frames up to a byte budget, for one carriage write.
 */
import type { TunnelChannel } from './channel.js';
import { encodeWindowUpdate } from './control.js';
import { Flag, FrameType, HEADER_SIZE, type Frame } from './frame.js';
import type { TunnelStream } from './stream.js';

export class SendScheduler {
  #control: Frame[] = [];
  #config: Frame[] = [];
  readonly #streams = new Set<TunnelStream>();
  readonly #channels = new Set<TunnelChannel>();
  readonly #acks = new Set<TunnelStream>();

  control(frame: Frame): void {
    this.#control.push(frame);
  }

  config(frames: readonly Frame[]): void {
    for (const f of frames) this.#config.push(f);
  }

  streamReady(stream: TunnelStream): void {
    this.#streams.add(stream);
  }

  ackOwed(stream: TunnelStream): void {
    this.#acks.add(stream);
  }

  channelReady(channel: TunnelChannel): void {
    this.#channels.add(channel);
  }

  forgetStream(stream: TunnelStream): void {
    this.#streams.delete(stream);
    this.#acks.delete(stream);
  }

  forgetChannel(channel: TunnelChannel): void {
    this.#channels.delete(channel);
  }

  /** The path is gone: control, acks and config are stale (a resume sends what is needed). */
  dropUnsent(): void {
    this.#control = [];
    this.#config = [];
    this.#acks.clear();
    this.#channels.clear();
  }

  /** Frames for one carriage write, at most about `limit` bytes of datagrams and bulk. */
  nextBatch(limit: number, version: number): Frame[] {
    const batch: Frame[] = [];
    let bytes = 0;
    for (const s of this.#acks) {
      const ack = s.takeAck();
      // ACK on the first acknowledgement: it answers the stream's SYN (PROTOCOL.md "Streams").
      batch.push({ version, type: FrameType.WINDOW_UPDATE, flags: ack.first ? Flag.ACK : 0, id: s.id, payload: encodeWindowUpdate(ack) });
    }
    this.#acks.clear();
    if (this.#control.length > 0) {
      for (const f of this.#control) batch.push(f);
      this.#control = [];
    }
    while (bytes < limit && this.#channels.size > 0) {
      for (const ch of this.#channels) {
        const d = ch.take();
        this.#channels.delete(ch);
        if (d === undefined) continue;
        if (ch.queued > 0) this.#channels.add(ch); // to the back: round robin
        batch.push({ version, type: FrameType.DATAGRAM, flags: 0, id: ch.id, payload: d });
        bytes += HEADER_SIZE + d.length;
        if (bytes >= limit) break;
      }
    }
    while (bytes < limit && (this.#streams.size > 0 || this.#config.length > 0)) {
      const cf = this.#config.shift();
      if (cf !== undefined) {
        batch.push(cf);
        bytes += HEADER_SIZE + cf.payload.length;
      }
      for (const s of this.#streams) {
        if (bytes >= limit) break;
        const f = s.takeFrame();
        this.#streams.delete(s);
        if (f === undefined) continue;
        if (s.hasSendable) this.#streams.add(s); // to the back: round robin
        batch.push({ version, type: FrameType.DATA, flags: f.flags, id: s.id, payload: f.payload });
        bytes += HEADER_SIZE + f.payload.length;
      }
    }
    return batch;
  }
}
