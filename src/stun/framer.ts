/**
 * STUN over TCP (RFC 8489 §6.2.2): messages follow each other on the stream with no extra
 * framing; each one's length comes from its header. The framer cuts the stream into messages.
 */
import { HEADER_LENGTH } from './constants.js';
import { StunDecodeError } from './errors.js';

export class StunStreamFramer {
  #pending: Buffer = Buffer.alloc(0);
  #consumed = 0;

  /** Adds bytes; returns every complete message. A header that cannot start a STUN message throws. */
  push(chunk: Buffer): Buffer[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const out: Buffer[] = [];
    while (this.#pending.length >= 4) {
      const type = this.#pending.readUInt16BE(0);
      const length = this.#pending.readUInt16BE(2);
      // RFC 8489 §5: the first two bits are zero and Length is a multiple of 4; else the stream is lost.
      if ((type & 0xc000) !== 0 || length % 4 !== 0) {
        throw new StunDecodeError(`stream byte ${this.#consumed} does not start a STUN message`, this.#consumed);
      }
      const total = HEADER_LENGTH + length;
      if (this.#pending.length < total) break;
      out.push(Buffer.from(this.#pending.subarray(0, total)));
      this.#pending = this.#pending.subarray(total);
      this.#consumed += total;
    }
    return out;
  }

  /** Bytes held waiting for the rest of a message. */
  get buffered(): number {
    return this.#pending.length;
  }
}
