/**
 * STUN client transactions (RFC 8489 §6.2). Over UDP a request is retransmitted after RTO,
 * doubling each time, Rc sends in all, then Rm × RTO more waiting (§6.2.1): with RTO 500 ms the
 * sends go at 0, 500, 1500, 3500, 7500, 15500, 31500 ms and the client gives up at 39500 ms.
 * Over TCP the request is sent once and the client waits Ti = 39.5 s (§6.2.2).
 */
import { randomBytes } from 'node:crypto';
import type { Clock, Timer } from '../core/index.js';
import type { StunAttribute, TransportAddress } from './attributes.js';
import { METHOD } from './constants.js';
import { StunTimeoutError } from './errors.js';
import { StunStreamFramer } from './framer.js';
import { decodeStun, encodeStun, getAttribute, type StunMessage } from './message.js';
import { formatEndpoint, type StunDatagramSocket, type StunEndpoint, type StunStream } from './transport.js';

/** RFC 8489 §6.2.1 defaults. */
export const RTO_MS = 500;
export const RC = 7;
export const RM = 16;
/** RFC 8489 §6.2.2: TCP transaction timeout. */
export const TI_MS = 39_500;

export interface StunResponse {
  readonly message: StunMessage;
  readonly raw: Buffer;
  readonly from: TransportAddress;
  /** Requests sent, retransmissions included. */
  readonly sends: number;
}

export interface RequestOptions {
  readonly attributes?: readonly StunAttribute[];
  readonly integrityKey?: Buffer;
  /** Stop waiting earlier than the RFC schedule (the command's --timeout). */
  readonly timeoutMs?: number;
  readonly method?: number;
}

export interface StunClientOptions {
  readonly socket: StunDatagramSocket;
  readonly clock: Clock;
  readonly rto?: number;
  readonly rc?: number;
  readonly rm?: number;
}

interface Pending {
  readonly resolve: (response: StunResponse) => void;
  readonly reject: (error: Error) => void;
  timer: Timer;
  sends: number;
}

export function newTransactionId(): Buffer {
  return randomBytes(12);
}

/** The Binding request the client sends (RFC 8489 §6.1). */
export function bindingRequest(transactionId: Buffer, attributes: readonly StunAttribute[] = [], method: number = METHOD.BINDING): StunMessage {
  return { method, messageClass: 'request', transactionId, attributes };
}

/** The reflexive address of a success response: XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS (RFC 8489 §12). */
export function mappedAddressOf(message: StunMessage): TransportAddress | undefined {
  return getAttribute(message, 'XOR-MAPPED-ADDRESS')?.value ?? getAttribute(message, 'MAPPED-ADDRESS')?.value;
}

export class StunClient {
  readonly #socket: StunDatagramSocket;
  readonly #clock: Clock;
  readonly #rto: number;
  readonly #rc: number;
  readonly #rm: number;
  readonly #pending = new Map<string, Pending>();
  #onRequest: (message: StunMessage, from: TransportAddress) => void = () => {};
  #closed = false;

  constructor(options: StunClientOptions) {
    this.#socket = options.socket;
    this.#clock = options.clock;
    this.#rto = options.rto ?? RTO_MS;
    this.#rc = options.rc ?? RC;
    this.#rm = options.rm ?? RM;
    this.#socket.onMessage((data, from) => this.#onMessage(data, from));
  }

  get local(): TransportAddress {
    return this.#socket.local;
  }

  /** Requests that arrive on the socket (e.g. our own, hairpinned back by the NAT). */
  onRequest(handler: (message: StunMessage, from: TransportAddress) => void): void {
    this.#onRequest = handler;
  }

  /** Sends a request and resolves with the first response (success or error) carrying its transaction ID. */
  request(destination: StunEndpoint, options: RequestOptions = {}): Promise<StunResponse> {
    const transactionId = newTransactionId();
    const bytes = encodeStun(bindingRequest(transactionId, options.attributes, options.method), options.integrityKey === undefined ? {} : { integrityKey: options.integrityKey });
    return this.send(bytes, transactionId, destination, options.timeoutMs);
  }

