/**
 * Field readers for the routing model's validation (the pattern of src/config/fields.ts, which
 * src/routing may not import): each takes the parent mapping, the key and the dotted path of the
 * parent, and throws a ConfigError naming the full path of a bad field
 * (`extensions[3].forwarding.away.noAnswer`).
 */
import { createHash } from 'node:crypto';
import { ConfigError, isIpLiteral } from '../core/index.js';

export type Obj = Record<string, unknown>;

const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const DIGITS = /^[0-9]{1,32}$/;
/** Names used as keys (departments, branches, trunks): no spaces, nothing a prototype could own. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const HA1 = /^[0-9a-fA-F]{32}$/;

/** A mapping whose keys are all known (a typo is an error, not silently ignored); absent: `{}`. */
export function section(value: unknown, path: string, known: readonly string[]): Obj {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(path || '(top level)', 'must be a mapping');
  const obj = value as Obj;
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) throw new ConfigError(join(path, key), `unknown field (known: ${known.join(', ')})`);
  }
  return obj;
}

/** A mapping that must be present. */
export function requiredSection(value: unknown, path: string, known: readonly string[]): Obj {
  if (value === undefined || value === null) throw new ConfigError(path, 'is required');
  return section(value, path, known);
}

/** `path.key`; an empty key is written `""` so that the path still names something. */
export function join(path: string, key: string): string {
  const k = key === '' ? '""' : key;
  return path === '' ? k : `${path}.${k}`;
}

/** A list; absent: `[]`. */
export function list(obj: Obj, key: string, path: string): readonly unknown[] {
  const v = obj[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ConfigError(join(path, key), 'must be a list');
  return v;
}

export function string(obj: Obj, key: string, path: string, fallback?: string): string {
  const v = obj[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (v === undefined) throw new ConfigError(join(path, key), 'is required');
  if (typeof v !== 'string' || v === '') throw new ConfigError(join(path, key), 'must be a non-empty string');
  return v;
}

export function optionalString(obj: Obj, key: string, path: string): string | undefined {
  return obj[key] === undefined ? undefined : string(obj, key, path);
}

export function boolean(obj: Obj, key: string, path: string, fallback: boolean): boolean {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new ConfigError(join(path, key), 'must be true or false');
  return v;
}

/** `at` names the field when it is not `path.key` (an item of a list). */
export function integer(obj: Obj, key: string, path: string, fallback: number | undefined, min: number, max: number, at = join(path, key)): number {
  const v = obj[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ConfigError(at, `must be an integer from ${min} to ${max}, not ${show(v)}`);
  return v;
}

/**
 * A number made of digits: a string, or a YAML integer (extension numbers written unquoted).
 * Numbers where a leading 0 matters (DIDs, masks, external numbers) go through `text` instead.
 */
export function digits(value: unknown, path: string): string {
  const s = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? String(value) : value;
  if (typeof s !== 'string' || !DIGITS.test(s)) throw new ConfigError(path, `must be a number of 1 to 32 digits, not ${show(value)}`);
  return s;
}

/** A string matching `pattern`; `what` says what it must be. */
export function text(value: unknown, path: string, pattern: RegExp, what: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    const hint = typeof value === 'number' ? ' (quote numbers: a leading 0 would be lost)' : '';
    throw new ConfigError(path, `must be ${what}, not ${show(value)}${hint}`);
  }
  return value;
}

export function name(value: unknown, path: string): string {
  return text(value, path, NAME, 'a name of letters, digits, ".", "_" and "-"');
}

export function ha1(value: unknown, path: string): string {
  return text(value, path, HA1, 'an HA1: 32 hex digits, MD5(username:realm:password)').toLowerCase();
}

export function hostName(value: unknown, path: string): string {
  if (typeof value !== 'string' || (!isIpLiteral(value) && !HOSTNAME.test(value))) throw new ConfigError(path, `${show(value)} is neither a host name nor an IP address`);
  return value;
}

/** MD5(username ":" realm ":" password) in hex (RFC 2617 §3.2.2.2: A1 for the "MD5" algorithm). */
export function computeHa1(username: string, realm: string, password: string): string {
  return createHash('md5').update(`${username}:${realm}:${password}`, 'utf8').digest('hex');
}

/** A short printable form of a bad value for an error message. */
export function show(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 60)}…` : value}'`;
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'a list' : 'a mapping';
}

/** The path of the first duplicate among `values` (by `key`), or undefined. */
export function firstDuplicate<T>(values: readonly T[], key: (v: T) => string): { readonly index: number; readonly first: number } | undefined {
  const seen = new Map<string, number>();
  for (const [index, v] of values.entries()) {
    const k = key(v);
    const first = seen.get(k);
    if (first !== undefined) return { index, first };
    seen.set(k, index);
  }
  return undefined;
}
