/**
 * Which interfaces the agent serves as its LANs when agent.yaml names none: every interface with a
 * private IPv4 address (RFC 1918) that does not carry the default route (that one faces the WAN).
 * A one-armed box, whose only private interface is also the default route's (a Pi on the office
 * LAN behind the office router), serves that interface. Each choice carries its reason, for the
 * log and `sbc-agent status`.
 */
import { readFileSync } from 'node:fs';
import { listIpv4Interfaces, type LanInterface } from './multicast.js';

export interface ChosenLan extends LanInterface {
  readonly reason: string;
}

export interface LanChoice {
  readonly lans: readonly ChosenLan[];
  /** Configured entries that match no interface. */
  readonly unknown: readonly string[];
}

/** RFC 1918 private ranges: 10/8, 172.16/12, 192.168/16. */
export function isPrivateIpv4(address: string): boolean {
  const parts = address.split('.').map(Number);
  const [a, b] = parts;
  if (parts.length !== 4 || a === undefined || b === undefined) return false;
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

/**
 * The interfaces that carry an IPv4 default route, from /proc/net/route (Linux: destination and
 * mask 00000000). Elsewhere, or when the file cannot be read, none is known.
 */
export function defaultRouteInterfaces(routeTable: string | undefined = readRouteTable()): Set<string> {
  const out = new Set<string>();
  if (routeTable === undefined) return out;
  for (const line of routeTable.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 8 && f[1] === '00000000' && f[7] === '00000000' && f[0] !== undefined) out.add(f[0]);
  }
  return out;
}

function readRouteTable(): string | undefined {
  try {
    return readFileSync('/proc/net/route', 'utf8');
  } catch {
    return undefined;
  }
}

/** Pure: the LANs for `wanted` (names or addresses), or chosen among `all` when `wanted` is empty. */
export function chooseLans(all: readonly LanInterface[], defaultRoute: ReadonlySet<string>, wanted: readonly string[]): LanChoice {
  if (wanted.length > 0) {
    const lans: ChosenLan[] = [];
    const unknown: string[] = [];
    for (const w of wanted) {
      const found = all.filter((i) => i.name === w || i.address === w);
      if (found.length === 0) unknown.push(w);
      for (const f of found) if (!lans.some((l) => l.address === f.address)) lans.push({ ...f, reason: `configured (agent.lan: ${w})` });
    }
    return { lans, unknown };
  }
  const candidates = all.filter((i) => isPrivateIpv4(i.address));
  const routes = [...defaultRoute].join(', ');
  const inside = candidates.filter((i) => !defaultRoute.has(i.name));
  if (inside.length > 0) {
    const why = routes === '' ? 'private address; no default route known' : `private address, not on the default route's interface (${routes})`;
    return { lans: inside.map((i) => ({ ...i, reason: why })), unknown: [] };
  }
  return {
    lans: candidates.map((i) => ({ ...i, reason: `private address on the default route's interface (one-armed: LAN and WAN on ${i.name})` })),
    unknown: [],
  };
}

/** The LANs to serve on this host. */
export function chooseHostLans(wanted: readonly string[]): LanChoice {
  return chooseLans(listIpv4Interfaces(wanted.length > 0), defaultRouteInterfaces(), wanted);
}
