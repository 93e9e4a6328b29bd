/**
 * A datagram channel (PROTOCOL.md "Datagram channels"): unreliable, not flow-controlled, with a
 * bounded send queue that drops the oldest datagram when full, so fresh RTP wins over stale RTP.
 */
import { TypedEmitter } from '../core/index.js';

export const DEFAULT_CHANNEL_QUEUE = 256;

export interface ChannelEvents extends Record<string, unknown> {
  datagram: Buffer;
  close: undefined;
}

export interface ChannelCounters {
  sent: number;
  received: number;
  dropped: number;
}

export interface ChannelHost {
  channelReady(channel: TunnelChannel): void;
  channelClosed(channel: TunnelChannel, notifyPeer: boolean): void;
}

export class TunnelChannel extends TypedEmitter<ChannelEvents> {
  readonly id: number;
  readonly label: string;
  readonly counters: ChannelCounters = { sent: 0, received: 0, dropped: 0 };
  readonly #host: ChannelHost;
  readonly #capacity: number;
  // A ring buffer: #queue[#head .. #head+#size) modulo capacity.
  readonly #queue: (Buffer | undefined)[];
  #head = 0;
  #size = 0;
  #closed = false;
  /** The peer acknowledged the SYN (so a resume need not send it again). */
  acknowledged = false;

  constructor(id: number, label: string, capacity: number, host: ChannelHost, onListenerError: (event: string, error: unknown) => void) {
    super(onListenerError);
    this.id = id;
    this.label = label;
    this.#capacity = Math.max(1, capacity);
    this.#queue = new Array<Buffer | undefined>(this.#capacity);
    this.#host = host;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get queued(): number {
    return this.#size;
  }

  /** Queues one datagram; when the queue is full the oldest is dropped. False once closed. */
  send(datagram: Buffer): boolean {
    if (this.#closed) return false;
    if (this.#size === this.#capacity) {
      this.#queue[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.#capacity;
      this.#size--;
      this.counters.dropped++;
    }
    this.#queue[(this.#head + this.#size) % this.#capacity] = datagram;
    this.#size++;
    if (this.#size === 1) this.#host.channelReady(this);
    return true;
  }

  /** The oldest queued datagram, removed from the queue. */
  take(): Buffer | undefined {
    if (this.#size === 0) return undefined;
    const d = this.#queue[this.#head];
    this.#queue[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#capacity;
    this.#size--;
    this.counters.sent++;
    return d;
  }

  /** Drops every queued datagram, counted: stale media is worth nothing after a broken path. */
  discardQueued(): void {
    this.counters.dropped += this.#size;
    this.#queue.fill(undefined);
    this.#head = 0;
    this.#size = 0;
  }

  onDatagram(datagram: Buffer): void {
    if (this.#closed) return;
    this.counters.received++;
    this.emit('datagram', datagram);
  }

  /** Closes the channel (FIN to the peer). Idempotent. */
  close(): void {
    this.#finish(true);
  }

  /** The peer closed it, or the session ended. */
  abandon(): void {
    this.#finish(false);
  }

  #finish(notifyPeer: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    this.counters.dropped += this.#size;
    this.#queue.fill(undefined);
    this.#size = 0;
    this.#host.channelClosed(this, notifyPeer);
    this.emit('close', undefined);
    this.removeAllListeners();
  }
}
