import { SbcError } from '../core/index.js';

/** A voicemail box or message that cannot be used as asked (unknown message, bad PIN format, a box id that is not a number). */
export class VoicemailError extends SbcError {
  readonly reason: string;

  constructor(reason: string) {
    super('SBC_ERR_VOICEMAIL', `voicemail: ${reason}`);
    this.reason = reason;
  }
}
