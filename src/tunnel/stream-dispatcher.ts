/**
 * Stream purpose (PROTOCOL.md "Stream purpose"): the first DATA message of every stream the agent
 * opens is a short ASCII label, `sip/1` or `provisioning/1`, naming what the stream carries and the
 * version of that use. The receiving side waits for that message (a bounded time), then hands the
 * stream to the handler registered for the label; an unknown or malformed label, a FIN before any
 * label, or no label in time is answered by resetting the stream, and counted.
 *
 *   const streams = new StreamDispatcher({ clock, logger });
 *   streams.register('sip/1', (stream, session) => ...);   // the next message is the handler's
 *   session.on('stream', (stream) => streams.accept(session, stream));
 *
 *   const stream = openLabeledStream(client, 'provisioning/1');   // the other side
 */
import type { Clock, Logger, Timer } from '../core/index.js';
import type { TunnelSession } from './session.js';
import type { TunnelStream } from './stream.js';

/** A label is at most this many bytes; a longer first message is refused without being read as text. */
export const MAX_STREAM_LABEL_BYTES = 64;
/** How long a stream may stay without its label. */
export const DEFAULT_LABEL_TIMEOUT_MS = 15_000;

/** `name/version`: lower-case name (letters, digits, '-'), a decimal version from 1. */
const LABEL = /^[a-z][a-z0-9-]*\/[1-9][0-9]{0,3}$/;

export function isStreamLabel(label: string): boolean {
  return label.length <= MAX_STREAM_LABEL_BYTES && LABEL.test(label);
}

/** The label's wire form (ASCII); throws RangeError for a string that is not a label. */
export function encodeStreamLabel(label: string): Buffer {
  if (!isStreamLabel(label)) throw new RangeError(`'${label}' is not a stream label (name/version, at most ${MAX_STREAM_LABEL_BYTES} bytes)`);
  return Buffer.from(label, 'ascii');
}

/** The label in a stream's first message, or undefined when the message is not one. */
export function decodeStreamLabel(payload: Buffer): string | undefined {
  if (payload.length === 0 || payload.length > MAX_STREAM_LABEL_BYTES) return undefined;
  for (const byte of payload) if (byte < 0x21 || byte > 0x7e) return undefined;
  const label = payload.toString('ascii');
  return LABEL.test(label) ? label : undefined;
}

/** Opens a stream whose first message is `label`; what is written next follows it. */
export function openLabeledStream(opener: { openStream(): TunnelStream }, label: string): TunnelStream {
  const bytes = encodeStreamLabel(label);
  const stream = opener.openStream();
  stream.write(bytes);
  return stream;
}

/**
 * Takes a stream whose label was just read. It must subscribe to the stream's events before it
 * returns: the stream's next message may be delivered right after.
 */
export type StreamHandler = (stream: TunnelStream, session: TunnelSession) => void;

/** Why a stream was reset before it reached a handler. */
export type StreamRefusal = 'unknown' | 'malformed' | 'timeout' | 'ended' | 'closed';

export interface StreamDispatchStats {
  /** Streams handed over, by label. */
  readonly dispatched: Readonly<Record<string, number>>;
  readonly refused: Readonly<Record<StreamRefusal, number>>;
  /** Streams waiting for their label now. */
  readonly waiting: number;
}

export interface StreamDispatcherOptions {
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Default DEFAULT_LABEL_TIMEOUT_MS. */
  readonly labelTimeoutMs?: number;
}

interface Waiting {
  readonly timer: Timer;
  readonly off: () => void;
}

export class StreamDispatcher {
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  readonly #timeoutMs: number;
  readonly #handlers = new Map<string, StreamHandler>();
  readonly #waiting = new Map<TunnelStream, Waiting>();
  readonly #dispatched = new Map<string, number>();
  readonly #refused: Record<StreamRefusal, number> = { unknown: 0, malformed: 0, timeout: 0, ended: 0, closed: 0 };
  #closed = false;

  constructor(options: StreamDispatcherOptions) {
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#timeoutMs = options.labelTimeoutMs ?? DEFAULT_LABEL_TIMEOUT_MS;
  }

  /** The labels a handler is registered for. */
  get labels(): string[] {
    return [...this.#handlers.keys()];
  }

  /** Routes streams labelled `label` to `handler`; returns the function that unregisters it. */
  register(label: string, handler: StreamHandler): () => void {
    encodeStreamLabel(label);
    if (this.#handlers.has(label)) throw new Error(`a handler for stream label '${label}' is already registered`);
    this.#handlers.set(label, handler);
    return () => {
      if (this.#handlers.get(label) === handler) this.#handlers.delete(label);
    };
  }

  /** A stream the peer opened: waits for its label, then hands it over or resets it. */
  accept(session: TunnelSession, stream: TunnelStream): void {
    if (this.#closed) return this.#refuse(session, stream, 'closed', undefined);
    const offData = stream.on('data', (payload) => {
      this.#forget(stream);
      this.#route(session, stream, payload);
    });
    const offEnd = stream.on('end', () => {
      this.#forget(stream);
      this.#refuse(session, stream, 'ended', undefined);
    });
    const offClose = stream.on('close', () => this.#forget(stream));
    const timer = this.#clock.setTimeout(() => {
      this.#forget(stream);
      this.#refuse(session, stream, 'timeout', undefined);
    }, this.#timeoutMs);
    this.#waiting.set(stream, {
      timer,
      off: () => {
        offData();
        offEnd();
        offClose();
      },
    });
  }

  #route(session: TunnelSession, stream: TunnelStream, payload: Buffer): void {
    const label = decodeStreamLabel(payload);
    if (label === undefined) return this.#refuse(session, stream, 'malformed', `${payload.length} bytes`);
    const handler = this.#handlers.get(label);
    if (handler === undefined) return this.#refuse(session, stream, 'unknown', label);
    this.#dispatched.set(label, (this.#dispatched.get(label) ?? 0) + 1);
    try {
      handler(stream, session);
    } catch (error) {
      this.#logger?.error({ err: error, label, stream: stream.id }, 'stream handler failed; stream reset');
      stream.reset();
    }
  }

  #forget(stream: TunnelStream): void {
    const w = this.#waiting.get(stream);
    if (w === undefined) return;
    this.#waiting.delete(stream);
    w.timer.cancel();
    w.off();
  }

  #refuse(session: TunnelSession, stream: TunnelStream, why: StreamRefusal, detail: string | undefined): void {
    this.#refused[why]++;
    this.#logger?.warn({ agent: session.peerIdentity, stream: stream.id, why, ...(detail === undefined ? {} : { label: detail }) }, 'tunnel stream refused (reset)');
    stream.reset();
  }

  stats(): StreamDispatchStats {
    return { dispatched: Object.fromEntries(this.#dispatched), refused: { ...this.#refused }, waiting: this.#waiting.size };
  }

  /** Resets the streams still waiting and refuses new ones. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const stream of [...this.#waiting.keys()]) {
      this.#forget(stream);
      stream.reset();
    }
    this.#handlers.clear();
  }
}
