/**
 * One stream connection (TCP or TLS) carrying SIP: the framer cuts messages by Content-Length
 * (RFC 3261 §18.3), a CRLFCRLF ping is answered with a CRLF pong (RFC 5626 §4.4.1), a framing
 * error closes the connection because the stream cannot be resynchronised (§18.3), and a
 * connection idle for `idleTimeoutMs` is closed. Time comes from the injected Clock.
 */
import type { Clock, Timer } from '../../core/index.js';
import { SipStreamFramer } from './codec.js';
import type { SipStreamConnection, SipTransportName } from './types.js';

export interface StreamFlowEvents {
  message(bytes: Buffer): void;
  ping(): void;
  pong(): void;
  framingError(error: unknown): void;
  idle(): void;
  /** Once; `error` when the socket failed. */
  closed(error: Error | undefined): void;
}

export interface StreamFlowOptions {
  readonly id: string;
  readonly transport: SipTransportName;
  readonly connection: SipStreamConnection;
  readonly clock: Clock;
  readonly maxMessageSize: number;
  /** 0 keeps the connection however long it is quiet. */
  readonly idleTimeoutMs: number;
  /** True when we opened it (we are the client of this flow). */
  readonly outbound: boolean;
  readonly events: StreamFlowEvents;
}

const PONG = Buffer.from('\r\n');

export class StreamFlow {
  readonly id: string;
  readonly transport: SipTransportName;
  readonly connection: SipStreamConnection;
  readonly outbound: boolean;
  /** Keys this flow is reachable by (remote address, RFC 5923 alias). */
  readonly keys = new Set<string>();
  readonly #clock: Clock;
  readonly #framer: SipStreamFramer;
  readonly #idleTimeoutMs: number;
  readonly #events: StreamFlowEvents;
  #lastActive: number;
  #idleTimer: Timer | undefined;
  #closed = false;

  constructor(options: StreamFlowOptions) {
    this.id = options.id;
    this.transport = options.transport;
    this.connection = options.connection;
    this.outbound = options.outbound;
    this.#clock = options.clock;
    this.#framer = new SipStreamFramer({ maxMessageSize: options.maxMessageSize });
    this.#idleTimeoutMs = options.idleTimeoutMs;
    this.#events = options.events;
    this.#lastActive = options.clock.now();
    options.connection.onData((chunk) => this.#onData(chunk));
    options.connection.onClose((error) => this.#onClosed(error));
    this.#armIdle(this.#idleTimeoutMs);
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(bytes: Buffer): void {
    this.#touch();
    this.connection.write(bytes);
  }

  /** Ends the connection gracefully; idempotent. */
  close(): void {
    if (this.#closed) return;
    void this.connection.close();
    this.#onClosed();
  }

  #touch(): void {
    this.#lastActive = this.#clock.now();
  }

  #armIdle(ms: number): void {
    if (this.#idleTimeoutMs <= 0 || this.#closed) return;
    this.#idleTimer = this.#clock.setTimeout(() => this.#onIdleTimer(), ms);
  }

  #onIdleTimer(): void {
    this.#idleTimer = undefined;
    const quiet = this.#clock.now() - this.#lastActive;
    if (quiet >= this.#idleTimeoutMs) {
      this.#events.idle();
      this.close();
      return;
    }
    this.#armIdle(this.#idleTimeoutMs - quiet);
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    this.#touch();
    let items;
    try {
      items = this.#framer.push(chunk);
    } catch (error) {
      this.#events.framingError(error);
      this.connection.destroy();
      this.#onClosed();
      return;
    }
    for (const item of items) {
      if (this.#closed) return;
      if (item.type === 'message') {
        this.#events.message(item.bytes);
      } else if (item.type === 'ping') {
        this.connection.write(PONG);
        this.#events.ping();
      } else {
        this.#events.pong();
      }
    }
  }

  #onClosed(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#idleTimer?.cancel();
    this.#idleTimer = undefined;
    this.#events.closed(error);
  }
}
