/**
 * `agent.protection` and `hub.protection`: the thresholds and block times of the blocking policy
 * (src/protect/policy.ts), the allow list and the deny list. Masks are checked here so that a typo
 * is a ConfigError naming the entry, not a policy that silently matches nothing.
 */
import { ConfigError, isIpLiteral } from '../core/index.js';
import { boolean, duration, integer, join, section, type Obj } from './fields.js';
import { DEFAULT_CONFIG, type ProtectionConfig } from './schema.js';

const MASK = /^([0-9A-Fa-f:.]+)(?:\/(\d{1,3}))?$/;

function mask(value: unknown, path: string): string {
  const m = typeof value === 'string' ? MASK.exec(value.trim()) : null;
  const address = m?.[1] ?? '';
  const bits = m?.[2] === undefined ? undefined : Number(m[2]);
  const max = address.includes(':') ? 128 : 32;
  if (m === null || !isIpLiteral(address) || (bits !== undefined && bits > max)) throw new ConfigError(path, 'must be an address or a mask such as 192.0.2.0/24 or 2001:db8::/32');
  return (value as string).trim();
}

function masks(value: unknown, path: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ConfigError(path, 'must be a list of addresses or masks');
  return value.map((v: unknown, i) => mask(v, `${path}[${i}]`));
}

/** `deny`: masks, each either a string or `{ address, expires: ISO time }`. */
function denyList(value: unknown, path: string): ProtectionConfig['deny'] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ConfigError(path, 'must be a list of masks or { address, expires } entries');
  return value.map((v: unknown, i) => {
    const at = `${path}[${i}]`;
    if (typeof v === 'string') return { address: mask(v, at), until: undefined };
    const obj = section(v, at, ['address', 'expires']);
    const expires = obj['expires'];
    const until = expires === undefined ? undefined : typeof expires === 'string' ? Date.parse(expires) : expires instanceof Date ? expires.getTime() : NaN;
    if (until !== undefined && !Number.isFinite(until)) throw new ConfigError(join(at, 'expires'), 'must be a time such as 2026-12-31T00:00:00Z');
    return { address: mask(obj['address'], join(at, 'address')), until };
  });
}

function rateLevel(obj: Obj, key: string, path: string, fallback: { packetsPerSecond: number; blockMs: number }): { packetsPerSecond: number; blockMs: number } {
  const level = section(obj[key], join(path, key), ['packetsPerSecond', 'block']);
  return {
    packetsPerSecond: integer(level, 'packetsPerSecond', join(path, key), fallback.packetsPerSecond, 10, 10_000_000),
    blockMs: duration(level, 'block', join(path, key), fallback.blockMs),
  };
}

export function protectionSection(value: unknown, path: string): ProtectionConfig {
  const d = DEFAULT_CONFIG.agent.protection;
  const obj = section(value, path, ['enabled', 'authFailures', 'rate', 'dropScanners', 'allow', 'deny']);
  const authObj = section(obj['authFailures'], join(path, 'authFailures'), ['max', 'window', 'block', 'challengeTimeout']);
  const authPath = join(path, 'authFailures');
  const rateObj = section(obj['rate'], join(path, 'rate'), ['level1', 'level2']);
  const [d1, d2] = d.rates;
  if (d1 === undefined || d2 === undefined) throw new Error('two default rate levels');
  const level1 = rateLevel(rateObj, 'level1', join(path, 'rate'), d1);
  const level2 = rateLevel(rateObj, 'level2', join(path, 'rate'), d2);
  if (level2.packetsPerSecond <= level1.packetsPerSecond) throw new ConfigError(join(path, 'rate.level2.packetsPerSecond'), 'must be above level1.packetsPerSecond');
  return {
    enabled: boolean(obj, 'enabled', path, d.enabled),
    auth: {
      maxFailures: integer(authObj, 'max', authPath, d.auth.maxFailures, 1, 10_000),
      windowMs: duration(authObj, 'window', authPath, d.auth.windowMs),
      blockMs: duration(authObj, 'block', authPath, d.auth.blockMs),
      challengeTimeoutMs: duration(authObj, 'challengeTimeout', authPath, d.auth.challengeTimeoutMs),
    },
    rates: [level1, level2],
    dropScanners: boolean(obj, 'dropScanners', path, d.dropScanners),
    allow: masks(obj['allow'], join(path, 'allow')),
    deny: denyList(obj['deny'], join(path, 'deny')),
  };
}
