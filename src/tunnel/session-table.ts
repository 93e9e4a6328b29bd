/**
 * The streams and channels one session holds (PROTOCOL.md "Identifiers", "Datagram channels",
 * "Resume"): IDs by parity, the limits on what the peer may hold open, the positions RESUME
 * carries, and the datagram totals of channels already closed (for stats).
 */
import type { TunnelChannel } from './channel.js';
import type { StreamPosition } from './control.js';
import type { SessionRole } from './session-types.js';
import type { TunnelStream } from './stream.js';

export interface DatagramTotals {
  readonly sent: number;
  readonly received: number;
  readonly dropped: number;
  readonly unknownChannel: number;
}

export class SessionTable {
  readonly streams = new Map<number, TunnelStream>();
  readonly channels = new Map<number, TunnelChannel>();
  readonly #role: SessionRole;
  readonly #maxStreams: number;
  readonly #maxChannels: number;
  readonly #closedChannels = { dropped: 0, sent: 0, received: 0 };
  #unknownChannel = 0;
  #nextLocalId: number;
  #maxPeerStreamId = 0;

  constructor(role: SessionRole, maxStreams: number, maxChannels: number) {
    this.#role = role;
    this.#maxStreams = maxStreams;
    this.#maxChannels = maxChannels;
    // PROTOCOL.md "Identifiers": the client opens odd IDs, the server even ones.
    this.#nextLocalId = role === 'client' ? 1 : 2;
  }

  /** The next ID for a stream or channel this side opens. */
  takeId(): number {
    const id = this.#nextLocalId;
    this.#nextLocalId += 2;
    return id;
  }

  /** Whether `id` has the parity of the peer's IDs. */
  isPeerId(id: number): boolean {
    return (id % 2 === 1) === (this.#role === 'server');
  }

  /** This side's stream positions, for RESUME (PROTOCOL.md "Resume"). */
  positions(): StreamPosition[] {
    return [...this.streams.values()].map((s) => ({ id: s.id, receivedSeq: s.receivedSeq }));
  }

  /**
   * Whether the peer's SYN may open stream `id`. PROTOCOL.md "Identifiers": over the limit, or an ID
   * already used (a refused stream's SYN sent again after a resume), the stream is refused with RST.
   */
  admitPeerStream(id: number): boolean {
    if (id <= this.#maxPeerStreamId || this.streams.size >= this.#maxStreams) {
      this.#maxPeerStreamId = Math.max(this.#maxPeerStreamId, id);
      return false;
    }
    this.#maxPeerStreamId = id;
    return true;
  }

  /** The peer holds as many channels as it may; a new one is refused (FIN). */
  get channelsFull(): boolean {
    return this.channels.size >= this.#maxChannels;
  }

  /**
   * PROTOCOL.md "Resume": each stream goes back to what the peer has received (a SYN the peer never
   * saw is sent again; a stream the peer no longer knows is abandoned). Returns this side's
   * channels whose SYN was not acknowledged, to be sent again.
   */
  resume(peerPositions: readonly StreamPosition[]): TunnelChannel[] {
    const peer = new Map(peerPositions.map((p) => [p.id, p.receivedSeq]));
    for (const stream of [...this.streams.values()]) {
      const seq = peer.get(stream.id);
      if (seq !== undefined) stream.rewind(seq);
      else if (stream.synUnacknowledged) stream.rewind(0);
      else stream.abandon(false);
    }
    return [...this.channels.values()].filter((channel) => !channel.acknowledged && !this.isPeerId(channel.id));
  }

  /** A datagram for a channel this session does not know (counted, then dropped). */
  countUnknownChannel(): void {
    this.#unknownChannel++;
  }

  /** Forgets a closed channel, keeping its datagram counts in the totals. */
  removeChannel(channel: TunnelChannel): void {
    this.channels.delete(channel.id);
    this.#closedChannels.dropped += channel.counters.dropped;
    this.#closedChannels.sent += channel.counters.sent;
    this.#closedChannels.received += channel.counters.received;
  }

  /** Datagram counts of every channel this session had, open or closed. */
  datagramTotals(): DatagramTotals {
    let { dropped, sent, received } = this.#closedChannels;
    for (const c of this.channels.values()) {
      dropped += c.counters.dropped;
      sent += c.counters.sent;
      received += c.counters.received;
    }
    return { sent, received, dropped, unknownChannel: this.#unknownChannel };
  }
}
