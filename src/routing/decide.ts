/**
 * `decide(call, model, state, now)`: what to do with a call, as a Plan (plan.ts). Pure: no I/O,
 * no clock (`now` is the instant, ms since the epoch), no exception for a valid model.
 *
 * The order of the checks, from the PBX guides the model follows (PortSIP, 3CX):
 *
 *  1. An internal call to an emergency number goes out at once, whatever else would block it
 *     (dial.ts `emergencyPlan`), with the extension's emergency caller ID.
 *  2. A caller on the blacklist gets 603 Decline (internal callers too: the list names numbers).
 *  3. An internal call from a disabled extension gets 403; a status dial code (`*30` to `*32`,
 *     status.ts) from an extension sets its status.
 *     A feature code (feature-codes.ts: queue sign-in/out, pickup, park, a parking orbit) from an
 *     extension is a `feature` step.
 *  4. Internal calls: an extension, then a ring group, a queue, an IVR, then the outbound rules with the caller as
 *     the calling extension. External calls: the inbound rule for the DID and caller (an exact DID
 *     beats `*`, rules in order), its destination by the rule's office hours (else the global
 *     ones): open / closed / break / holiday, break and holiday falling back to closed.
 *  5. An extension: unknown → 404, disabled → 480; the first matching exception forwards at once;
 *     then the status rules: a ringing status (Available, Custom 1) rings for the forwarding's
 *     noAnswerSeconds (until the caller hangs up without forwarding) and forwards on no answer or
 *     busy; a phone known to be unregistered or busy forwards at once (else 480 / 486). A
 *     non-ringing status forwards at once, or ends the call (486 for DND, 480 for the others).
 *     Internal and external callers use the forwarding's `internal` and `external` targets, for
 *     the whole chain.
 *  6. A ring group: out of office, on a break or a holiday by its schedule (else the global one)
 *     → that destination (break and holiday fall back to out-of-hours; none: ring anyway). Members
 *     that are not extensions, disabled, in a non-ringing status, unregistered or busy are
 *     skipped; the others ring all at once or one after another (ring-order.ts), each for
 *     `ringSeconds`; then the no-answer destination. Members are rung directly: their own
 *     forwarding and exceptions do not apply inside a group (a group would otherwise fan out
 *     into every member's chain).
 *
 * Loop protection: every forwarding step carries the extensions and groups already in the chain;
 * coming back to one of them ends the call with 480 `forward-loop`. Each path through the plan
 * therefore visits an extension or group at most once, and the plan is finite.
 *
 * Caller ID: phones see the caller's number. A call that leaves by a trunk shows the calling
 * extension's outbound caller ID (for a forward to an external number, the forwarding
 * extension's), else the caller's own number; emergency calls show the emergency caller ID,
 * else the outbound one.
 */
import { emergencyPlan, outboundPlan } from './dial.js';
import { featureRequest } from './feature-codes.js';
import { matchCallerMasks, matchWildcard } from './match.js';
import type { Destination, Extension, RingGroup, RoutingModel, ScheduleState, TimedDestinations } from './model.js';
import { RINGING_STATUSES } from './model.js';
import { reject, type CallRequest, type Plan, type RoutingState } from './plan.js';
import { ringOrder } from './ring-order.js';
import { inWeeklyRanges, localTime, scheduleState } from './schedule.js';
import { effectiveStatus, extensionSchedule, statusForCode } from './status.js';

/** Everything a decision reads; the forwarding chain (loop protection) is passed alongside. */
interface Context {
  readonly call: CallRequest;
  readonly model: RoutingModel;
  readonly state: RoutingState;
  readonly now: number;
}

type Chain = ReadonlySet<string>;

const extKey = (n: string): string => `extension:${n}`;
const groupKey = (n: string): string => `ring-group:${n}`;

function findExtension(model: RoutingModel, number: string): Extension | undefined {
  return model.extensions.find((e) => e.number === number);
}

function findGroup(model: RoutingModel, number: string): RingGroup | undefined {
  return model.ringGroups.find((g) => g.number === number);
}

