/**
 * RTP/RTCP port pairs from a configured range: an even port for RTP and the next odd port for
 * RTCP (RFC 3550 §11). Pairs are handed out round-robin rather than lowest-first, so a pair
 * freed at the end of a call is not reused at once while late packets of that call may still
 * arrive.
 */
import { SbcError } from '../core/index.js';

export interface PortPair {
  readonly rtp: number;
  readonly rtcp: number;
}

export interface PortRange {
  /** First port of the range (rounded up to even). */
  readonly min: number;
  /** Last port of the range (the last pair must fit, its RTCP port ≤ max). */
  readonly max: number;
}

/** Every pair of the range is in use. Reaction: answer the offer with 503 (RFC 3261 §21.5.4). */
export class MediaPortsExhaustedError extends SbcError {
  readonly range: PortRange;

  constructor(range: PortRange) {
    super('SBC_ERR_MEDIA_PORTS', `no free RTP port pair in ${range.min}-${range.max}`);
    this.range = range;
  }
}

export class PortPool {
  readonly range: PortRange;
  readonly #first: number;
  readonly #pairs: number;
  readonly #used = new Set<number>();
  #cursor = 0;

  constructor(range: PortRange) {
    if (!Number.isInteger(range.min) || !Number.isInteger(range.max) || range.min < 1 || range.max > 65535) {
      throw new RangeError(`port range ${range.min}-${range.max} outside 1-65535`);
    }
    this.range = range;
    this.#first = range.min + (range.min % 2);
    this.#pairs = Math.max(0, Math.floor((range.max - this.#first + 1) / 2));
    if (this.#pairs === 0) throw new RangeError(`port range ${range.min}-${range.max} holds no even/odd pair`);
  }

  get size(): number {
    return this.#pairs;
  }

  get available(): number {
    return this.#pairs - this.#used.size;
  }

  /** The next free pair; MediaPortsExhaustedError when none is left. */
  allocate(): PortPair {
    for (let tried = 0; tried < this.#pairs; tried++) {
      const index = (this.#cursor + tried) % this.#pairs;
      const rtp = this.#first + 2 * index;
      if (this.#used.has(rtp)) continue;
      this.#used.add(rtp);
      this.#cursor = (index + 1) % this.#pairs;
      return { rtp, rtcp: rtp + 1 };
    }
    throw new MediaPortsExhaustedError(this.range);
  }

  /** Returns a pair by its RTP port; freeing a pair twice or one never allocated does nothing. */
  free(rtpPort: number): void {
    this.#used.delete(rtpPort);
  }

  isAllocated(rtpPort: number): boolean {
    return this.#used.has(rtpPort);
  }
}
