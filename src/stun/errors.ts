import { SbcError } from '../core/index.js';

/** Bytes that are not a well-formed STUN message; `at` is the byte offset where decoding stopped. */
export class StunDecodeError extends SbcError {
  readonly at: number;
  readonly reason: string;

  constructor(reason: string, at: number, options?: { cause?: unknown }) {
    super('SBC_ERR_STUN_DECODE', `STUN decode at byte ${at}: ${reason}`, options);
    this.at = at;
    this.reason = reason;
  }
}

/** A STUN transaction that got no response; `waitedMs` is how long the client waited in total. */
export class StunTimeoutError extends SbcError {
  readonly server: string;
  readonly waitedMs: number;

  constructor(server: string, waitedMs: number) {
    super('SBC_ERR_STUN_TIMEOUT', `no STUN response from ${server} after ${(waitedMs / 1000).toFixed(1)} s`);
    this.server = server;
    this.waitedMs = waitedMs;
  }
}
