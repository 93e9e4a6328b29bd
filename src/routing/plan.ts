/**
 * What `decide()` reads besides the model (the call and the live state) and what it returns: a
 * Plan, a finite tree of steps that the B2BUA executes. Each step says who to ring or where to
 * send the call, and the branches say what to do next:
 *
 *   ring       ring `extensions` at once (one for an extension or a hunt step, several for
 *              ring-all) for `seconds` (null: until the caller hangs up); `onNoAnswer` when the
 *              time runs out or every leg fails, `onBusy` when every leg answers 486.
 *   dial-out   send the call to `trunk` with `number` (after strip/prepend) and `callerId`;
 *              `onFailure` (the next route) on busy or failure. `emergency` marks a call to an
 *              emergency number, so the executor raises its event.
 *   voicemail  the mailbox of an extension.
 *   queue, ivr the model's queue or IVR of that number (feature-model.ts), run by its engine.
 *   page       the model's paging or intercom number: its phones called with auto-answer headers.
 *   reject     answer the INVITE with `status`; `reason` is the stable code for logs and CDRs.
 *   set-status a dial code (`*30`…): set `extension`'s manual status, confirm to the caller and
 *              hang up; the executor writes it into RoutingState.statuses.
 *   feature    a feature code from `extension` (feature-codes.ts): queue sign-in/out, pickup,
 *              park, retrieve a parked call.
 *
 * A tree is finite by construction: forwarding chains carry the extensions and groups already in
 * them and end in a `forward-loop` reject when they come back to one (see decide.ts).
 */
import type { FeatureRequest } from './feature-codes.js';
import type { ExtensionStatus } from './model.js';

/** A call to route. */
export interface CallRequest {
  /** The caller's number: an extension for internal calls, the presented caller ID for external ones. */
  readonly caller: string;
  /** The dialled number: an extension, group or external number (internal), or the DID (external). */
  readonly dialled: string;
  /** `internal`: from one of our extensions; `external`: from a trunk. */
  readonly origin: 'internal' | 'external';
  /** The branch (agent / SBC name) the call arrived at: picks its local trunk. */
  readonly agent: string;
  /** Whether the PBX answers; when it does not (survival) emergency calls leave by the local trunk. */
  readonly pbxReachable: boolean;
}

/** What changes between calls: kept by the executor and the registrar, read by `decide()`. */
export interface RoutingState {
  /** The manual status per extension; absent: `available`. */
  readonly statuses: Readonly<Record<string, ExtensionStatus>>;
  /** Extensions with a registered phone. */
  readonly registered: readonly string[];
  /** Extensions in a call now. */
  readonly busy: readonly string[];
  /** Per ring group (cyclic hunt): the member rung last; the next call starts after it. */
  readonly lastRung: Readonly<Record<string, string>>;
  /** Per ring group (least-worked hunt): calls answered per member; absent: 0. */
  readonly answered: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export const EMPTY_ROUTING_STATE: RoutingState = { statuses: {}, registered: [], busy: [], lastRung: {}, answered: {} };

/** The SIP statuses a plan may end with (RFC 3261 §21.4 and §21.6). */
export type RejectStatus = 403 | 404 | 480 | 486 | 603;

/** Why a call was refused: stable codes, matched by tests, logs and CDRs. */
export type RejectReason =
  | 'blacklisted' // 603: the caller matches the blacklist
  | 'caller-disabled' // 403: an internal call from a disabled extension
  | 'unknown-number' // 404: no extension, group or rule for the number
  | 'no-inbound-rule' // 404: no inbound rule for the DID and caller
  | 'no-outbound-rule' // 404: no outbound rule for the number
  | 'blocked' // 403: the outbound rule's route is `block`
  | 'disabled' // 480: the called extension is disabled
  | 'not-registered' // 480: the called extension has no phone and no forwarding
  | 'unavailable' // 480: away / custom 2 without forwarding
  | 'no-answer' // 480: rang until the end with nowhere else to go
  | 'no-route' // 480: no trunk to try (or every route failed)
  | 'end-call' // 480: a destination says "end call"
  | 'forward-loop' // 480: forwarding came back to an extension or group already in the chain
  | 'dnd' // 486: do not disturb without forwarding
  | 'busy'; // 486: busy without forwarding

export interface RingStep {
  readonly kind: 'ring';
  readonly extensions: readonly string[];
  /** Null: ring until the caller hangs up. */
  readonly seconds: number | null;
  /** The caller ID shown on the phones. */
  readonly callerId: string;
  /** The ring group this step belongs to, for the executor's cyclic and least-worked counters. */
  readonly group?: string;
  readonly onNoAnswer: Plan;
  readonly onBusy: Plan;
}

export interface DialOutStep {
  readonly kind: 'dial-out';
  readonly trunk: string;
  /** The number sent to the trunk, after strip and prepend. */
  readonly number: string;
  readonly callerId: string;
  readonly emergency: boolean;
  /** The outbound rule that chose the route; absent for emergency routes not taken from a rule. */
  readonly rule?: string;
  readonly onFailure: Plan;
}

export type Plan =
  | RingStep
  | DialOutStep
  | { readonly kind: 'voicemail'; readonly mailbox: string }
  | { readonly kind: 'queue'; readonly number: string }
  | { readonly kind: 'ivr'; readonly number: string }
  | { readonly kind: 'page'; readonly number: string }
  | { readonly kind: 'set-status'; readonly extension: string; readonly status: ExtensionStatus }
  | { readonly kind: 'feature'; readonly extension: string; readonly request: FeatureRequest }
  | { readonly kind: 'reject'; readonly status: RejectStatus; readonly reason: RejectReason };

const REJECT_STATUS: Readonly<Record<RejectReason, RejectStatus>> = {
  blacklisted: 603,
  'caller-disabled': 403,
  'unknown-number': 404,
  'no-inbound-rule': 404,
  'no-outbound-rule': 404,
  blocked: 403,
  disabled: 480,
  'not-registered': 480,
  unavailable: 480,
  'no-answer': 480,
  'no-route': 480,
  'end-call': 480,
  'forward-loop': 480,
  dnd: 486,
  busy: 486,
};

/** The reject step for a reason, with the one status that reason always carries. */
export function reject(reason: RejectReason): Plan {
  return { kind: 'reject', status: REJECT_STATUS[reason], reason };
}

/**
 * The number of steps on the longest path from the root to a leaf. Branches often share one
 * subtree (a hunt's next member on no answer and on busy), so depths are remembered per node.
 */
export function planDepth(plan: Plan, seen: Map<Plan, number> = new Map()): number {
  const known = seen.get(plan);
  if (known !== undefined) return known;
  let depth = 1;
  if (plan.kind === 'ring') depth = 1 + Math.max(planDepth(plan.onNoAnswer, seen), planDepth(plan.onBusy, seen));
  else if (plan.kind === 'dial-out') depth = 1 + planDepth(plan.onFailure, seen);
  seen.set(plan, depth);
  return depth;
}
