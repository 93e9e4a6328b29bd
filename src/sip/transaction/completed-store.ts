/**
 * Completed server transactions, kept as small records keyed by branch | sent-by | method.
 *
 * After its final response a server transaction only waits: a non-INVITE one in "Completed" for
 * Timer J (§17.2.2, 64*T1 = 32 s over UDP), an INVITE one in "Accepted" for Timer L (RFC 6026 §8.7,
 * 64*T1) or in "Confirmed" for Timer I (§17.2.1, T4). All it must still do is answer a
 * retransmitted request with the same final response and absorb (or, in "Accepted", pass up) the
 * ACK. Keeping the whole machine for that — the parsed request and response with their bodies, a
 * timer, closures — made every call hold two full objects for 32 s and filled the cap of live
 * transactions at ~310 calls/s. A record here holds only the key, the final response in its wire
 * form (serialized once), where it goes, and a weak reference to the machine, which the TU may
 * still hold (RFC 6026 §8.7: the UAS core sends its 2xx retransmissions through it).
 *
 * No timer per record: every record waiting for the same duration sits in one FIFO lane (a
 * duration is fixed per lane, so insertion order is expiry order), and one sweep timer walks the
 * lane heads. The sweep runs at most once per `resolutionMs`, so a record may outlive its RFC
 * timer by up to that much; the RFC timers are waiting times, and waiting a little longer only
 * absorbs a late retransmission more. The store is bounded by an estimate of its memory: when a
 * new record would exceed it, the records closest to expiry are dropped first.
 */
import type { Clock, Timer } from '../../core/index.js';
import type { SipResponse } from '../message.js';
import type { TransactionTarget } from './types.js';

/** What a record does with an ACK: absorb it (Completed/Confirmed), or pass it to the TU (RFC 6026 "Accepted"). */
export type CompletedAckHandling = 'absorb' | 'pass-up';

/** The machine behind a record, while something still holds it: told when its timer is over. */
export interface LingeringTransaction {
  /** The record's timer (J, L or I) expired, or the record was dropped: enter Terminated. */
  lingerExpired(): void;
}

export interface CompletedRecord {
  readonly key: string;
  readonly expiresAt: number;
  /**
   * The final response a retransmitted request gets again: its bytes as a latin1 string (one
   * byte per character, so it converts back exactly), or the message itself when the transport
   * cannot send bytes. Undefined when retransmissions are only absorbed (Accepted, Confirmed).
   */
  readonly response: string | SipResponse | undefined;
  readonly target: TransactionTarget;
  readonly ack: CompletedAckHandling;
  readonly owner: WeakRef<LingeringTransaction> | undefined;
  /** The estimate counted against the memory bound. */
  readonly cost: number;
  removed: boolean;
}

export type NewCompletedRecord = Pick<CompletedRecord, 'response' | 'target' | 'ack' | 'owner'>;

/**
 * Bytes a record costs besides its key and response characters: the record object, its Map entry
 * and lane slot, the WeakRef and the target object: ≈ 220 bytes measured by `npm run bench:transactions`
 * (433 bytes per record with a 40-byte key and, on average, 170 response bytes).
 */
export const COMPLETED_RECORD_OVERHEAD_BYTES = 256;
/** Bytes assumed for a response kept as a message (no byte transport); a parsed response is larger than its wire form. */
const MESSAGE_RESPONSE_BYTES = 2048;

interface Lane {
  records: Array<CompletedRecord | undefined>;
  head: number;
}

export interface CompletedStoreOptions {
  readonly clock: Clock;
  /** The memory bound of the estimate; default 64 MiB. */
  readonly maxBytes?: number;
  /** The shortest interval between two sweeps; default 100 ms. */
  readonly resolutionMs?: number;
  /** A record expired or was dropped for room (not when removed). */
  readonly onExpired: (record: CompletedRecord, dropped: boolean) => void;
}

