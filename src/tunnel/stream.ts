/**
 * A tunnel stream (PROTOCOL.md "Streams"): reliable, ordered, message-preserving, flow-controlled.
 * Every DATA frame has an implicit sequence number; sent frames stay in a retransmission buffer
 * until the peer's WINDOW_UPDATE acknowledges them, so a resumed session retransmits exactly what
 * the peer has not received ("Resume").
 */
import { TypedEmitter } from '../core/index.js';
import { Flag, MAX_PAYLOAD } from './frame.js';

export const INITIAL_WINDOW = 262_144;

export interface StreamEvents extends Record<string, unknown> {
  /** One DATA frame's payload, in order. */
  data: Buffer;
  /** The peer half-closed (FIN): no more data will come. */
  end: undefined;
  /** The stream is gone; `reset` when it was aborted (RST) or the session ended first. */
  close: { reset: boolean };
}

interface OutFrame {
  readonly seq: number;
  readonly flags: number;
  readonly payload: Buffer;
}

/** What the stream needs from its session (narrow interface downward). */
export interface StreamHost {
  /** The stream has frames that may be sent now. */
  streamReady(stream: TunnelStream): void;
  /** The stream wants a WINDOW_UPDATE sent (credit and acknowledgement). */
  streamAck(stream: TunnelStream): void;
  /** Sends a frame at control priority, outside the sequence (RST). */
  streamReset(stream: TunnelStream): void;
  streamClosed(stream: TunnelStream): void;
}

export class TunnelStream extends TypedEmitter<StreamEvents> {
  readonly id: number;
  readonly #host: StreamHost;
  // Send side: #out[0..#next) are sent and unacknowledged, #out[#next..] are waiting.
  #out: OutFrame[] = [];
  #next = 0;
  #nextSeq = 0;
  #sendWindow = INITIAL_WINDOW;
  #localFin = false;
  // Receive side.
  #receivedSeq = 0;
  #recvWindow = INITIAL_WINDOW;
  #pendingCredit = 0;
  #ackedSeq = 0;
  #ackUrgent = false;
  #synAcknowledged = false;
  #remoteFin = false;
  #closed = false;