/** The destination for a schedule state; break and holiday fall back to closed. */
export function timedDestination(destinations: TimedDestinations, state: ScheduleState): Destination {
  switch (state) {
    case 'open':
      return destinations.open;
    case 'closed':
      return destinations.closed;
    case 'break':
      return destinations.break ?? destinations.closed;
    case 'holiday':
      return destinations.holiday ?? destinations.closed;
  }
}

/**
 * The plan for a destination. `forwarder` is the extension whose forwarding or exception chose
 * it (absent for rules and groups): it is the calling extension of an external target.
 */
function destinationPlan(ctx: Context, dest: Destination, chain: Chain, forwarder: Extension | undefined): Plan {
  switch (dest.kind) {
    case 'extension': {
      const ext = findExtension(ctx.model, dest.number);
      return ext === undefined ? reject('unknown-number') : extensionPlan(ctx, ext, chain);
    }
    case 'ring-group': {
      const group = findGroup(ctx.model, dest.number);
      return group === undefined ? reject('unknown-number') : groupPlan(ctx, group, chain);
    }
    case 'queue':
      return { kind: 'queue', number: dest.number };
    case 'ivr':
      return { kind: 'ivr', number: dest.number };
    case 'voicemail':
      return { kind: 'voicemail', mailbox: dest.number };
    case 'external': {
      const callerId = forwarder?.outboundCallerId ?? ctx.call.caller;
      return outboundPlan(ctx.model, dest.number, forwarder, callerId, ctx.now);
    }
    case 'end-call':
      return reject('end-call');
  }
}

function ringStep(ctx: Context, extensions: readonly string[], seconds: number | null, onNoAnswer: Plan, onBusy: Plan, group?: string): Plan {
  const base = { kind: 'ring', extensions, seconds, callerId: ctx.call.caller, onNoAnswer, onBusy } as const;
  return group === undefined ? base : { ...base, group };
}

/** A call to one extension: exceptions, then its status's forwarding (rule 5 above). */
function extensionPlan(ctx: Context, ext: Extension, chain: Chain): Plan {
  if (chain.has(extKey(ext.number))) return reject('forward-loop');
  if (!ext.enabled) return reject('disabled');
  const next: Chain = new Set([...chain, extKey(ext.number)]);
  const exception = ext.exceptions.find((x) => {
    if (!matchWildcard(x.caller, ctx.call.caller)) return false;
    return x.when === undefined || inWeeklyRanges(x.when, localTime(ctx.now, extensionSchedule(ctx.model, ext).timeZone));
  });
  if (exception !== undefined) return destinationPlan(ctx, exception.destination, next, ext);

  const status = effectiveStatus(ctx.model, ctx.state, ext, ctx.now);
  const fw = Object.hasOwn(ext.forwarding, status) ? ext.forwarding[status] : undefined;
  const target = fw === undefined ? undefined : ctx.call.origin === 'internal' ? fw.internal : fw.external;
  const forwarded = target === undefined ? undefined : destinationPlan(ctx, target, next, ext);

  if (!RINGING_STATUSES.has(status)) return forwarded ?? reject(status === 'dnd' ? 'dnd' : 'unavailable');
  if (!ctx.state.registered.includes(ext.number)) return forwarded ?? reject('not-registered');
  if (ctx.state.busy.includes(ext.number)) return forwarded ?? reject('busy');
  return ringStep(ctx, [ext.number], fw === undefined ? null : fw.noAnswerSeconds, forwarded ?? reject('no-answer'), forwarded ?? reject('busy'));
}

/** Whether a group member may ring now (rule 6 above). */
function canRing(ctx: Context, member: string): boolean {
  const ext = findExtension(ctx.model, member);
  if (ext === undefined || !ext.enabled) return false;
  if (!RINGING_STATUSES.has(effectiveStatus(ctx.model, ctx.state, ext, ctx.now))) return false;
  return ctx.state.registered.includes(member) && !ctx.state.busy.includes(member);
}

