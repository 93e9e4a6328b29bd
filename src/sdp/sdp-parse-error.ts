import { SbcError } from '../core/index.js';

/**
 * A session description that cannot be read. `line` is 1-based (0 when the whole body is at
 * fault). Wire reaction: answer the offer with 488 Not Acceptable Here (RFC 3261 §21.4.26).
 */
export class SdpParseError extends SbcError {
  readonly protocol = 'sdp';
  readonly line: number;
  readonly reason: string;

  constructor(line: number, reason: string) {
    super('SBC_ERR_SDP_PARSE', line === 0 ? `SDP: ${reason}` : `SDP line ${line}: ${reason}`);
    this.line = line;
    this.reason = reason;
  }
}
