/**
 * The order a ring group's members are tried in, by strategy:
 *
 *   ring-all           all members at once (their order is kept for display only);
 *   prioritized-hunt   the members' order;
 *   cyclic-hunt        the members' order rotated to start after the member rung last
 *                      (`state.lastRung`); the first member when there is none or it left the group;
 *   least-worked-hunt  fewest answered calls first (`state.answered`), ties in the members' order.
 */
import type { RingGroup } from './model.js';
import type { RoutingState } from './plan.js';

function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

export function ringOrder(group: RingGroup, state: RoutingState): readonly string[] {
  const members = group.members;
  switch (group.strategy) {
    case 'ring-all':
    case 'prioritized-hunt':
      return members;
    case 'cyclic-hunt': {
      const last = own(state.lastRung, group.number);
      const at = last === undefined ? -1 : members.indexOf(last);
      const start = at + 1;
      return [...members.slice(start), ...members.slice(0, start)];
    }
    case 'least-worked-hunt': {
      const counts = own(state.answered, group.number) ?? {};
      const count = (m: string): number => own(counts, m) ?? 0;
      // Array.prototype.sort is stable (ES2019), so ties keep the members' order.
      return [...members].sort((a, b) => count(a) - count(b));
    }
  }
}
