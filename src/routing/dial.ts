/**
 * Calls that leave by a trunk: the outbound rule that applies, the number each route sends
 * (strip N digits, then prepend), the chain of routes tried in order on failure or busy, and the
 * emergency routes that no rule may block.
 */
import { inNumberList, matchPrefixes } from './match.js';
import type { Extension, OutboundRoute, OutboundRule, RoutingModel } from './model.js';
import { reject, type Plan } from './plan.js';
import { scheduleState } from './schedule.js';

/** The PBX guides allow three routes per rule; more are ignored. */
export const MAX_ROUTES = 3;

/** The number a route sends: `strip` digits removed from the front, then `prepend` put before. */
export function stripPrepend(number: string, route: Pick<OutboundRoute, 'strip' | 'prepend'>): string {
  return route.prepend + number.slice(Math.max(0, route.strip));
}

/**
 * The first outbound rule that applies to `number` dialled by `caller` at `now`: its prefixes and
 * lengths admit the number, its extension list and departments admit the caller (a rule that
 * names extensions or departments never applies to a call without a calling extension), and a
 * rule with office hours applies only while they are open.
 */
export function selectOutboundRule(model: RoutingModel, number: string, caller: Extension | undefined, now: number): OutboundRule | undefined {
  return model.outbound.find((rule) => {
    if (!matchPrefixes(rule.prefixes, number)) return false;
    if (rule.lengths.length > 0 && !rule.lengths.includes(number.length)) return false;
    if (rule.extensions.length > 0 && (caller === undefined || !inNumberList(rule.extensions, caller.number))) return false;
    if (rule.departments.length > 0 && (caller?.department === undefined || !rule.departments.includes(caller.department))) return false;
    return rule.schedule === undefined || scheduleState(rule.schedule, now) === 'open';
  });
}

/** A chain of dial-out steps, the last one's failure ending in `last`. */
function chain(steps: readonly { readonly trunk: string; readonly number: string }[], callerId: string, emergency: boolean, rule: string | undefined, last: Plan): Plan {
  let plan = last;
  for (const step of [...steps].reverse()) {
    plan = rule === undefined
      ? { kind: 'dial-out', trunk: step.trunk, number: step.number, callerId, emergency, onFailure: plan }
      : { kind: 'dial-out', trunk: step.trunk, number: step.number, callerId, emergency, rule, onFailure: plan };
  }
  return plan;
}

/**
 * The plan for an ordinary external number: the first applicable rule's routes in order
 * (at most three), `block` → 403, no rule → 404, every route failed → 480.
 */
export function outboundPlan(model: RoutingModel, number: string, caller: Extension | undefined, callerId: string, now: number): Plan {
  const rule = selectOutboundRule(model, number, caller, now);
  if (rule === undefined) return reject('no-outbound-rule');
  if (rule.routes === 'block') return reject('blocked');
  const steps = rule.routes.slice(0, MAX_ROUTES).map((r) => ({ trunk: r.trunk, number: stripPrepend(number, r) }));
  return chain(steps, callerId, false, rule.name, reject('no-route'));
}

/**
 * The plan for an emergency number, which nothing blocks: no blacklist, status, department,
 * extension list, office hours or `block` route applies. The number is sent as dialled (a
 * strip/prepend meant for ordinary numbers must not mangle 112 or 911). When the PBX is
 * unreachable the call leaves by the branch's local trunk; otherwise by the trunks of the first
 * rule whose prefixes and lengths admit the number and that has routes, with the local trunk
 * tried last. With neither, the plan is a 480 `no-route`.
 */
export function emergencyPlan(model: RoutingModel, number: string, agent: string, pbxReachable: boolean, callerId: string): Plan {
  const local = Object.hasOwn(model.localTrunks, agent) ? model.localTrunks[agent] : undefined;
  const rule = model.outbound.find((r) => r.routes !== 'block' && r.routes.length > 0 && matchPrefixes(r.prefixes, number) && (r.lengths.length === 0 || r.lengths.includes(number.length)));
  const ruleTrunks = rule === undefined || rule.routes === 'block' ? [] : rule.routes.slice(0, MAX_ROUTES).map((r) => r.trunk);
  let trunks: string[];
  if (!pbxReachable && local !== undefined) trunks = [local];
  else trunks = local === undefined || ruleTrunks.includes(local) ? ruleTrunks : [...ruleTrunks, local];
  return chain(trunks.map((trunk) => ({ trunk, number })), callerId, true, undefined, reject('no-route'));
}
