/**
 * What the agent's call path tells the protection (src/protect ProtectionGuard) about digest
 * authentication: the PBX verifies the digests, the agent sees each phone request and the final
 * answer it gets, and the guard turns them into failures, successes and pending challenges.
 */
import { getHeader, type SipRequest } from '../sip/index.js';

/** Implemented by the protection's guard; the call path knows nothing more of it. */
export interface SipAuthWatch {
  sipRequest(address: string, callId: string, hasCredentials: boolean): void;
  sipResponse(address: string, callId: string, method: string, hadCredentials: boolean, status: number): void;
}

/** Whether a request carries digest credentials (RFC 3261 §22.2, §22.3). */
export function hasCredentials(request: SipRequest): boolean {
  return getHeader(request, 'Authorization') !== undefined || getHeader(request, 'Proxy-Authorization') !== undefined;
}

