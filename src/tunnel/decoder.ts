/**
 * Streaming frame decoder: bytes arrive in chunks of any size (TCP segments, TLS records, WebSocket
 * messages); whole frames come out, the same however the input is chunked. The header is validated,
 * including Length against the maximum, before any payload is buffered (PROTOCOL.md "Maximum frame
 * size"). After the first error the decoder stays failed: a byte stream cannot be resynchronised.
 */
import { GoAwayReason, TunnelProtocolError } from './errors.js';
import { HEADER_SIZE, MAX_PAYLOAD, decodeHeader, type Frame } from './frame.js';

export class FrameDecoder {
  readonly #maxPayload: number;
  #pending: Buffer | undefined;
  #failed: TunnelProtocolError | undefined;
  #consumed = 0;

  constructor(maxPayload = MAX_PAYLOAD) {
    this.#maxPayload = maxPayload;
  }

  /** Bytes held waiting for the rest of a frame. */
  get buffered(): number {
    return this.#pending?.length ?? 0;
  }

  /**
   * Feeds a chunk; calls `onFrame` for each whole frame, in order. Payloads are views into the
   * chunk (no copy) unless the frame straddled chunks. Throws TunnelProtocolError.
   */
  push(chunk: Buffer, onFrame: (frame: Frame) => void): void {
    if (this.#failed !== undefined) throw this.#failed;
    let buf = chunk;
    if (this.#pending !== undefined) {
      buf = Buffer.concat([this.#pending, chunk]);
      this.#pending = undefined;
    }
    let at = 0;
    try {
      while (buf.length - at >= HEADER_SIZE) {
        const h = decodeHeader(buf, at, this.#maxPayload);
        const end = at + HEADER_SIZE + h.length;
        if (end > buf.length) break;
        const frame: Frame = { version: h.version, type: h.type, flags: h.flags, id: h.id, payload: buf.subarray(at + HEADER_SIZE, end) };
        at = end;
        onFrame(frame);
      }
    } catch (error) {
      this.#failed = error instanceof TunnelProtocolError
        ? new TunnelProtocolError(error.reason, error.message.replace(/^[A-Z_]+: /, ''), this.#consumed + error.at)
        : new TunnelProtocolError(GoAwayReason.INTERNAL_ERROR, String(error), this.#consumed + at);
      throw this.#failed;
    }
    if (at < buf.length) this.#pending = Buffer.from(buf.subarray(at));
    this.#consumed += at;
  }
}
