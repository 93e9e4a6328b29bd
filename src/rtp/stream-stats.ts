/**
 * Statistics of one direction of an RTP stream, as a receiver keeps them (RFC 3550 §6.4.1,
 * Appendix A.1 sequence validation, A.3 loss, A.8 interarrival jitter). Pure bookkeeping: the
 * caller passes each packet with its arrival time from its Clock.
 */
import { STATIC_CLOCK_RATES } from './clock-rates.js';
import { classifyPacket } from './demux.js';
import { parseRtpHeader, type RtpHeader } from './header.js';

/** RFC 3550 Appendix A.1 constants. */
export const MAX_DROPOUT = 3000;
export const MAX_MISORDER = 100;
export const MIN_SEQUENTIAL = 2;
const RTP_SEQ_MOD = 1 << 16;

export interface RtpStreamSnapshot {
  /** Every RTP packet and its bytes (UDP payload), including probation, duplicates and late ones. */
  readonly packets: number;
  readonly bytes: number;
  readonly rtcpPackets: number;
  readonly rtcpBytes: number;
  /** Datagrams that were neither valid RTP nor RTCP. */
  readonly invalid: number;
  readonly ssrc: number | undefined;
  readonly payloadType: number | undefined;
  /** RFC 3550 A.3: extended highest sequence number received − base + 1 (over every source so far). */
  readonly expected: number;
  /** Packets counted by the A.1 algorithm (after probation). */
  readonly received: number;
  /** expected − received; negative when duplicates outnumber losses (RFC 3550 §6.4.1). */
  readonly lost: number;
  /** max(0, lost) / expected, 0 when nothing is expected. */
  readonly lossRatio: number;
  /** Packets that arrived with a sequence number behind the highest (A.1 "duplicate or reordered"). */
  readonly lateOrDuplicate: number;
  /** Sequence restarts detected by A.1 (two packets in sequence after a very large jump). */
  readonly restarts: number;
  readonly ssrcChanges: number;
  /** Interarrival jitter J (RFC 3550 A.8) in timestamp units, and in milliseconds. */
  readonly jitter: number;
  readonly jitterMs: number;
  readonly firstPacketAt: number | undefined;
  readonly lastPacketAt: number | undefined;
}

export interface RtpStreamStatsOptions {
  /** Clock rates of dynamic payload types (from a=rtpmap); static ones are known. */
  readonly clockRates?: ReadonlyMap<number, number>;
}

export type PacketKind = 'rtp' | 'rtcp' | 'other';

function signed32(n: number): number {
  return n | 0;
}

export class RtpStreamStats {
  #clockRates: ReadonlyMap<number, number>;
  #packets = 0;
  #bytes = 0;
  #rtcpPackets = 0;
  #rtcpBytes = 0;
  #invalid = 0;
  #ssrc: number | undefined;
  #payloadType: number | undefined;
  // RFC 3550 A.1 source state.
  #maxSeq = 0;
  #cycles = 0;
  #baseSeq = 0;
  #badSeq = RTP_SEQ_MOD + 1;
  #probation = 0;
  #received = 0;
  #priorExpected = 0;
  #priorReceived = 0;
  #lateOrDuplicate = 0;
  #restarts = 0;
  #ssrcChanges = 0;
  // RFC 3550 A.8 state: the previous packet of the same payload type.
  #jitter = 0;
  #jitterRate = 8000;
  #prev: { arrival: number; timestamp: number; payloadType: number } | undefined;
  #firstAt: number | undefined;
  #lastAt: number | undefined;

  constructor(options: RtpStreamStatsOptions = {}) {
    this.#clockRates = options.clockRates ?? new Map();
  }

  /** For a re-INVITE that changes codecs. */
  setClockRates(rates: ReadonlyMap<number, number>): void {
    this.#clockRates = rates;
  }

  clockRateOf(payloadType: number): number | undefined {
    return this.#clockRates.get(payloadType) ?? STATIC_CLOCK_RATES.get(payloadType);
  }

  /** Classifies one datagram (RFC 7983, RFC 5761) and counts it; `arrivalMs` from the caller's Clock. */
  record(packet: Buffer, arrivalMs: number): PacketKind {
    const kind = classifyPacket(packet);
    if (kind === 'rtcp') {
      this.#rtcpPackets++;
      this.#rtcpBytes += packet.length;
      return 'rtcp';
    }
    if (kind !== 'rtp') {
      this.#invalid++;
      return 'other';
    }
    let header: RtpHeader;
    try {
      header = parseRtpHeader(packet);
    } catch {
      this.#invalid++;
      return 'other';
    }
    this.#rtp(header, packet.length, arrivalMs);
    return 'rtp';
  }