export class CompletedStore {
  readonly #clock: Clock;
  readonly #maxBytes: number;
  readonly #resolution: number;
  readonly #onExpired: (record: CompletedRecord, dropped: boolean) => void;
  readonly #byKey = new Map<string, CompletedRecord>();
  /** FIFO lanes by linger duration. */
  readonly #lanes = new Map<number, Lane>();
  #bytes = 0;
  #dropped = 0;
  #timer: Timer | undefined;
  #timerDue = Number.POSITIVE_INFINITY;
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(options: CompletedStoreOptions) {
    this.#clock = options.clock;
    this.#maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.#resolution = options.resolutionMs ?? 100;
    this.#onExpired = options.onExpired;
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** The estimated memory of the records held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Records dropped before their time to stay within the memory bound. */
  get dropped(): number {
    return this.#dropped;
  }

  get(key: string): CompletedRecord | undefined {
    return this.#byKey.get(key);
  }

  /** Keeps a record for `lingerMs`; a record under the same key is replaced. */
  add(matchKey: string, lingerMs: number, fields: NewCompletedRecord): CompletedRecord {
    // The key is built from pieces of the request's Via (a V8 cons string of slices): kept as it
    // is, it would keep the parsed header text alive for the whole timer (≈ 265 bytes per record
    // measured). A copy holds only its own characters.
    const key = Buffer.from(matchKey, 'utf8').toString('utf8');
    const responseBytes = fields.response === undefined ? 0 : typeof fields.response === 'string' ? fields.response.length : MESSAGE_RESPONSE_BYTES;
    const cost = COMPLETED_RECORD_OVERHEAD_BYTES + key.length + responseBytes;
    this.remove(key);
    while (this.#bytes + cost > this.#maxBytes && this.#byKey.size > 0) this.#dropOldest();
    const record: CompletedRecord = { key, expiresAt: this.#clock.now() + lingerMs, cost, removed: false, ...fields };
    let lane = this.#lanes.get(lingerMs);
    if (lane === undefined) {
      lane = { records: [], head: 0 };
      this.#lanes.set(lingerMs, lane);
    }
    lane.records.push(record);
    this.#byKey.set(key, record);
    this.#bytes += cost;
    if (record.expiresAt < this.#timerDue) this.#arm(record.expiresAt);
    return record;
  }

  /** Forgets the record under `key` (only if it belongs to `owner`, when given) without telling anyone. */
  remove(key: string, owner?: LingeringTransaction): void {
    const record = this.#byKey.get(key);
    if (record === undefined) return;
    if (owner !== undefined && record.owner?.deref() !== owner) return;
    this.#forget(record);
    if (this.#byKey.size === 0) this.#disarm();
  }

  /** Every record's owner still alive, for close(). */
  owners(): LingeringTransaction[] {
    const out: LingeringTransaction[] = [];
    for (const record of this.#byKey.values()) {
      const owner = record.owner?.deref();
      if (owner !== undefined) out.push(owner);
    }
    return out;
  }

  /** Drops every record and the sweep timer, telling no one. Idempotent. */
  clear(): void {
    this.#byKey.clear();
    this.#lanes.clear();
    this.#bytes = 0;
    this.#disarm();
  }

  #forget(record: CompletedRecord): void {
    record.removed = true;
    if (this.#byKey.get(record.key) === record) this.#byKey.delete(record.key);
    this.#bytes -= record.cost;
  }

  #sweep(): void {
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
    const now = this.#clock.now();
    this.#lastSweep = now;
    for (const lane of this.#lanes.values()) {
      for (let r = this.#head(lane); r !== undefined && r.expiresAt <= now; r = this.#head(lane)) {
        this.#shift(lane);
        this.#forget(r);
        this.#onExpired(r, false);
      }
    }
    const next = this.#earliest();
    if (next !== undefined) this.#arm(next.expiresAt);
  }

  #dropOldest(): void {
    const oldest = this.#earliest();
    if (oldest === undefined) return;
    this.#shift(oldest.lane);
    this.#forget(oldest.record);
    this.#dropped++;
    this.#onExpired(oldest.record, true);
  }

  /** The live record at the head of `lane`, skipping removed ones. */
  #head(lane: Lane): CompletedRecord | undefined {
    while (lane.head < lane.records.length) {
      const r = lane.records[lane.head];
      if (r !== undefined && !r.removed) return r;
      this.#shift(lane);
    }
    return undefined;
  }

  #shift(lane: Lane): void {
    lane.records[lane.head] = undefined;
    lane.head++;
    if (lane.head === lane.records.length) {
      lane.records.length = 0;
      lane.head = 0;
    } else if (lane.head >= 1024 && lane.head * 2 >= lane.records.length) {
      lane.records = lane.records.slice(lane.head);
      lane.head = 0;
    }
  }

  #earliest(): { lane: Lane; record: CompletedRecord; expiresAt: number } | undefined {
    let best: { lane: Lane; record: CompletedRecord; expiresAt: number } | undefined;
    for (const lane of this.#lanes.values()) {
      const record = this.#head(lane);
      if (record !== undefined && (best === undefined || record.expiresAt < best.expiresAt)) best = { lane, record, expiresAt: record.expiresAt };
    }
    return best;
  }

  #arm(due: number): void {
    const at = Math.max(due, this.#lastSweep + this.#resolution);
    if (this.#timer !== undefined && this.#timerDue <= at) return;
    this.#timer?.cancel();
    this.#timerDue = at;
    this.#timer = this.#clock.setTimeout(() => this.#sweep(), Math.max(0, at - this.#clock.now()));
  }

  #disarm(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
  }
}
