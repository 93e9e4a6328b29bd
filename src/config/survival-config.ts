/**
 * Survival settings of agent.yaml beside the durations (issue 12): `agent.hubs` and
 * `agent.survival.failback`.
 *
 * `agent.hubs`: the hubs' tunnel addresses in the order to try them, IP literals with an optional
 * port (`192.0.2.10`, `192.0.2.11:5090`, `[2001:db8::10]:5090`), so failing over needs no DNS.
 *
 * `agent.survival.failback`: when a branch in survival hands its calls back to the PBX
 * once tunnel and PBX are healthy. `when-idle`, `immediate`, or a daily window of local time (a
 * mapping, so YAML editors complete its fields and errors name each one):
 *   failback: { from: '22:00', to: '06:00', timeZone: Europe/Paris }
 * The health machine (src/survival/health-machine.ts, policy kind `window`) reads the local time
 * through Intl, so DST changes move the window with the wall clock.
 */
import { ConfigError, isIpLiteral } from '../core/index.js';
import { join, section, string, type Obj } from './fields.js';
import type { AgentSurvivalConfig } from './schema.js';

const CLOCK_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** `HH:MM` (24-hour) → minutes after local midnight. */
function clockTime(obj: Obj, key: string, path: string): number {
  const v = obj[key];
  const m = typeof v === 'string' ? CLOCK_TIME.exec(v) : null;
  if (m === null) throw new ConfigError(join(path, key), "must be a time of day 'HH:MM' from 00:00 to 23:59");
  return Number(m[1]) * 60 + Number(m[2]);
}

/** An IANA time zone the runtime knows (Intl throws a RangeError for any other). */
function timeZone(obj: Obj, key: string, path: string): string {
  const zone = string(obj, key, path, '');
  if (zone === '') throw new ConfigError(join(path, key), "is required: an IANA time zone such as 'Europe/Paris' or 'UTC'");
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new ConfigError(join(path, key), `'${zone}' is not a time zone known to Intl (IANA names such as 'Europe/Paris' or 'UTC')`);
  }
  return zone;
}

/** agent.survival.failback: `when-idle`, `immediate`, or a daily window `{ from, to, timeZone }`. */
export function failbackPolicy(value: unknown, fallback: AgentSurvivalConfig['failback']): AgentSurvivalConfig['failback'] {
  const path = 'agent.survival.failback';
  if (value === undefined) return fallback;
  if (value === 'when-idle' || value === 'immediate') return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(path, "must be when-idle, immediate or a window { from: 'HH:MM', to: 'HH:MM', timeZone: ZONE }");
  }
  const obj = section(value, path, ['from', 'to', 'timeZone']);
  const from = clockTime(obj, 'from', path);
  const to = clockTime(obj, 'to', path);
  if (from === to) throw new ConfigError(join(path, 'to'), 'must differ from from (an empty window would never fail back)');
  return { from, to, timeZone: timeZone(obj, 'timeZone', path) };
}

const HUB_ADDRESS = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)|([0-9A-Fa-f:]+))(?::(\d{1,5}))?$/;

/** agent.hubs: `HOST[:PORT]` IP literals (default port 5090), no repeats. */
export function hubList(value: unknown): { host: string; port: number }[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ConfigError('agent.hubs', "must be a list of hub addresses such as '192.0.2.10:5090'");
  const seen = new Set<string>();
  return value.map((item: unknown, i) => {
    const path = `agent.hubs[${i}]`;
    const m = typeof item === 'string' ? HUB_ADDRESS.exec(item.trim()) : null;
    // A bare IPv6 address has no port (its colons would be ambiguous): [2001:db8::1]:5090 for one.
    const host = m === null ? undefined : (m[1] ?? m[2] ?? m[3]);
    const portText = m?.[3] === undefined ? m?.[4] : undefined;
    if (host === undefined || !isIpLiteral(host) || (m?.[3] !== undefined && m[4] !== undefined)) {
      throw new ConfigError(path, "must be an IP address with an optional port ('192.0.2.10:5090', '[2001:db8::10]:5090'): no DNS names, so failover never waits for DNS");
    }
    const port = portText === undefined ? 5090 : Number(portText);
    if (port < 1 || port > 65535) throw new ConfigError(path, 'port must be from 1 to 65535');
    const key = `${host}|${port}`;
    if (seen.has(key)) throw new ConfigError(path, 'is listed twice');
    seen.add(key);
    return { host, port };
  });
}
