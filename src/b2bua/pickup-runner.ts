/**
 * The feature codes that connect the dialling phone to a party of another call: `**<ext>`
 * (directed pickup: the oldest call ringing at <ext>, routing/pickup.ts decides which) and an
 * orbit number (retrieve the call parked there, parking-desk.ts). The answer is a HandOver the
 * dialling call re-INVITEs, or a refusal with the status and a Warning that says why.
 *
 * A picked-up call: its fork stops ringing (CANCEL with "Call completed elsewhere", RFC 3326),
 * the agent answers its caller itself (an answer on the caller's relay leg) and, once the ACK is
 * in, gives the caller's dialog to the picking call (call.ts surrender()).
 */
import { pickupOutcome, type FeatureRequest, type LiveCall, type RoutingModel } from '../routing/index.js';
import type { B2buaCallSummary, ExtensionDialog } from './call-types.js';
import type { HandOver, TakeOver } from './hand-over.js';
import type { ParkingDesk } from './parking-desk.js';

/** A call of the B2BUA, as pickup sees it. */
export interface PickupCandidate {
  summary(): B2buaCallSummary;
  extensionDialogs(): readonly ExtensionDialog[];
  /** Stops ringing and gives up its caller to `picker`; undefined when it no longer rings. */
  surrender(picker: string): Promise<HandOver | undefined>;
}

/** The calls as routing/pickup.ts reads them: ringing (with the extensions rung now) or answered. */
export function liveCalls(calls: readonly PickupCandidate[]): LiveCall[] {
  return calls.flatMap((call) => {
    const s = call.summary();
    if (s.state === 'ended') return [];
    const ringing = call.extensionDialogs().filter((d) => d.direction === 'recipient' && d.state === 'early').map((d) => d.extension);
    return [{ callId: s.callId, caller: s.caller, state: s.state === 'answered' ? 'answered' : 'ringing', ringing, since: s.since }];
  });
}

const PICKUP_REFUSALS: Readonly<Record<string, string>> = {
  'nothing-to-pick-up': 'no call ringing there',
  'own-call': 'that is your own extension',
};

export interface TakeOverInput {
  readonly calls: readonly PickupCandidate[];
  readonly parking: ParkingDesk;
  readonly model: RoutingModel;
  readonly request: FeatureRequest;
  /** The dialling extension. */
  readonly by: string;
}

export async function takeOver(o: TakeOverInput): Promise<TakeOver> {
  const { request } = o;
  switch (request.kind) {
    case 'retrieve': {
      const taken = o.parking.retrieve(o.model, request.orbit);
      const handOver = taken.ok ? taken.party.handOver() : undefined;
      if (handOver === undefined) return { kind: 'refuse', status: 404, reason: taken.ok ? 'empty-orbit' : taken.reason, warning: `no call parked in orbit ${request.orbit}` };
      return { kind: 'hand-over', handOver, destination: `park:${request.orbit}` };
    }
    case 'pickup': {
      if (request.mode === 'held') return { kind: 'refuse', status: 480, reason: 'feature-unavailable', warning: 'pickup of held calls not available on this agent' };
      const outcome = pickupOutcome(request, o.by, liveCalls(o.calls));
      if (outcome.kind === 'refuse') return { kind: 'refuse', status: outcome.status, reason: outcome.reason, warning: PICKUP_REFUSALS[outcome.reason] ?? outcome.reason };
      if (outcome.kind !== 'pickup') return { kind: 'refuse', status: 480, reason: 'nothing-to-pick-up', warning: 'no call ringing there' };
      const call = o.calls.find((c) => c.summary().callId === outcome.callId);
      const handOver = await call?.surrender(o.by);
      if (handOver === undefined) return { kind: 'refuse', status: 480, reason: 'nothing-to-pick-up', warning: 'the call was answered or ended meanwhile' };
      return { kind: 'hand-over', handOver, destination: `pickup:${request.extension}` };
    }
    case 'park':
      return { kind: 'refuse', status: 480, reason: 'feature-unavailable', warning: 'transfer a call to the park code to park it' };
    default:
      return { kind: 'refuse', status: 480, reason: 'feature-unavailable', warning: `${request.kind} not available on this agent` };
  }
}