  #rtp(h: RtpHeader, size: number, arrivalMs: number): void {
    this.#packets++;
    this.#bytes += size;
    this.#firstAt ??= arrivalMs;
    this.#lastAt = arrivalMs;
    this.#payloadType = h.payloadType;
    if (this.#ssrc !== h.ssrc) {
      if (this.#ssrc !== undefined) {
        this.#ssrcChanges++;
        this.#foldSource();
      }
      this.#ssrc = h.ssrc;
      this.#newSource(h.sequenceNumber);
      this.#prev = undefined;
    }
    this.#updateSeq(h.sequenceNumber);
    this.#updateJitter(h, arrivalMs);
  }

  /** A.1: a new source is on probation until MIN_SEQUENTIAL packets arrive in sequence. */
  #newSource(seq: number): void {
    this.#initSeq(seq);
    this.#maxSeq = (seq - 1) & 0xffff;
    this.#probation = MIN_SEQUENTIAL;
  }

  #initSeq(seq: number): void {
    this.#baseSeq = seq;
    this.#maxSeq = seq;
    this.#badSeq = RTP_SEQ_MOD + 1;
    this.#cycles = 0;
    this.#received = 0;
  }

  #currentExpected(): number {
    return this.#probation > 0 ? 0 : this.#cycles + this.#maxSeq - this.#baseSeq + 1;
  }

  /** Keeps the counts of a source that ended (SSRC change or restart) in the totals. */
  #foldSource(): void {
    this.#priorExpected += this.#currentExpected();
    this.#priorReceived += this.#received;
  }

  /** RFC 3550 Appendix A.1 update_seq(), returning whether the packet counts as received. */
  #updateSeq(seq: number): boolean {
    const udelta = (seq - this.#maxSeq) & 0xffff;
    if (this.#probation > 0) {
      // "Source is not valid until MIN_SEQUENTIAL packets with sequential sequence numbers have been received."
      if (seq === ((this.#maxSeq + 1) & 0xffff)) {
        this.#probation--;
        this.#maxSeq = seq;
        if (this.#probation === 0) {
          this.#initSeq(seq);
          this.#received++;
          return true;
        }
      } else {
        this.#probation = MIN_SEQUENTIAL - 1;
        this.#maxSeq = seq;
      }
      return false;
    }
    if (udelta < MAX_DROPOUT) {
      // "in order, with permissible gap": a smaller number means the 16-bit space wrapped.
      if (seq < this.#maxSeq) this.#cycles += RTP_SEQ_MOD;
      this.#maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // "the sequence number made a very large jump": two in a row mean the sender restarted.
      if (seq === this.#badSeq) {
        this.#foldSource();
        this.#restarts++;
        this.#initSeq(seq);
      } else {
        this.#badSeq = (seq + 1) & 0xffff;
        return false;
      }
    } else {
      // "duplicate or reordered packet"
      this.#lateOrDuplicate++;
    }
    this.#received++;
    return true;
  }

  /**
   * RFC 3550 A.8: D = (Rj − Ri) − (Sj − Si) in timestamp units, J += (|D| − J) / 16. Only
   * between packets of the same payload type with a known clock rate, and packets that repeat
   * the previous timestamp are left out: RFC 4733 §2.5.1.2 events keep one timestamp for the
   * whole event and would read as jitter.
   */
  #updateJitter(h: RtpHeader, arrivalMs: number): void {
    const rate = this.clockRateOf(h.payloadType);
    if (rate === undefined) return;
    const arrival = (arrivalMs * rate) / 1000;
    const prev = this.#prev;
    if (prev !== undefined && prev.payloadType === h.payloadType && prev.timestamp === h.timestamp) return;
    this.#prev = { arrival, timestamp: h.timestamp, payloadType: h.payloadType };
    if (prev === undefined || prev.payloadType !== h.payloadType) return;
    const d = arrival - prev.arrival - signed32(h.timestamp - prev.timestamp);
    this.#jitter += (Math.abs(d) - this.#jitter) / 16;
    this.#jitterRate = rate;
  }

  snapshot(): RtpStreamSnapshot {
    const expected = this.#priorExpected + this.#currentExpected();
    const received = this.#priorReceived + this.#received;
    const lost = expected - received;
    return {
      packets: this.#packets,
      bytes: this.#bytes,
      rtcpPackets: this.#rtcpPackets,
      rtcpBytes: this.#rtcpBytes,
      invalid: this.#invalid,
      ssrc: this.#ssrc,
      payloadType: this.#payloadType,
      expected,
      received,
      lost,
      lossRatio: expected > 0 ? Math.max(0, lost) / expected : 0,
      lateOrDuplicate: this.#lateOrDuplicate,
      restarts: this.#restarts,
      ssrcChanges: this.#ssrcChanges,
      jitter: this.#jitter,
      jitterMs: (this.#jitter * 1000) / this.#jitterRate,
      firstPacketAt: this.#firstAt,
      lastPacketAt: this.#lastAt,
    };
  }
}
