/**
 * Config push (PROTOCOL.md "Config push"): a snapshot is cut into CONFIG frames of one transfer
 * ID; the first (SYN) begins with the total length, the last carries FIN. Pure.
 */
import { GoAwayReason, TunnelProtocolError } from './errors.js';
import { Flag, FrameType, MAX_PAYLOAD, type Frame } from './frame.js';

export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

export function chunkConfig(id: number, data: Buffer, version: number): Frame[] {
  const frames: Frame[] = [];
  const first = Buffer.allocUnsafe(4 + Math.min(data.length, MAX_PAYLOAD - 4));
  first.writeUInt32BE(data.length, 0);
  data.copy(first, 4, 0, first.length - 4);
  let at = first.length - 4;
  frames.push({ version, type: FrameType.CONFIG, flags: Flag.SYN, id, payload: first });
  while (at < data.length) {
    const end = Math.min(data.length, at + MAX_PAYLOAD);
    frames.push({ version, type: FrameType.CONFIG, flags: 0, id, payload: data.subarray(at, end) });
    at = end;
  }
  const last = frames[frames.length - 1] as Frame;
  frames[frames.length - 1] = { ...last, flags: last.flags | Flag.FIN };
  return frames;
}

/** Reassembles one transfer at a time; a SYN starts a new one and abandons any partial one. */
export class ConfigAssembler {
  readonly #max: number;
  #id = 0;
  #total = 0;
  #parts: Buffer[] = [];
  #have = 0;
  #active = false;

  constructor(max = MAX_CONFIG_BYTES) {
    this.#max = max;
  }

  reset(): void {
    this.#active = false;
    this.#parts = [];
    this.#have = 0;
  }

  /** Returns the whole snapshot when the frame completes it. */
  push(frame: Frame): { id: number; data: Buffer } | undefined {
    let payload = frame.payload;
    if ((frame.flags & Flag.SYN) !== 0) {
      if (payload.length < 4) throw new TunnelProtocolError(GoAwayReason.PROTOCOL_ERROR, 'CONFIG SYN without Total Length');
      const total = payload.readUInt32BE(0);
      if (total > this.#max) throw new TunnelProtocolError(GoAwayReason.PROTOCOL_ERROR, `config of ${total} bytes above ${this.#max}`);
      this.reset();
      this.#active = true;
      this.#id = frame.id;
      this.#total = total;
      payload = payload.subarray(4);
    } else if (!this.#active || frame.id !== this.#id) {
      throw new TunnelProtocolError(GoAwayReason.PROTOCOL_ERROR, `CONFIG chunk for transfer ${frame.id} not started`);
    }
    if (this.#have + payload.length > this.#total) throw new TunnelProtocolError(GoAwayReason.PROTOCOL_ERROR, 'CONFIG chunks overflow Total Length');
    this.#parts.push(Buffer.from(payload));
    this.#have += payload.length;
    if ((frame.flags & Flag.FIN) === 0) return undefined;
    if (this.#have !== this.#total) throw new TunnelProtocolError(GoAwayReason.PROTOCOL_ERROR, `CONFIG FIN at ${this.#have} of ${this.#total} bytes`);
    const data = Buffer.concat(this.#parts);
    this.reset();
    return { id: frame.id, data };
  }
}
