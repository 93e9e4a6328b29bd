/**
 * Enrollment failures. Each reason is one thing a person can act on; the CLI maps it to its own
 * exit code (src/cli/exit-codes.ts) and the hub's JSON API names it in `error.code`.
 */
import { SbcError } from '../../core/index.js';

export type EnrollFailure =
  /** The provisioning URL cannot be reached (DNS, refused, timeout, TLS failure). */
  | 'unreachable'
  /** The hub's CA fingerprint is not the one given with --fingerprint. */
  | 'fingerprint'
  | 'wrong_key'
  | 'expired_key'
  | 'used_key'
  | 'revoked'
  /** Too many wrong keys from this address; retry after the lockout. */
  | 'locked_out'
  /** The person (or the lack of a terminal) did not confirm the hub's fingerprint. */
  | 'declined'
  /** The request was malformed (bad CSR, bad JSON): a bug or a foreign client. */
  | 'bad_request'
  /** The hub's answer does not make sense (bad JSON, certificate not for our key). */
  | 'bad_response';

export class EnrollError extends SbcError {
  readonly reason: EnrollFailure;
  /** For 'locked_out': seconds until the hub accepts this address again. */
  readonly retryAfterSeconds: number | undefined;

  constructor(reason: EnrollFailure, message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super('SBC_ERR_ENROLL', message, options);
    this.reason = reason;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}