  /** Sends encoded request bytes with the §6.2.1 schedule; `transactionId` matches the response. */
  send(bytes: Buffer, transactionId: Buffer, destination: StunEndpoint, timeoutMs?: number): Promise<StunResponse> {
    if (this.#closed) return Promise.reject(new StunTimeoutError(formatEndpoint(destination), 0));
    const key = transactionId.toString('hex');
    const started = this.#clock.now();
    const giveUpAt = started + Math.min(timeoutMs ?? Number.POSITIVE_INFINITY, this.#scheduleTotal());
    return new Promise<StunResponse>((resolve, reject) => {
      const pending: Pending = { resolve, reject, timer: { cancel: () => {} }, sends: 0 };
      this.#pending.set(key, pending);
      let interval = this.#rto;
      const transmit = (): void => {
        // Counted before sending: a socket may deliver the response before send() returns.
        pending.sends++;
        this.#socket.send(bytes, destination.port, destination.address);
        if (this.#pending.get(key) !== pending) return;
        const last = pending.sends >= this.#rc;
        // After the last send the client waits Rm × RTO (the initial RTO), §6.2.1.
        const wait = last ? this.#rm * this.#rto : interval;
        interval *= 2;
        const due = Math.min(this.#clock.now() + wait, giveUpAt);
        pending.timer = this.#clock.setTimeout(() => {
          if (!last && this.#clock.now() < giveUpAt) transmit();
          else this.#fail(key, new StunTimeoutError(formatEndpoint(destination), this.#clock.now() - started));
        }, due - this.#clock.now());
      };
      transmit();
    });
  }

  /** Fails every pending transaction and ignores the socket from now on. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.onMessage(() => {});
    for (const key of [...this.#pending.keys()]) this.#fail(key, new StunTimeoutError('(client closed)', 0));
  }

  #scheduleTotal(): number {
    let total = 0;
    for (let i = 0; i < this.#rc - 1; i++) total += this.#rto * 2 ** i;
    return total + this.#rm * this.#rto;
  }

  #fail(key: string, error: Error): void {
    const pending = this.#pending.get(key);
    if (pending === undefined) return;
    this.#pending.delete(key);
    pending.timer.cancel();
    pending.reject(error);
  }

  #onMessage(data: Buffer, from: TransportAddress): void {
    let message: StunMessage;
    try {
      message = decodeStun(data);
    } catch {
      return; // RFC 8489 §6.3: malformed messages are discarded.
    }
    if (message.messageClass === 'request') {
      this.#onRequest(message, from);
      return;
    }
    const key = message.transactionId.toString('hex');
    const pending = this.#pending.get(key);
    if (pending === undefined) return;
    this.#pending.delete(key);
    pending.timer.cancel();
    pending.resolve({ message, raw: data, from, sends: pending.sends });
  }
}

/** One request over a connected stream: sent once, answered within Ti (RFC 8489 §6.2.2). */
export function requestOverStream(stream: StunStream, clock: Clock, options: RequestOptions = {}): Promise<StunResponse> {
  const transactionId = newTransactionId();
  const bytes = encodeStun(bindingRequest(transactionId, options.attributes, options.method), options.integrityKey === undefined ? {} : { integrityKey: options.integrityKey });
  const framer = new StunStreamFramer();
  const started = clock.now();
  const server = formatEndpoint(stream.remote);
  return new Promise<StunResponse>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new StunTimeoutError(server, clock.now() - started)), Math.min(options.timeoutMs ?? TI_MS, TI_MS));
    stream.onClose(() => {
      timer.cancel();
      reject(new StunTimeoutError(`${server} (connection closed)`, clock.now() - started));
    });
    stream.onData((chunk) => {
      let frames: Buffer[];
      try {
        frames = framer.push(chunk);
      } catch (error) {
        timer.cancel();
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      for (const raw of frames) {
        let message: StunMessage;
        try {
          message = decodeStun(raw);
        } catch {
          continue;
        }
        if (message.messageClass === 'request' || !message.transactionId.equals(transactionId)) continue;
        timer.cancel();
        resolve({ message, raw, from: stream.remote, sends: 1 });
      }
    });
    stream.write(bytes);
  });
}