/** A call to a ring group (rule 6 above). */
function groupPlan(ctx: Context, group: RingGroup, chain: Chain): Plan {
  if (chain.has(groupKey(group.number))) return reject('forward-loop');
  const next: Chain = new Set([...chain, groupKey(group.number)]);
  const hours = scheduleState(group.schedule ?? ctx.model.schedule, ctx.now);
  const away =
    hours === 'closed' ? group.outOfHours
    : hours === 'break' ? group.onBreak ?? group.outOfHours
    : hours === 'holiday' ? group.onHoliday ?? group.outOfHours
    : undefined;
  if (away !== undefined) return destinationPlan(ctx, away, next, undefined);

  const noAnswer = destinationPlan(ctx, group.noAnswer, next, undefined);
  const members = ringOrder(group, ctx.state).filter((m, i, all) => all.indexOf(m) === i && canRing(ctx, m));
  if (members.length === 0) return noAnswer;
  if (group.strategy === 'ring-all') return ringStep(ctx, members, group.ringSeconds, noAnswer, noAnswer, group.number);
  let plan = noAnswer;
  for (const member of [...members].reverse()) plan = ringStep(ctx, [member], group.ringSeconds, plan, plan, group.number);
  return plan;
}

/** An external call: the inbound rule for the DID and caller, and its destination by office hours. */
function inboundPlan(ctx: Context): Plan {
  const { dialled, caller } = ctx.call;
  const fits = (did: string) => ctx.model.inbound.find((r) => r.did === did && matchCallerMasks(r.callerMasks, caller));
  const rule = fits(dialled) ?? fits('*');
  if (rule === undefined) return reject('no-inbound-rule');
  const hours = scheduleState(rule.schedule ?? ctx.model.schedule, ctx.now);
  return destinationPlan(ctx, timedDestination(rule.destinations, hours), new Set(), undefined);
}

/** An internal call: an extension, a ring group, or out by the outbound rules. */
function internalPlan(ctx: Context, caller: Extension | undefined): Plan {
  const { dialled } = ctx.call;
  const ext = findExtension(ctx.model, dialled);
  if (ext !== undefined) return extensionPlan(ctx, ext, new Set());
  const group = findGroup(ctx.model, dialled);
  if (group !== undefined) return groupPlan(ctx, group, new Set());
  if (ctx.model.queues?.some((q) => q.number === dialled) === true) return { kind: 'queue', number: dialled };
  if (ctx.model.ivrs?.some((v) => v.number === dialled) === true) return { kind: 'ivr', number: dialled };
  // Paging is for the branch's own phones: an external caller never reaches it (no inbound destination names it).
  if (ctx.model.paging?.some((p) => p.number === dialled) === true) return { kind: 'page', number: dialled };
  return outboundPlan(ctx.model, dialled, caller, caller?.outboundCallerId ?? ctx.call.caller, ctx.now);
}

/** What to do with `call` given `model`, the live `state` and the instant `now` (ms since the epoch). */
export function decide(call: CallRequest, model: RoutingModel, state: RoutingState, now: number): Plan {
  const ctx: Context = { call, model, state, now };
  const caller = call.origin === 'internal' ? findExtension(model, call.caller) : undefined;
  if (call.origin === 'internal' && model.emergencyNumbers.includes(call.dialled)) {
    const callerId = caller?.emergencyCallerId ?? caller?.outboundCallerId ?? call.caller;
    return emergencyPlan(model, call.dialled, call.agent, call.pbxReachable, callerId);
  }
  if (model.blacklist.some((pattern) => matchWildcard(pattern, call.caller))) return reject('blacklisted');
  if (call.origin === 'external') return inboundPlan(ctx);
  if (caller !== undefined && !caller.enabled) return reject('caller-disabled');
  const code = statusForCode(model, call.dialled);
  if (caller !== undefined && code !== undefined) return { kind: 'set-status', extension: caller.number, status: code };
  const feature = caller === undefined ? undefined : featureRequest(model, call.dialled);
  if (caller !== undefined && feature !== undefined) return { kind: 'feature', extension: caller.number, request: feature };
  return internalPlan(ctx, caller);
}

/**
 * The plan for `destination` reached from inside a feature: an IVR key, a queue's no-answer or
 * overflow, a parked call's return. The same rules as a forwarding target (extension status,
 * group strategy, outbound rules), with a fresh chain.
 */
export function planForDestination(call: CallRequest, model: RoutingModel, state: RoutingState, now: number, destination: Destination): Plan {
  return destinationPlan({ call, model, state, now }, destination, new Set(), undefined);
}
