/**
 * What a pickup or a queue sign-in code does, given the calls live now (pure: the executor passes
 * its view of the calls in, and runs the answer):
 *
 *   **<ext>   the oldest call ringing at <ext> is answered by the dialling phone instead (the
 *             other legs of that call stop ringing); a call the dialler itself placed or one
 *             already answered is not taken;
 *   ##<ext>   the call <ext> holds is taken over by the dialling phone (the held party is
 *             connected to it, <ext>'s side of the call ends);
 *   *51 / *52 the queues the caller signs in to or out of: every queue it is an agent of, or the
 *             one named, if it is an agent there.
 *
 * Nothing to take, or not an agent: a refusal with the SIP status to answer (RFC 3261 §21.4).
 */
import type { FeatureRequest } from './feature-codes.js';
import type { RoutingModel } from './model.js';

/** The executor's view of one live call. */
export interface LiveCall {
  readonly callId: string;
  /** The extension that placed it, if any. */
  readonly caller?: string;
  /** `ringing`: not yet answered; `answered`; `held`: answered and on hold by `heldBy`. */
  readonly state: 'ringing' | 'answered' | 'held';
  /** The extensions ringing for it now (state `ringing`). */
  readonly ringing: readonly string[];
  /** The extension holding it (state `held`). */
  readonly heldBy?: string;
  /** When it started (clock ms): the oldest ringing call is picked first. */
  readonly since: number;
}

export type FeatureOutcome =
  | { readonly kind: 'pickup'; readonly callId: string; readonly from: string }
  | { readonly kind: 'take-over'; readonly callId: string; readonly from: string }
  | { readonly kind: 'queue-sign'; readonly signedIn: boolean; readonly queues: readonly string[] }
  | { readonly kind: 'refuse'; readonly status: 403 | 404 | 480; readonly reason: 'nothing-to-pick-up' | 'not-an-agent' | 'no-such-queue' | 'own-call' };

/** `**ext` / `##ext` dialled by extension `by`. */
export function pickupOutcome(request: Extract<FeatureRequest, { kind: 'pickup' }>, by: string, calls: readonly LiveCall[]): FeatureOutcome {
  if (request.extension === by) return { kind: 'refuse', status: 480, reason: 'own-call' };
  if (request.mode === 'held') {
    const held = calls.find((c) => c.state === 'held' && c.heldBy === request.extension);
    return held === undefined ? { kind: 'refuse', status: 480, reason: 'nothing-to-pick-up' } : { kind: 'take-over', callId: held.callId, from: request.extension };
  }
  const ringing = calls
    .filter((c) => c.state === 'ringing' && c.ringing.includes(request.extension) && c.caller !== by)
    .sort((a, b) => a.since - b.since);
  const first = ringing[0];
  return first === undefined ? { kind: 'refuse', status: 480, reason: 'nothing-to-pick-up' } : { kind: 'pickup', callId: first.callId, from: request.extension };
}

/** `*51`, `*52`, `*51*8000`, `*52*8000` dialled by extension `by`. */
export function queueSignOutcome(model: RoutingModel, request: Extract<FeatureRequest, { kind: 'queue-sign' }>, by: string): FeatureOutcome {
  const queues = model.queues ?? [];
  if (request.queue !== undefined) {
    const queue = queues.find((q) => q.number === request.queue);
    if (queue === undefined) return { kind: 'refuse', status: 404, reason: 'no-such-queue' };
    if (!queue.agents.includes(by)) return { kind: 'refuse', status: 403, reason: 'not-an-agent' };
    return { kind: 'queue-sign', signedIn: request.signedIn, queues: [queue.number] };
  }
  const mine = queues.filter((q) => q.agents.includes(by)).map((q) => q.number);
  return mine.length === 0 ? { kind: 'refuse', status: 403, reason: 'not-an-agent' } : { kind: 'queue-sign', signedIn: request.signedIn, queues: mine };
}
