/**
 * SRTP (RFC 3711) for RTP with the two SDES suites phones offer (RFC 4568 §6.2):
 * AES_CM_128_HMAC_SHA1_80 and AES_CM_128_HMAC_SHA1_32: AES-128 counter mode, HMAC-SHA1 tag of
 * 80 or 32 bits, key derivation rate 0, no MKI. One SrtpSender protects what the agent sends
 * (with its own master key), one SrtpReceiver unprotects what the phone sends (with the phone's).
 *
 * A packet that fails authentication, is replayed or is malformed is counted and dropped
 * (`unprotect` returns undefined): on the wire it is noise or an attack, not an error of ours
 * (RFC 3711 §3.3: "the packet MUST be discarded").
 */
import { createCipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { parseRtpHeader, type RtpHeader } from './header.js';
import { RtpParseError } from './rtp-parse-error.js';
import { SrtpError, deriveSrtpSessionKeys, type SrtpSessionKeys } from './srtp-keys.js';

/** Tag length in bytes of each suite (RFC 4568 §6.2.1 and §6.2.2). */
export const SRTP_SUITES = { AES_CM_128_HMAC_SHA1_80: { tagLength: 10 }, AES_CM_128_HMAC_SHA1_32: { tagLength: 4 } } as const;
export type SrtpSuite = keyof typeof SRTP_SUITES;

export function isSrtpSuite(name: string): name is SrtpSuite {
  return Object.hasOwn(SRTP_SUITES, name);
}

export interface SrtpKeyMaterial {
  readonly suite: SrtpSuite;
  readonly masterKey: Buffer;
  readonly masterSalt: Buffer;
}

/** RFC 3711 §3.3.2: the replay list covers at least 64 packets behind the highest index. */
export const REPLAY_WINDOW = 64;
/** Streams (SSRCs) whose rollover state is kept per context; the oldest is forgotten beyond this. */
const MAX_STREAMS = 16;

interface StreamState {
  /** s_l: the highest sequence number seen (§3.3.1). */
  highestSeq: number;
  roc: number;
  /** Bit k set: index (highest − k) was received (§3.3.2 replay list). */
  window: bigint;
}

abstract class SrtpContext {
  readonly suite: SrtpSuite;
  protected readonly keys: SrtpSessionKeys;
  protected readonly tagLength: number;
  protected readonly streams = new Map<number, StreamState>();

  constructor(m: SrtpKeyMaterial) {
    if (!isSrtpSuite(m.suite)) throw new SrtpError(`unknown suite '${String(m.suite)}'`);
    this.suite = m.suite;
    this.keys = deriveSrtpSessionKeys(m.masterKey, m.masterSalt);
    this.tagLength = SRTP_SUITES[m.suite].tagLength;
  }

  /**
   * The 32-bit IV of §4.1.1, 128 bits: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16),
   * i = 2^16 * ROC + SEQ (the 48-bit packet index).
   */
  protected iv(ssrc: number, roc: number, seq: number): Buffer {
    const iv = Buffer.alloc(16);
    this.keys.salt.copy(iv, 0);
    iv.writeUInt32BE((iv.readUInt32BE(4) ^ ssrc) >>> 0, 4);
    iv.writeUInt32BE((iv.readUInt32BE(8) ^ roc) >>> 0, 8);
    iv.writeUInt16BE(iv.readUInt16BE(12) ^ seq, 12);
    return iv;
  }

  /** §4.2: HMAC-SHA1 over the authenticated portion (header + encrypted payload) || ROC, truncated. */
  protected tag(authenticated: Buffer, roc: number): Buffer {
    const rocBytes = Buffer.alloc(4);
    rocBytes.writeUInt32BE(roc >>> 0, 0);
    return createHmac('sha1', this.keys.authKey).update(authenticated).update(rocBytes).digest().subarray(0, this.tagLength);
  }

  /**
   * The keystream XOR of §4.1 over the payload (the header stays in the clear): AES-128-CTR from
   * the IV is exactly AES-CM, so the cipher's output is payload XOR keystream.
   */
  protected crypt(packet: Buffer, header: RtpHeader, roc: number): Buffer {
    const start = header.headerLength;
    const cipher = createCipheriv('aes-128-ctr', this.keys.cipherKey, this.iv(header.ssrc, roc, header.sequenceNumber));
    return Buffer.concat([packet.subarray(0, start), cipher.update(packet.subarray(start))]);
  }

  protected remember(ssrc: number, state: StreamState): void {
    this.streams.delete(ssrc);
    this.streams.set(ssrc, state);
    if (this.streams.size > MAX_STREAMS) {
      const oldest = this.streams.keys().next().value;
      if (oldest !== undefined) this.streams.delete(oldest);
    }
  }
}

/**
 * §3.3.1 (Appendix A): the ROC the sender most likely used, from s_l and the packet's SEQ.
 * Returns the guessed ROC (v) for this packet.
 */
export function estimateRoc(highestSeq: number, roc: number, seq: number): number {
  if (highestSeq < 32768) return seq - highestSeq > 32768 ? (roc - 1) >>> 0 : roc;
  return highestSeq - 32768 > seq ? (roc + 1) >>> 0 : roc;
}

export class SrtpSender extends SrtpContext {
  /** Protects one RTP packet (a well-formed one of ours; a malformed one is an RtpParseError). */
  protect(packet: Buffer): Buffer {
    const header = parseRtpHeader(packet);
    const state = this.streams.get(header.ssrc);
    let roc = 0;
    if (state !== undefined) {
      roc = estimateRoc(state.highestSeq, state.roc, header.sequenceNumber);
      // The sender's ROC only moves forward: a wrap of SEQ (65535 → 0) adds one (§3.3.1).
      if (roc === (state.roc + 1) >>> 0 || (roc === state.roc && header.sequenceNumber > state.highestSeq)) {
        state.highestSeq = header.sequenceNumber;
        state.roc = roc;
      }
    } else {
      this.remember(header.ssrc, { highestSeq: header.sequenceNumber, roc: 0, window: 1n });
    }
    const encrypted = this.crypt(packet, header, roc);
    return Buffer.concat([encrypted, this.tag(encrypted, roc)]);
  }
}

export interface SrtpReceiverCounters {
  readonly unprotected: number;
  readonly authFailures: number;
  readonly replayed: number;
  readonly malformed: number;
}

export class SrtpReceiver extends SrtpContext {
  #unprotected = 0;
  #authFailures = 0;
  #replayed = 0;
  #malformed = 0;

  get counters(): SrtpReceiverCounters {
    return { unprotected: this.#unprotected, authFailures: this.#authFailures, replayed: this.#replayed, malformed: this.#malformed };
  }

  /** The plain RTP packet, or undefined when it is too short, replayed or fails authentication (counted). */
  unprotect(packet: Buffer): Buffer | undefined {
    if (packet.length < 12 + this.tagLength) {
      this.#malformed++;
      return undefined;
    }
    const authenticated = packet.subarray(0, packet.length - this.tagLength);
    let header: RtpHeader;
    try {
      // Padding is encrypted, so only the header's own lengths can be checked before decryption.
      header = parseRtpHeader(clearPadding(authenticated));
    } catch (err) {
      if (!(err instanceof RtpParseError)) throw err;
      this.#malformed++;
      return undefined;
    }
    const state = this.streams.get(header.ssrc);
    const seq = header.sequenceNumber;
    const roc = state === undefined ? 0 : estimateRoc(state.highestSeq, state.roc, seq);
    const index = roc * 65536 + seq;
    const highest = state === undefined ? undefined : state.roc * 65536 + state.highestSeq;
    if (state !== undefined && highest !== undefined && index <= highest) {
      const behind = highest - index;
      if (behind >= REPLAY_WINDOW || (state.window & (1n << BigInt(behind))) !== 0n) {
        this.#replayed++;
        return undefined;
      }
    }
    const expected = this.tag(authenticated, roc);
    const actual = packet.subarray(packet.length - this.tagLength);
    if (!timingSafeEqual(expected, actual)) {
      this.#authFailures++;
      return undefined;
    }
    // §3.3.1: s_l and ROC are updated only after the packet is authenticated.
    if (state === undefined || highest === undefined) {
      this.remember(header.ssrc, { highestSeq: seq, roc, window: 1n });
    } else if (index > highest) {
      const ahead = index - highest;
      state.window = ahead >= REPLAY_WINDOW ? 1n : ((state.window << BigInt(ahead)) | 1n) & ((1n << BigInt(REPLAY_WINDOW)) - 1n);
      state.highestSeq = seq;
      state.roc = roc;
    } else {
      state.window |= 1n << BigInt(highest - index);
    }
    this.#unprotected++;
    return this.crypt(authenticated, header, roc);
  }
}

/** A copy without the P bit: the padding count is encrypted, so it cannot be checked yet. */
function clearPadding(packet: Buffer): Buffer {
  if (((packet[0] ?? 0) & 0x20) === 0) return packet;
  const copy = Buffer.from(packet.subarray(0, Math.min(packet.length, 16)));
  copy[0] = (copy[0] ?? 0) & ~0x20;
  return Buffer.concat([copy, packet.subarray(copy.length)]);
}
