/**
 * Which call path takes a phone's request on a LAN stack in `agent.calls: auto` (issue 12). The
 * path toward the PBX keeps what it started: requests inside its dialogs and CANCELs of its
 * INVITEs stay with it whatever the mode, so a call set up through the tunnel is never taken over
 * half-way. A request inside a call the agent set up itself in survival goes to the local path,
 * in any mode (when-idle failback waits for those calls, immediate failback leaves them be). New
 * INVITEs, REGISTERs, OPTIONS and SUBSCRIBEs go to the local path while the branch is not in normal mode:
 * failing-back counts as survival until the bindings are back upstream (a call routed through a
 * PBX that has not got them yet could not reach the branch phones).
 */
import type { SurvivalMode } from './health-machine.js';

/** `in-dialog`: the local path if one of its calls owns the request, else the path toward the PBX. */
export type DispatchTarget = 'pbx' | 'local' | 'in-dialog';

/**
 * Methods that start something new and that the local path serves in survival. SUBSCRIBE: the
 * agent is the BLF notifier of its own calls then (RFC 4235) and answers MWI (RFC 3842) with the
 * last summary the PBX sent; other event packages get 489 there.
 */
const TAKEN_IN_SURVIVAL = new Set(['INVITE', 'REGISTER', 'OPTIONS', 'SUBSCRIBE']);

/**
 * `inDialog`: the request carries a To tag (RFC 3261 §12.2), or it is an ACK or a CANCEL (they
 * belong to an INVITE transaction, §9.1 and §17.1.1.3).
 */
export function dispatchTarget(method: string, inDialog: boolean, mode: SurvivalMode): DispatchTarget {
  if (inDialog || method === 'ACK' || method === 'CANCEL') return 'in-dialog';
  if (mode === 'normal') return 'pbx';
  return TAKEN_IN_SURVIVAL.has(method) ? 'local' : 'pbx';
}
