/** Contact tokens and tunnel-hop branches. */
import { createHash, randomBytes } from 'node:crypto';
import { BRANCH_MAGIC_COOKIE } from '../sip/index.js';

/**
 * A stable token for a contact and the flow it is reached on: the same phone re-registering
 * from the same place gets the same token, so the registrar updates one binding rather than
 * collecting new ones.
 */
export function tokenOf(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 16).replace(/[-_]/g, 'x');
}

/** RFC 3261 §8.1.1.7 branch for a request sent on the tunnel hop. */
export function newTunnelBranch(): string {
  return `${BRANCH_MAGIC_COOKIE}-t${randomBytes(9).toString('base64url')}`;
}

/** Media of a call leg outlives its BYE this long: the far end's last packets are in flight. */
export const BYE_GRACE_MS = 2000;
