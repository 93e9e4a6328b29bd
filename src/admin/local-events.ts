/**
 * Admin events of the agent's local call control (agent.calls: local), published as they happen
 * rather than looked for (AgentWatch looks at the pbx-mode call path's media): the B2BUA's own
 * events become `call_start`, `call_established` and `call_ended`, each CDR the agent buffers
 * becomes `call_cdr`, and the register trunks' results become `trunk_connected` /
 * `trunk_disconnected`. The data keys are the pbx-mode ones (agent-watch.ts), so one dashboard
 * reads both modes; the B2BUA's extra facts (caller, callee, destination) come beside them.
 */
import type { CdrRecord } from '../routing/index.js';
import type { AdminEvents } from './events.js';

/**
 * The B2BUA's events (src/b2bua call-types.ts B2buaEvent), restated here: src/admin may not
 * import src/b2bua, and the B2BUA's type fits this one.
 */
export type LocalCallEvent =
  | { readonly kind: 'started'; readonly callId: string; readonly caller: string; readonly callee: string; readonly at: number }
  | { readonly kind: 'answered'; readonly callId: string; readonly caller: string; readonly destination: string; readonly at: number }
  | { readonly kind: 'ended'; readonly callId: string; readonly endedReason: string; readonly at: number }
  | { readonly kind: 'emergency'; readonly caller: string; readonly number: string; readonly trunk: string; readonly at: number };

interface LocalCallSeen {
  readonly startedAt: number;
  established: boolean;
}

/**
 * The B2BUA's `onEvent` as admin events. `call_ended` carries `packetsFromPhone`/`packetsToPhone`
 * as null: the B2BUA's media statistics are not joined to its events, and 0 would read as "no
 * audio" on a dashboard.
 */
export function localCallEvents(events: AdminEvents): (event: LocalCallEvent) => void {
  const calls = new Map<string, LocalCallSeen>();
  return (event) => {
    switch (event.kind) {
      case 'started':
        calls.set(event.callId, { startedAt: event.at, established: false });
        events.publish('call_start', { callId: event.callId, streams: 1, local: true, caller: event.caller, callee: event.callee });
        return;
      case 'answered': {
        const seen = calls.get(event.callId);
        if (seen !== undefined) seen.established = true;
        events.publish('call_established', { callId: event.callId, caller: event.caller, destination: event.destination });
        return;
      }
      case 'ended': {
        const seen = calls.get(event.callId);
        calls.delete(event.callId);
        events.publish('call_ended', {
          callId: event.callId,
          established: seen?.established ?? false,
          durationS: seen === undefined ? 0 : Math.max(0, Math.round((event.at - seen.startedAt) / 1000)),
          packetsFromPhone: null,
          packetsToPhone: null,
          oneWay: false,
          endedReason: event.endedReason,
        });
        return;
      }
      case 'emergency':
        // Logged by the agent; no PortSIP topic carries it.
        return;
    }
  };
}

/** A CDR as `call_cdr`: the record itself, as the hub stores it. */
export function cdrEventData(record: CdrRecord): Readonly<Record<string, unknown>> {
  return { ...record };
}

export type TrunkResult = { readonly ok: true; readonly registration: { readonly expires: number } } | { readonly ok: false; readonly error: unknown };

/**
 * TrunkRegistrations' `onResult` as trunk events: published on a change only (a refresh that
 * succeeds again is no event), and a trunk's first failure is `trunk_disconnected` too, so a
 * trunk that never came up is seen.
 */
export function trunkEvents(events: AdminEvents): (trunk: string, result: TrunkResult) => void {
  const up = new Map<string, boolean>();
  return (trunk, result) => {
    if (up.get(trunk) === result.ok) return;
    up.set(trunk, result.ok);
    if (result.ok) events.publish('trunk_connected', { trunk, expires: result.registration.expires });
    else events.publish('trunk_disconnected', { trunk, reason: result.error instanceof Error ? result.error.message : String(result.error) });
  };
}
