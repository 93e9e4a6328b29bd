/**
 * Payload codecs of the control frames (PROTOCOL.md "Handshake", "Flow control", "Resume",
 * "Go-away"). Pure: bytes in, typed value or TunnelProtocolError(PROTOCOL_ERROR) out.
 */
import { ByteReader, ByteRangeError, ByteWriter } from '../core/index.js';
import { GoAwayReason, TunnelProtocolError, toGoAwayReason, type GoAwayReasonCode } from './errors.js';

export const Capability = { DATAGRAMS: 0x1, CONFIG_PUSH: 0x2, RESUME: 0x4 } as const;
export const ALL_CAPABILITIES = Capability.DATAGRAMS | Capability.CONFIG_PUSH | Capability.RESUME;
export const MAX_LABEL_BYTES = 255;

export interface Hello {
  readonly versions: readonly number[];
  readonly capabilities: number;
  readonly identity: string;
  readonly resumeToken: Buffer;
  /** Seconds; 0 in a client hello. */
  readonly resumeWindow: number;
}

export interface StreamPosition {
  readonly id: number;
  /** Count of DATA frames received on the stream = the next sequence number expected. */
  readonly receivedSeq: number;
}

export interface Resume {
  readonly versions: readonly number[];
  readonly resumeToken: Buffer;
  readonly streams: readonly StreamPosition[];
}

export interface GoAway {
  readonly reason: GoAwayReasonCode;
  readonly message: string;
}

export interface WindowUpdate {
  readonly delta: number;
  readonly ackSeq: number;
}

function parse<T>(what: string, payload: Buffer, read: (r: ByteReader) => T): T {
  const r = new ByteReader(payload);
  try {
    const value = read(r);
    if (r.remaining !== 0) throw new TunnelProtocolError(GoAwayReason.PROTOCOL_ERROR, `${what}: ${r.remaining} trailing bytes`, r.offset);
    return value;
  } catch (error) {
    if (error instanceof ByteRangeError) throw new TunnelProtocolError(GoAwayReason.PROTOCOL_ERROR, `${what}: ${error.message}`, error.at);
    throw error;
  }
}

function readVersions(r: ByteReader, what: string): number[] {
  const count = r.u8('Version Count');
  if (count === 0) throw new TunnelProtocolError(GoAwayReason.PROTOCOL_ERROR, `${what}: empty version list`, r.offset);
  return [...r.bytes(count, 'Versions')];
}

function readUtf8(r: ByteReader, length: number, what: string): string {
  const bytes = r.bytes(length, what);
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) throw new TunnelProtocolError(GoAwayReason.PROTOCOL_ERROR, `${what} is not UTF-8`, r.offset);
  return text;
}

export function encodeHello(h: Hello): Buffer {
  const identity = Buffer.from(h.identity, 'utf8');
  return new ByteWriter(16 + identity.length + h.resumeToken.length)
    .u8(h.versions.length).bytes(Buffer.from(h.versions))
    .u32(h.capabilities)
    .u16(identity.length).bytes(identity)
    .u16(h.resumeToken.length).bytes(h.resumeToken)
    .u32(h.resumeWindow)
    .toBuffer();
}

export function decodeHello(payload: Buffer): Hello {
  return parse('HELLO', payload, (r) => {
    const versions = readVersions(r, 'HELLO');
    const capabilities = r.u32('Capabilities');
    const identity = readUtf8(r, r.u16('Identity Length'), 'Identity');
    const resumeToken = Buffer.from(r.bytes(r.u16('Resume Token Length'), 'Resume Token'));
    const resumeWindow = r.u32('Resume Window');
    return { versions, capabilities, identity, resumeToken, resumeWindow };
  });
}

export function encodeResume(m: Resume): Buffer {
  const w = new ByteWriter(8 + m.resumeToken.length + m.streams.length * 8)
    .u8(m.versions.length).bytes(Buffer.from(m.versions))
    .u16(m.resumeToken.length).bytes(m.resumeToken)
    .u32(m.streams.length);
  for (const s of m.streams) w.u32(s.id).u32(s.receivedSeq);
  return w.toBuffer();
}

export function decodeResume(payload: Buffer): Resume {
  return parse('RESUME', payload, (r) => {
    const versions = readVersions(r, 'RESUME');
    const resumeToken = Buffer.from(r.bytes(r.u16('Resume Token Length'), 'Resume Token'));
    const count = r.u32('Stream Count');
    // Check the count against the bytes present before allocating for it.
    if (count * 8 !== r.remaining) throw new TunnelProtocolError(GoAwayReason.PROTOCOL_ERROR, `RESUME: ${count} streams in ${r.remaining} bytes`, r.offset);
    const streams: StreamPosition[] = [];
    for (let i = 0; i < count; i++) streams.push({ id: r.u32('Stream ID'), receivedSeq: r.u32('Received Seq') });
    return { versions, resumeToken, streams };
  });
}

export function encodeGoAway(g: GoAway): Buffer {
  const message = Buffer.from(g.message, 'utf8').subarray(0, 1024);
  return new ByteWriter(6 + message.length).u32(g.reason).u16(message.length).bytes(message).toBuffer();
}

export function decodeGoAway(payload: Buffer): GoAway {
  return parse('GO_AWAY', payload, (r) => {
    const reason = toGoAwayReason(r.u32('Reason'));
    const message = r.bytes(r.u16('Message Length'), 'Message').toString('utf8');
    return { reason, message };
  });
}

export function encodeWindowUpdate(u: WindowUpdate): Buffer {
  const out = Buffer.allocUnsafe(8);
  out.writeUInt32BE(u.delta, 0);
  out.writeUInt32BE(u.ackSeq >>> 0, 4);
  return out;
}

export function decodeWindowUpdate(payload: Buffer): WindowUpdate {
  return parse('WINDOW_UPDATE', payload, (r) => ({ delta: r.u32('Delta'), ackSeq: r.u32('Ack Seq') }));
}

export function decodePing(payload: Buffer): Buffer {
  if (payload.length !== 8) throw new TunnelProtocolError(GoAwayReason.PROTOCOL_ERROR, `PING payload of ${payload.length} bytes, not 8`);
  return payload;
}

export function decodeLabel(payload: Buffer): string {
  if (payload.length > MAX_LABEL_BYTES) throw new TunnelProtocolError(GoAwayReason.PROTOCOL_ERROR, `channel label of ${payload.length} bytes`);
  return parse('DATAGRAM label', payload, (r) => readUtf8(r, payload.length, 'Label'));
}

/** Highest version in both lists, or undefined (PROTOCOL.md "version negotiation"). */
export function negotiateVersion(offered: readonly number[], supported: readonly number[]): number | undefined {
  let best: number | undefined;
  for (const v of offered) if (supported.includes(v) && (best === undefined || v > best)) best = v;
  return best;
}
