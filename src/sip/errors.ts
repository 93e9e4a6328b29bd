/**
 * Typed SIP codec errors. A SipParseError carries the SIP status a request is answered with
 * (RFC 3261 §21) and where parsing failed; a malformed response is never answered (RFC 3261
 * §18.1.2: the transport layer drops it), so `isResponse` tells the caller to count and drop.
 */
import { SbcError } from '../core/index.js';
import type { SipRequest } from './message.js';

export interface SipParseErrorOptions {
  /** The status to answer a request with; 400 unless said otherwise. */
  readonly status?: number;
  readonly isResponse?: boolean;
  /**
   * The request as far as it was read (start line and headers, empty body), when the error was
   * found after the header section was split: lets the caller build the 4xx/5xx with buildResponse.
   */
  readonly request?: SipRequest;
}

export class SipParseError extends SbcError {
  readonly status: number;
  /** Short, printable text fit to be sent as the reason phrase ("Bad Content-Length"). */
  readonly reason: string;
  /** Byte offset in the message (or character offset in the header value for the helpers). */
  readonly at: number;
  readonly isResponse: boolean;
  readonly request: SipRequest | undefined;

  constructor(reason: string, at: number, options: SipParseErrorOptions = {}) {
    const status = options.status ?? 400;
    super('SBC_ERR_SIP_PARSE', `${status} ${reason} (at ${at})`);
    this.status = status;
    this.reason = reason;
    this.at = at;
    this.isResponse = options.isResponse ?? false;
    this.request = options.request;
  }
}

/**
 * A byte stream that cannot be split into SIP messages (RFC 3261 §18.3: Content-Length missing
 * or invalid, or a message larger than allowed). The stream cannot be resynchronised: the caller
 * closes the connection.
 */
export class SipFramingError extends SbcError {
  readonly at: number;

  constructor(message: string, at: number) {
    super('SBC_ERR_SIP_FRAMING', message);
    this.at = at;
  }
}

/** A message that cannot be written as valid SIP (a header name that is not a token, CR/LF in a value). */
export class SipSerializeError extends SbcError {
  constructor(message: string) {
    super('SBC_ERR_SIP_SERIALIZE', message);
  }
}
