import { SbcError } from '../../core/index.js';
import type { TransportTarget } from './types.js';

/** A message could not be sent: no transport of that kind, connection refused, timed out... */
export class SipTransportError extends SbcError {
  readonly target: TransportTarget;

  constructor(target: TransportTarget, message: string, options?: { cause?: unknown }) {
    super('SBC_ERR_SIP_TRANSPORT', `${target.transport} ${target.host}:${target.port}: ${message}`, options);
    this.target = target;
  }
}
