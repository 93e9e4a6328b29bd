/**
 * Digest authentication errors (RFC 7616). One code, SBC_ERR_SIP_AUTH, and a `reason` that
 * callers switch on: a malformed header maps to 400, an authentication failure to the
 * "SIP authentication failed" exit code of the CLI.
 */
import { SbcError } from '../../core/index.js';

/** A WWW-Authenticate / Authorization value that does not follow RFC 7616 §3.3–§3.4 (or RFC 7235 §2.1). */
export class DigestParseError extends SbcError {
  /** Offset in the header value where parsing stopped. */
  readonly at: number;

  constructor(reason: string, at: number) {
    super('SBC_ERR_SIP_AUTH', `digest header: ${reason} at ${at}`);
    this.at = at;
  }
}

export type AuthFailureReason =
  /** The server challenged again after we answered with credentials (wrong user or password). */
  | 'rejected'
  /** No challenge in the response uses a scheme, algorithm and qop that we support. */
  | 'unsupported-challenge'
  /** The response carries no challenge, or only malformed ones. */
  | 'no-challenge';

/** The client cannot (or can no longer) authenticate; the TU reports it instead of retrying. */
export class AuthFailure extends SbcError {
  readonly reason: AuthFailureReason;
  readonly realm: string | undefined;

  constructor(reason: AuthFailureReason, realm: string | undefined, message: string) {
    super('SBC_ERR_SIP_AUTH', message);
    this.reason = reason;
    this.realm = realm;
  }
}
