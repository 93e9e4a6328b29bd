/**
 * Field readers for configuration validation: each takes the parent mapping, the key and the
 * dotted path of the parent, and throws a ConfigError naming the full path of a bad field.
 */
import { ConfigError, isIpLiteral } from '../core/index.js';
import { parseDuration } from './duration.js';
import type { ListenConfig } from './schema.js';

export type Obj = Record<string, unknown>;

const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** A mapping whose keys are all known (a typo is an error, not silently ignored); absent: `{}`. */
export function section(value: unknown, path: string, known: readonly string[]): Obj {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(path || '(top level)', 'must be a mapping');
  const obj = value as Obj;
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) throw new ConfigError(path === '' ? key : `${path}.${key}`, `unknown field (known: ${known.join(', ')})`);
  }
  return obj;
}

export function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export function string(obj: Obj, key: string, path: string, fallback: string): string {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || v === '') throw new ConfigError(join(path, key), 'must be a non-empty string');
  return v;
}

export function optionalString(obj: Obj, key: string, path: string): string | undefined {
  return obj[key] === undefined ? undefined : string(obj, key, path, '');
}

export function boolean(obj: Obj, key: string, path: string, fallback: boolean): boolean {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new ConfigError(join(path, key), 'must be true or false');
  return v;
}

export function integer(obj: Obj, key: string, path: string, fallback: number, min: number, max: number): number {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ConfigError(join(path, key), `must be an integer from ${min} to ${max}`);
  return v;
}

export function duration(obj: Obj, key: string, path: string, fallback: number, allowZero = false): number {
  const v = obj[key];
  if (v === undefined) return fallback;
  const ms = typeof v === 'string' ? parseDuration(v) : undefined;
  if (ms === undefined || ms < (allowZero ? 0 : 1)) throw new ConfigError(join(path, key), "must be a duration such as '250ms', '30s', '15m', '12h' or '7d'");
  return ms;
}

export function hostName(value: string, path: string): string {
  if (!isIpLiteral(value) && !HOSTNAME.test(value)) throw new ConfigError(path, `'${value}' is neither a host name nor an IP address`);
  return value;
}

export function listen(value: unknown, path: string, fallback: ListenConfig): ListenConfig {
  const obj = section(value, path, ['listen', 'port']);
  const address = string(obj, 'listen', path, fallback.listen);
  if (!isIpLiteral(address)) throw new ConfigError(join(path, 'listen'), `'${address}' is not an IP address (use 0.0.0.0 or :: for all)`);
  return { listen: address, port: integer(obj, 'port', path, fallback.port, 1, 65535) };
}

/** A port range `{ min, max }` of at least two even/odd pairs (RTP and RTCP). */
export function portRange(value: unknown, path: string, fallback: { min: number; max: number }): { min: number; max: number } {
  const obj = section(value, path, ['min', 'max']);
  const min = integer(obj, 'min', path, fallback.min, 1024, 65534);
  const max = integer(obj, 'max', path, obj['min'] === undefined ? fallback.max : Math.min(65535, min + (fallback.max - fallback.min)), 1025, 65535);
  if (max - min < 3) throw new ConfigError(join(path, 'max'), `must be at least ${min + 3} (two RTP/RTCP port pairs from ${min})`);
  return { min, max };
}
