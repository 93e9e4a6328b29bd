/**
 * A LAN call path's relayed registrations out to the stored form (relayed-file.ts) and back in
 * after a restart: the RegistrationCache's bindings (times from its monotonic clock to epoch ms
 * and back), each with its phone's flow and last relayed REGISTER from the AgentCallPath.
 */
import type { Clock } from '../core/index.js';
import type { AgentCallPath } from './agent-side.js';
import type { RelayedRegistration } from './relayed-file.js';
import type { RegistrationCache } from './registrations.js';

export interface RelayedOwner {
  readonly callPath: Pick<AgentCallPath, 'phones' | 'lastRegisterOf' | 'restorePhone'>;
  readonly registrations: RegistrationCache;
}

/** The live bindings with a known flow, in stored form. */
export function relayedState(owner: RelayedOwner, clock: Clock): RelayedRegistration[] {
  const toWall = clock.wallNow() - clock.now();
  const flows = new Map(owner.callPath.phones().map((p) => [p.token, p]));
  return owner.registrations.list().flatMap((b) => {
    const flow = flows.get(b.token);
    if (flow === undefined) return [];
    return [{
      aor: b.aor, contact: b.contact, token: b.token, callId: b.callId, userAgent: b.userAgent, username: b.username,
      expiresAt: b.expiresAt + toWall, upstreamExpiresAt: b.upstreamExpiresAt + toWall,
      flow: flow.target, last: owner.callPath.lastRegisterOf(b.token),
    }];
  });
}

/** Stored bindings back into the cache and the call path; those already expired are left out. Returns how many. */
export function restoreRelayed(owner: RelayedOwner, clock: Clock, stored: readonly RelayedRegistration[]): number {
  const wall = clock.wallNow();
  const toClock = clock.now() - wall;
  let restored = 0;
  for (const r of stored) {
    if (r.expiresAt <= wall || r.upstreamExpiresAt <= wall) continue;
    owner.registrations.restore({
      aor: r.aor, contact: r.contact, token: r.token, callId: r.callId, userAgent: r.userAgent, username: r.username,
      expiresAt: r.expiresAt + toClock, upstreamExpiresAt: r.upstreamExpiresAt + toClock,
    });
    owner.callPath.restorePhone(r.token, { uri: r.contact, target: r.flow }, r.last);
    restored++;
  }
  return restored;
}
