/**
 * Splits a TCP/TLS byte stream into SIP messages (RFC 3261 §18.3: Content-Length framing) and
 * reports RFC 5626 §4.4.1 keep-alives: a CRLFCRLF between messages is a "ping" (a server answers
 * it with CRLF), a lone CRLF is a "pong". Any other CRLFs before a start-line are ignored
 * (RFC 3261 §7.5). A lone CRLF at the end of the data received so far is reported as a pong at
 * once (a client waits for it); if the next chunk starts with CRLF the pair is then also reported
 * as a ping, so a ping split across two reads is still answered.
 *
 * Limits are checked before buffering: a header section, or a message by its Content-Length,
 * above `maxMessageSize` throws SipFramingError, as does a missing or invalid Content-Length.
 * The stream cannot be resynchronised after that: the caller closes the connection.
 */
import { SipFramingError } from './errors.js';

export type FramerEvent = { readonly type: 'message'; readonly bytes: Buffer } | { readonly type: 'ping' } | { readonly type: 'pong' };

export interface SipStreamFramerOptions {
  /** Largest message accepted (start line + headers + body), in bytes. */
  readonly maxMessageSize: number;
}

const CR = 0x0d;
const LF = 0x0a;
const EMPTY: Buffer = Buffer.alloc(0);

export class SipStreamFramer {
  readonly #maxMessageSize: number;
  /**
   * Received bytes live in #buf[#start, #end). It grows by doubling (amortised O(n) even when a
   * peer dribbles one byte per segment) and is never written below #end, so message bytes handed
   * out as views stay valid.
   */
  #buf: Buffer = EMPTY;
  #start = 0;
  #end = 0;
  /** #buf was allocated here (else it is a caller's chunk, never written to). */
  #owned = false;
  /** Bytes consumed before #buf[#start], for error offsets. */
  #consumed = 0;
  /** Where the search for the end of the header section resumes in #pending. */
  #scanFrom = 0;
  /** Length of the message being received, once its header section was read. */
  #frameLength: number | undefined;
  /** The last event was a pong for a CRLF that ended the data. */
  #pongAtEnd = false;

  constructor(options: SipStreamFramerOptions) {
    if (!Number.isInteger(options.maxMessageSize) || options.maxMessageSize <= 0) {
      throw new RangeError(`maxMessageSize must be a positive integer, got ${options.maxMessageSize}`);
    }
    this.#maxMessageSize = options.maxMessageSize;
  }