  constructor(id: number, host: StreamHost, onListenerError: (event: string, error: unknown) => void, opener: boolean) {
    super(onListenerError);
    this.id = id;
    this.#host = host;
    if (opener) this.#enqueue(Flag.SYN, Buffer.alloc(0));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Frames received so far (= the next sequence number expected). */
  get receivedSeq(): number {
    return this.#receivedSeq;
  }

  /** Payload bytes written but not yet acknowledged by the peer. */
  get unacknowledgedBytes(): number {
    let n = 0;
    for (const f of this.#out) n += f.payload.length;
    return n;
  }

  /**
   * Queues data; never dropped. Up to MAX_PAYLOAD bytes arrive as one message, longer writes in
   * MAX_PAYLOAD pieces. Returns false if the stream is closed for writing.
   */
  write(data: Buffer): boolean {
    if (this.#closed || this.#localFin) return false;
    for (let at = 0; at < data.length; at += MAX_PAYLOAD) {
      this.#enqueue(0, data.subarray(at, Math.min(data.length, at + MAX_PAYLOAD)));
    }
    return true;
  }

  /** Half-closes: FIN after the data already written. Idempotent. */
  end(): void {
    if (this.#closed || this.#localFin) return;
    this.#localFin = true;
    this.#enqueue(Flag.FIN, Buffer.alloc(0));
  }

  /** Aborts both directions at once (RST); pending data is discarded. Idempotent. */
  reset(): void {
    if (this.#closed) return;
    this.#host.streamReset(this);
    this.#finish(true);
  }

  #enqueue(flags: number, payload: Buffer): void {
    this.#out.push({ seq: this.#nextSeq++, flags, payload });
    this.#host.streamReady(this);
  }

  /** The next frame that flow control lets go now, or undefined; marks it sent. */
  takeFrame(): { flags: number; payload: Buffer } | undefined {
    const f = this.#out[this.#next];
    if (f === undefined || f.payload.length > this.#sendWindow) return undefined;
    this.#next++;
    this.#sendWindow -= f.payload.length;
    return f;
  }

  get hasSendable(): boolean {
    const f = this.#out[this.#next];
    return f !== undefined && f.payload.length <= this.#sendWindow;
  }

  /** WINDOW_UPDATE from the peer: more window, and frames below ackSeq are received. */
  onWindowUpdate(delta: number, ackSeq: number): void {
    this.#sendWindow += delta;
    let drop = 0;
    while (drop < this.#next && (this.#out[drop]?.seq ?? Infinity) < ackSeq) drop++;
    if (drop > 0) {
      this.#out.splice(0, drop);
      this.#next -= drop;
    }
    if (this.hasSendable) this.#host.streamReady(this);
    this.#maybeDone();
  }

  /**
   * A DATA frame for this stream. Returns false if it overflows the receive window (the session
   * answers FLOW_CONTROL_ERROR).
   */
  onData(flags: number, payload: Buffer): boolean {
    if (this.#closed) return true;
    if ((flags & Flag.RST) !== 0) {
      this.#finish(true);
      return true;
    }
    if (payload.length > this.#recvWindow) return false;
    this.#receivedSeq++;
    this.#recvWindow -= payload.length;
    this.#pendingCredit += payload.length;
    // SYN and FIN are acknowledged at once so the opener and the closer learn it without waiting.
    if ((flags & (Flag.SYN | Flag.FIN)) !== 0 || this.#pendingCredit >= INITIAL_WINDOW / 2) this.#ackUrgent = true;
    if (payload.length > 0) this.emit('data', payload);
    if ((flags & Flag.FIN) !== 0 && !this.#remoteFin) {
      this.#remoteFin = true;
      this.emit('end', undefined);
    }
    if (this.#ackUrgent) this.#host.streamAck(this);
    this.#maybeDone();
    return true;
  }

  /** Whether a WINDOW_UPDATE is owed (any unacknowledged frame, for the keep-alive tick). */
  get ackOwed(): boolean {
    return this.#receivedSeq !== this.#ackedSeq || this.#pendingCredit > 0;
  }

  /** Builds the WINDOW_UPDATE owed now and counts it as sent; `first` answers the peer's SYN. */
  takeAck(): { delta: number; ackSeq: number; first: boolean } {
    const first = !this.#synAcknowledged;
    this.#synAcknowledged = true;
    const delta = this.#pendingCredit;
    this.#recvWindow += delta;
    this.#pendingCredit = 0;
    this.#ackedSeq = this.#receivedSeq;
    this.#ackUrgent = false;
    this.#maybeDone();
    return { delta, ackSeq: this.#receivedSeq, first };
  }

  /** The first frame (SYN, sequence 0) has not been acknowledged yet. */
  get synUnacknowledged(): boolean {
    return this.#out[0]?.seq === 0;
  }

  /**
   * Resume (PROTOCOL.md "Resume"): the peer has received `peerReceivedSeq` frames; everything
   * from there is sent again, and both windows start afresh.
   */
  rewind(peerReceivedSeq: number): void {
    let drop = 0;
    while (drop < this.#out.length && (this.#out[drop]?.seq ?? Infinity) < peerReceivedSeq) drop++;
    this.#out.splice(0, drop);
    this.#next = 0;
    this.#sendWindow = INITIAL_WINDOW;
    this.#recvWindow = INITIAL_WINDOW;
    this.#pendingCredit = 0;
    this.#ackedSeq = this.#receivedSeq;
    this.#ackUrgent = false;
    if (this.hasSendable) this.#host.streamReady(this);
    this.#maybeDone();
  }

  /** Ends the stream because the session ended (or the peer finished with it during a resume). */
  abandon(reset: boolean): void {
    this.#finish(reset);
  }

  /** Both directions finished, our FIN acknowledged and the peer's FIN acknowledged: done. */
  #maybeDone(): void {
    if (this.#closed || !this.#localFin || !this.#remoteFin) return;
    if (this.#out.length === 0 && this.#receivedSeq === this.#ackedSeq) this.#finish(false);
  }

  #finish(reset: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#out = [];
    this.#next = 0;
    this.#host.streamClosed(this);
    this.emit('close', { reset });
    this.removeAllListeners();
  }
}
