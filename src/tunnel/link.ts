/**
 * One carriage under a session: decodes incoming chunks into frames and writes batches of frames.
 * A session outlives its links (PROTOCOL.md "Resume"); the handshake runs on a link before it is
 * attached to a session.
 */
import type { TunnelCarriage, TunnelPeer } from '../net/index.js';
import { FrameDecoder } from './decoder.js';
import { TunnelProtocolError } from './errors.js';
import { FrameType, PROTOCOL_VERSION, encodeFrames, type Frame } from './frame.js';
import { encodeGoAway, type GoAway } from './control.js';

export interface DirectionCounters {
  bytes: number;
  frames: number;
}

export interface LinkCounters {
  readonly sent: DirectionCounters;
  readonly received: DirectionCounters;
}

export interface LinkHandlers {
  frame(frame: Frame): void;
  /** Bytes arrived (a sign of life for dead path detection). */
  alive(): void;
  protocolError(error: TunnelProtocolError): void;
  drain(): void;
  lost(error: Error | undefined): void;
}

const IGNORE: LinkHandlers = { frame: () => {}, alive: () => {}, protocolError: () => {}, drain: () => {}, lost: () => {} };

export class Link {
  readonly #carriage: TunnelCarriage;
  readonly #decoder = new FrameDecoder();
  #handlers: LinkHandlers = IGNORE;
  #counters: LinkCounters;
  #writable = true;
  #ended = false;
  version = PROTOCOL_VERSION;

  constructor(carriage: TunnelCarriage, counters: LinkCounters) {
    this.#carriage = carriage;
    this.#counters = counters;
    carriage.onData((chunk) => this.#onData(chunk));
    carriage.onDrain(() => {
      this.#writable = true;
      this.#handlers.drain();
    });
    carriage.onClose((error) => {
      if (this.#ended) return;
      this.#ended = true;
      this.#handlers.lost(error);
    });
  }

  get peer(): TunnelPeer {
    return this.#carriage.peer;
  }

  get writable(): boolean {
    return this.#writable && !this.#ended;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Replaces the handlers (the handshake hands the link over to a session). */
  use(handlers: LinkHandlers, counters?: LinkCounters): void {
    this.#handlers = handlers;
    if (counters !== undefined) this.#counters = counters;
  }

  #onData(chunk: Buffer): void {
    if (this.#ended) return;
    this.#counters.received.bytes += chunk.length;
    this.#handlers.alive();
    try {
      this.#decoder.push(chunk, (frame) => {
        this.#counters.received.frames++;
        this.#handlers.frame(frame);
      });
    } catch (error) {
      if (error instanceof TunnelProtocolError) this.#handlers.protocolError(error);
      else throw error;
    }
  }

  /** Writes frames as one carriage write. Returns whether more may be written now. */
  write(frames: readonly Frame[]): boolean {
    if (this.#ended || frames.length === 0) return !this.#ended;
    const data = encodeFrames(frames);
    this.#counters.sent.bytes += data.length;
    this.#counters.sent.frames += frames.length;
    this.#writable = this.#carriage.write(data);
    return this.#writable;
  }

  /** Sends GO_AWAY and ends the carriage after it (PROTOCOL.md "Go-away"). */
  goAway(g: GoAway): void {
    if (this.#ended) return;
    this.write([{ version: this.version, type: FrameType.GO_AWAY, flags: 0, id: 0, payload: encodeGoAway(g) }]);
    this.close();
  }

  close(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#handlers = IGNORE;
    this.#carriage.close();
  }

  abort(): void {
    this.#ended = true;
    this.#handlers = IGNORE;
    this.#carriage.abort();
  }
}
