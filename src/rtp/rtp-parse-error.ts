import { SbcError } from '../core/index.js';

/** A datagram that is not a well-formed RTP or RTCP packet; `at` is the byte offset at fault. */
export class RtpParseError extends SbcError {
  readonly protocol: 'rtp' | 'rtcp';
  readonly at: number;
  readonly reason: string;

  constructor(protocol: 'rtp' | 'rtcp', at: number, reason: string) {
    super('SBC_ERR_RTP_PARSE', `${protocol.toUpperCase()} at byte ${at}: ${reason}`);
    this.protocol = protocol;
    this.at = at;
    this.reason = reason;
  }
}
