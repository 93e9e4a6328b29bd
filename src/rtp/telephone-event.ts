/**
 * RFC 4733 telephone-events (DTMF as RTP): the 4-byte payload of §2.3 (event, E bit, R bit,
 * volume, duration) and a receiver that turns a stream of them into digits. A sender repeats each
 * event's packets while the key is held (same RTP timestamp, growing duration) and sends the final
 * packet, E set, three times (§2.5.1.4): the receiver reports each event once, on its first end
 * packet, and ignores the repeats; an event whose end packets were all lost is reported when the
 * next event starts (a new timestamp) or when `flush()` is called.
 */
import { RtpParseError } from './rtp-parse-error.js';

export interface TelephoneEvent {
  /** 0–9 digits, 10 `*`, 11 `#`, 12–15 A–D, 16 flash (§3.2). */
  readonly event: number;
  readonly end: boolean;
  /** Power level in −dBm0 (0–63). */
  readonly volume: number;
  /** In timestamp units since the event began. */
  readonly duration: number;
}

const DIGITS = '0123456789*#ABCD';

/** The character of an event (`*`, `#`, `A`…), `flash` for 16, undefined for others. */
export function eventSymbol(event: number): string | undefined {
  if (event === 16) return 'flash';
  return DIGITS[event];
}

export function parseTelephoneEvent(payload: Buffer): TelephoneEvent {
  if (payload.length < 4) throw new RtpParseError('rtp', payload.length, `telephone-event payload of ${payload.length} bytes (4 needed)`);
  const flags = payload.readUInt8(1);
  return { event: payload.readUInt8(0), end: (flags & 0x80) !== 0, volume: flags & 0x3f, duration: payload.readUInt16BE(2) };
}

export function encodeTelephoneEvent(e: TelephoneEvent): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt8(e.event & 0xff, 0);
  out.writeUInt8((e.end ? 0x80 : 0) | (e.volume & 0x3f), 1);
  out.writeUInt16BE(e.duration & 0xffff, 2);
  return out;
}

export interface DtmfDigit {
  readonly symbol: string;
  /** The RTP timestamp the event began at. */
  readonly timestamp: number;
  /** Timestamp units (8,000 per second for telephone-event/8000). */
  readonly duration: number;
  /** False when its end packets were lost and a later event (or flush) ended it. */
  readonly ended: boolean;
}

export class DtmfReceiver {
  readonly #onDigit: (digit: DtmfDigit) => void;
  #current: { timestamp: number; event: number; duration: number } | undefined;
  /** Timestamps of events already reported (the repeated end packets find theirs here). */
  readonly #reported: number[] = [];

  constructor(onDigit: (digit: DtmfDigit) => void) {
    this.#onDigit = onDigit;
  }

  /** One telephone-event RTP packet: its RTP timestamp and payload. Malformed payloads throw RtpParseError. */
  receive(timestamp: number, payload: Buffer): void {
    const e = parseTelephoneEvent(payload);
    if (this.#reported.includes(timestamp)) return;
    if (this.#current !== undefined && this.#current.timestamp !== timestamp) this.flush();
    this.#current = { timestamp, event: e.event, duration: Math.max(e.duration, this.#current?.duration ?? 0) };
    if (e.end) this.#report(true);
  }

  /** Reports an event still open (its end packets lost), as a call or a prompt ends. */
  flush(): void {
    if (this.#current !== undefined) this.#report(false);
  }

  #report(ended: boolean): void {
    const c = this.#current;
    if (c === undefined) return;
    this.#current = undefined;
    this.#reported.push(c.timestamp);
    if (this.#reported.length > 8) this.#reported.shift();
    const symbol = eventSymbol(c.event);
    if (symbol !== undefined) this.#onDigit({ symbol, timestamp: c.timestamp, duration: c.duration, ended });
  }
}
