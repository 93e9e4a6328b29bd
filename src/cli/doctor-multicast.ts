/**
 * doctor's multicast checks of each LAN interface beyond the group membership (doctor-checks.ts):
 * whether the interface has MULTICAST on, and where this box routes 224.0.1.75. Pure: doctor.ts
 * reads the flags (/sys/class/net/IF/flags) and asks the kernel's route (a UDP socket connected
 * to the group, then its local address).
 */
import { PNP_GROUP, type CheckResult } from './doctor-checks.js';

/** IFF_MULTICAST in linux/if.h. */
export const IFF_MULTICAST = 0x1000;

export interface MulticastRouteProbe {
  readonly lan: string;
  /** The interface flags (`/sys/class/net/IF/flags`); undefined when they could not be read (not Linux, no such interface). */
  readonly flags?: number;
  /** The interface the kernel routes PNP_GROUP out of; undefined with `routeError`. */
  readonly routeInterface?: string;
  /** `ENETUNREACH` when no route covers the group at all. */
  readonly routeError?: string;
}

/**
 * MULTICAST off is a failure: the driver need not pass the group's frames up and the membership
 * reports that make IGMP-snooping switches forward phones' SUBSCRIBEs to this port are not sent.
 * A group routed out of a non-LAN interface is a warning: the agent joins on each LAN by address and
 * still receives, but a program that sends to or joins the group without naming the interface
 * (the kernel then picks it by this route) uses the other one.
 */
export function multicastRouteCheck(p: MulticastRouteProbe, lans: readonly string[] = [p.lan]): CheckResult | undefined {
  if (p.flags !== undefined && (p.flags & IFF_MULTICAST) === 0) {
    return { check: 'multicast-flag', status: 'fail', says: `${p.lan} has multicast turned off: plug-and-play SUBSCRIBEs to ${PNP_GROUP} may never reach the agent`, todo: `turn it on: 'ip link set dev ${p.lan} multicast on' (and in the interface's configuration, so it stays on)` };
  }
  if (p.routeError !== undefined || p.routeInterface === undefined) {
    return { check: 'multicast-route', status: 'warn', says: `no route for ${PNP_GROUP} on this box${p.routeError === undefined ? '' : ` (${p.routeError})`}: ${p.lan} has no route for 224.0.0.0/4`, todo: `add one: 'ip route add 224.0.0.0/4 dev ${p.lan}'` };
  }
  // One 224.0.0.0/4 route serves one interface: on a box with two LANs, the other LAN is as good.
  if (p.routeInterface !== p.lan && lans.includes(p.routeInterface)) {
    return { check: 'multicast-route', status: 'ok', says: `${PNP_GROUP} is routed out of ${p.routeInterface}, another LAN the agent serves; it joins the group on ${p.lan} by address` };
  }
  if (p.routeInterface !== p.lan) {
    return { check: 'multicast-route', status: 'warn', says: `${PNP_GROUP} is routed out of ${p.routeInterface}, not the LAN ${p.lan}: ${p.lan} has no route for 224.0.0.0/4`, todo: `add one: 'ip route add 224.0.0.0/4 dev ${p.lan}'` };
  }
  return { check: 'multicast-route', status: 'ok', says: `${PNP_GROUP} is routed out of ${p.lan}, with multicast on` };
}