  /** Bytes held while waiting for the rest of a message. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  push(chunk: Buffer): FramerEvent[] {
    if (chunk.length === 0) return [];
    this.#append(chunk);
    const events: FramerEvent[] = [];
    for (;;) {
      const p = this.#pending();
      if (p.length === 0) break;
      if (p[0] === CR || p[0] === LF) {
        if (!this.#keepAlive(events)) break;
        continue;
      }
      this.#pongAtEnd = false;
      const message = this.#message();
      if (message === undefined) break;
      events.push({ type: 'message', bytes: message });
    }
    return events;
  }

  #pending(): Buffer {
    return this.#buf.subarray(this.#start, this.#end);
  }

  #append(chunk: Buffer): void {
    const held = this.#end - this.#start;
    if (held === 0) {
      // Nothing held: use the chunk itself, no copy.
      this.#buf = chunk;
      this.#owned = false;
      this.#start = 0;
      this.#end = chunk.length;
      return;
    }
    if (!this.#owned || this.#end + chunk.length > this.#buf.length) {
      const next = Buffer.allocUnsafe(Math.max(2 * (held + chunk.length), 1024));
      this.#buf.copy(next, 0, this.#start, this.#end);
      this.#buf = next;
      this.#owned = true;
      this.#start = 0;
      this.#end = held;
    }
    chunk.copy(this.#buf, this.#end);
    this.#end += chunk.length;
  }

  #consume(n: number): void {
    this.#start += n;
    this.#consumed += n;
    this.#scanFrom = 0;
    this.#frameLength = undefined;
    if (this.#start === this.#end) {
      this.#buf = EMPTY;
      this.#owned = false;
      this.#start = 0;
      this.#end = 0;
    }
  }

  /** Handles CR/LF bytes between messages; false when more data is needed to decide. */
  #keepAlive(events: FramerEvent[]): boolean {
    const p = this.#pending();
    const crlf = p[0] === CR && p[1] === LF;
    if (p[0] === CR && p.length < 2) return false;
    if (!crlf) {
      // A bare CR or LF before a start-line: ignored (RFC 3261 §7.5).
      this.#pongAtEnd = false;
      this.#consume(1);
      return true;
    }
    if (this.#pongAtEnd) {
      this.#pongAtEnd = false;
      events.push({ type: 'ping' });
      this.#consume(2);
      return true;
    }
    if (p.length >= 4 && p[2] === CR && p[3] === LF) {
      events.push({ type: 'ping' });
      this.#consume(4);
      return true;
    }
    if (p.length === 3 && p[2] === CR) return false;
    events.push({ type: 'pong' });
    this.#consume(2);
    this.#pongAtEnd = this.#end === this.#start;
    return true;
  }

  /** One complete message from #pending, or undefined when more bytes are needed. */
  #message(): Buffer | undefined {
    const p = this.#pending();
    if (this.#frameLength !== undefined) return this.#take(p, this.#frameLength);
    const headerEnd = this.#findHeaderEnd(p);
    if (headerEnd === undefined) {
      if (p.length > this.#maxMessageSize) {
        throw new SipFramingError(`header section longer than ${this.#maxMessageSize} bytes`, this.#consumed);
      }
      return undefined;
    }
    const contentLength = this.#contentLength(p.toString('latin1', 0, headerEnd));
    const total = headerEnd + contentLength;
    if (total > this.#maxMessageSize) {
      throw new SipFramingError(`message of ${total} bytes above the limit of ${this.#maxMessageSize}`, this.#consumed);
    }
    this.#frameLength = total;
    return this.#take(p, total);
  }

  #take(p: Buffer, total: number): Buffer | undefined {
    if (p.length < total) return undefined;
    const bytes = p.subarray(0, total);
    this.#consume(total);
    return bytes;
  }

  /** The offset just after the empty line that ends the header section (CRLF or bare LF lines). */
  #findHeaderEnd(p: Buffer): number | undefined {
    let i = p.indexOf(LF, this.#scanFrom);
    while (i >= 0) {
      if (p[i + 1] === LF) return i + 2;
      if (p[i + 1] === CR && p[i + 2] === LF) return i + 3;
      if (i + 2 >= p.length) break;
      i = p.indexOf(LF, i + 1);
    }
    // Resume a few bytes back so an empty line split across chunks is still found.
    this.#scanFrom = Math.max(0, p.length - 3);
    return undefined;
  }

  #contentLength(head: string): number {
    const lines = head.split(/\r?\n/);
    let found: number | undefined;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] ?? '';
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      if (name !== 'content-length' && name !== 'l') continue;
      let value = line.slice(colon + 1);
      // Folded continuation lines belong to the value (RFC 3261 §7.3.1).
      while (i + 1 < lines.length && /^[ \t]/.test(lines[i + 1] ?? '')) value += ` ${lines[++i] ?? ''}`;
      value = value.trim();
      if (!/^\d{1,10}$/.test(value)) throw new SipFramingError(`invalid Content-Length ${JSON.stringify(value.slice(0, 20))}`, this.#consumed);
      if (found !== undefined) throw new SipFramingError('more than one Content-Length', this.#consumed);
      found = Number(value);
    }
    if (found === undefined) throw new SipFramingError('missing Content-Length (mandatory on streams, RFC 3261 §18.3)', this.#consumed);
    return found;
  }
}
