/**
 * Tunnel frames (PROTOCOL.md "Frame header"): a 12-byte header and a payload. Pure codec.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------+---------------+-------------------------------+
 *  |    Version    |     Type      |             Flags             |
 *  +---------------+---------------+-------------------------------+
 *  |                      Stream ID / Channel ID                   |
 *  +---------------------------------------------------------------+
 *  |                            Length                             |
 *  +---------------------------------------------------------------+
 */
import { ByteReader, ByteRangeError } from '../core/index.js';
import { GoAwayReason, TunnelProtocolError } from './errors.js';

export const PROTOCOL_VERSION = 1;
export const SUPPORTED_VERSIONS: readonly number[] = [1];
export const HEADER_SIZE = 12;
/** PROTOCOL.md "Maximum frame size": checked before any payload is buffered. */
export const MAX_PAYLOAD = 65_536;

export const FrameType = {
  DATA: 0x00,
  WINDOW_UPDATE: 0x01,
  DATAGRAM: 0x02,
  PING: 0x03,
  HELLO: 0x04,
  RESUME: 0x05,
  CONFIG: 0x06,
  GO_AWAY: 0x07,
} as const;
export type FrameTypeCode = (typeof FrameType)[keyof typeof FrameType];

export const Flag = { SYN: 0x0001, ACK: 0x0002, FIN: 0x0004, RST: 0x0008 } as const;

const ALL = Flag.SYN | Flag.ACK | Flag.FIN | Flag.RST;
/** Flags each type allows (PROTOCOL.md "Frame types"); any other bit is a protocol error. */
const ALLOWED_FLAGS: readonly number[] = [
  ALL, // DATA
  ALL, // WINDOW_UPDATE
  Flag.SYN | Flag.ACK | Flag.FIN, // DATAGRAM
  Flag.SYN | Flag.ACK, // PING
  Flag.SYN | Flag.ACK, // HELLO
  Flag.SYN | Flag.ACK, // RESUME
  Flag.SYN | Flag.FIN, // CONFIG
  0, // GO_AWAY
];
/** Types that belong to the session, not to a stream, channel or transfer: their ID must be 0. */
const SESSION_TYPES: ReadonlySet<number> = new Set([FrameType.PING, FrameType.HELLO, FrameType.RESUME, FrameType.GO_AWAY]);

export interface FrameHeader {
  readonly version: number;
  readonly type: FrameTypeCode;
  readonly flags: number;
  /** Stream ID, channel ID or transfer ID; 0 for session-level types. */
  readonly id: number;
  readonly length: number;
}

export interface Frame {
  readonly version: number;
  readonly type: FrameTypeCode;
  readonly flags: number;
  readonly id: number;
  readonly payload: Buffer;
}

/**
 * Decodes and validates a header at `offset`. Throws TunnelProtocolError with the go-away reason:
 * unknown version → UNSUPPORTED_VERSION, unknown type or bad flags or bad ID → PROTOCOL_ERROR,
 * Length above `maxPayload` → FRAME_TOO_LARGE.
 */
export function decodeHeader(buf: Buffer, offset = 0, maxPayload = MAX_PAYLOAD): FrameHeader {
  let r: ByteReader;
  let version: number, type: number, flags: number, id: number, length: number;
  try {
    r = new ByteReader(buf, offset, Math.min(buf.length, offset + HEADER_SIZE));
    version = r.u8('Version');
    type = r.u8('Type');
    flags = r.u16('Flags');
    id = r.u32('Stream ID');
    length = r.u32('Length');
  } catch (error) {
    if (error instanceof ByteRangeError) throw new TunnelProtocolError(GoAwayReason.PROTOCOL_ERROR, `truncated header: ${error.message}`, error.at);
    throw error;
  }
  if (!SUPPORTED_VERSIONS.includes(version)) {
    throw new TunnelProtocolError(GoAwayReason.UNSUPPORTED_VERSION, `header version ${version}`, offset);
  }
  const allowed = ALLOWED_FLAGS[type];
  if (allowed === undefined) throw new TunnelProtocolError(GoAwayReason.PROTOCOL_ERROR, `unknown frame type ${type}`, offset + 1);
  if ((flags & ~allowed) !== 0) {
    throw new TunnelProtocolError(GoAwayReason.PROTOCOL_ERROR, `flags 0x${flags.toString(16)} not allowed on type ${type}`, offset + 2);
  }
  if (SESSION_TYPES.has(type) ? id !== 0 : id === 0) {
    throw new TunnelProtocolError(GoAwayReason.PROTOCOL_ERROR, `id ${id} not allowed on type ${type}`, offset + 4);
  }
  if (length > maxPayload) {
    throw new TunnelProtocolError(GoAwayReason.FRAME_TOO_LARGE, `length ${length} above ${maxPayload}`, offset + 8);
  }
  return { version, type: type as FrameTypeCode, flags, id, length };
}

function writeHeader(target: Buffer, at: number, f: Frame): number {
  target[at] = f.version;
  target[at + 1] = f.type;
  target.writeUInt16BE(f.flags, at + 2);
  target.writeUInt32BE(f.id, at + 4);
  target.writeUInt32BE(f.payload.length, at + 8);
  return at + HEADER_SIZE;
}

/** Size of a frame on the wire. */
export function frameSize(f: Frame): number {
  return HEADER_SIZE + f.payload.length;
}

/**
 * Encodes frames back to back into one buffer: one carriage write (one TLS record, one WebSocket
 * message) then carries many frames. Frames are assumed valid; `validateFrame` checks them.
 */
export function encodeFrames(frames: readonly Frame[]): Buffer {
  let total = 0;
  for (const f of frames) total += HEADER_SIZE + f.payload.length;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const f of frames) {
    at = writeHeader(out, at, f);
    f.payload.copy(out, at);
    at += f.payload.length;
  }
  return out;
}

/** Checks that a frame encodes to a header that `decodeHeader` accepts. */
export function validateFrame(f: Frame, maxPayload = MAX_PAYLOAD): void {
  if (!Number.isInteger(f.id) || f.id < 0 || f.id > 0xffffffff || !Number.isInteger(f.flags) || f.flags < 0 || f.flags > 0xffff) {
    throw new TunnelProtocolError(GoAwayReason.INTERNAL_ERROR, 'frame field out of range');
  }
  const header = Buffer.allocUnsafe(HEADER_SIZE);
  writeHeader(header, 0, f);
  decodeHeader(header, 0, maxPayload);
}

export function encodeFrame(f: Frame): Buffer {
  validateFrame(f);
  return encodeFrames([f]);
}

/** Decodes exactly one frame occupying the whole buffer. */
export function decodeFrame(buf: Buffer, maxPayload = MAX_PAYLOAD): Frame {
  const h = decodeHeader(buf, 0, maxPayload);
  if (buf.length !== HEADER_SIZE + h.length) {
    throw new TunnelProtocolError(GoAwayReason.PROTOCOL_ERROR, `frame of ${buf.length} bytes, header says ${HEADER_SIZE + h.length}`, 8);
  }
  return { version: h.version, type: h.type, flags: h.flags, id: h.id, payload: buf.subarray(HEADER_SIZE) };
}
