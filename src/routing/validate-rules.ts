/**
 * The routing model's rules and trunks, read from the YAML: inbound rules (with the check that
 * rules sharing a DID have caller masks no caller matches twice), outbound rules and their
 * routes, and trunks (register- or IP-based). Part of validateRoutingModel (validate.ts).
 */
import { ConfigError } from '../core/index.js';
import { MAX_ROUTES } from './dial.js';
import { parseDestination, PHONE_NUMBER, type ModelNames } from './destination-text.js';
import { masksOverlap, parseCallerMask, type CallerMask } from './mask-overlap.js';
import type { InboundRule, OutboundRoute, OutboundRule, TimedDestinations, Trunk } from './model.js';
import { computeHa1, digits, firstDuplicate, ha1, hostName, integer, join, list, name, optionalString, section, show, string, text, type Obj } from './routing-fields.js';
import { optionalSchedule } from './schedule-text.js';

const DID = /^(\*|\+?[0-9]{1,32})$/;
const PREFIX = /^\+?[0-9*#]{1,32}$/;
const PREPEND = /^\+?[0-9*#]{0,32}$/;
const EXTENSION_RANGE = /^([0-9]{1,32})-([0-9]{1,32})$/;

export interface RulesContext {
  readonly names: ModelNames;
  /** The global schedule's time zone, for rule schedules that name none. */
  readonly timeZone: string;
  readonly allowPasswords: boolean;
}

/** A list given as a list or as one `;`-separated string. */
function semicolonList(obj: Obj, key: string, path: string): readonly { value: unknown; path: string }[] {
  const v = obj[key];
  if (typeof v === 'string') return v.split(';').map((part) => ({ value: part.trim(), path: join(path, key) }));
  return list(obj, key, path).map((value, i) => ({ value, path: `${join(path, key)}[${i}]` }));
}

function timedDestinations(obj: Obj, path: string, names: ModelNames): TimedDestinations {
  if (obj['destination'] !== undefined && obj['destinations'] !== undefined) throw new ConfigError(join(path, 'destinations'), 'give either destination (always) or destinations (by office hours), not both');
  if (obj['destination'] !== undefined) {
    const d = parseDestination(obj['destination'], join(path, 'destination'), names);
    return { open: d, closed: d };
  }
  const p = join(path, 'destinations');
  if (obj['destinations'] === undefined) throw new ConfigError(p, 'is required (or destination, the same at all times)');
  const t = section(obj['destinations'], p, ['open', 'closed', 'break', 'holiday']);
  const open = parseDestination(t['open'], join(p, 'open'), names);
  const closed = parseDestination(t['closed'], join(p, 'closed'), names);
  return {
    open,
    closed,
    ...(t['break'] === undefined ? {} : { break: parseDestination(t['break'], join(p, 'break'), names) }),
    ...(t['holiday'] === undefined ? {} : { holiday: parseDestination(t['holiday'], join(p, 'holiday'), names) }),
  };
}

function inboundRule(value: unknown, path: string, ctx: RulesContext): { rule: InboundRule; masks: readonly CallerMask[] } {
  if (value === null || value === undefined) throw new ConfigError(path, 'must be a mapping');
  const obj = section(value, path, ['name', 'did', 'callerMasks', 'destination', 'destinations', 'schedule']);
  const ruleName = string(obj, 'name', path);
  const did = text(obj['did'], join(path, 'did'), DID, "a DID in full (digits, optionally after a +) or '*' for any");
  const masks: CallerMask[] = [];
  const callerMasks = semicolonList(obj, 'callerMasks', path).map(({ value: m, path: p }) => {
    const mask = typeof m === 'string' ? parseCallerMask(m) : 'a caller mask is a quoted string';
    if (typeof mask === 'string') throw new ConfigError(p, `${show(m)}: ${mask}`);
    masks.push(mask);
    return m as string;
  });
  const schedule = optionalSchedule(obj, 'schedule', path, ctx.timeZone);
  const rule: InboundRule = { name: ruleName, did, callerMasks, destinations: timedDestinations(obj, path, ctx.names), ...(schedule === undefined ? {} : { schedule }) };
  return { rule, masks };
}

/** Rules on the same DID must not both match a caller; an empty mask list matches every caller. */
function checkOverlaps(rules: readonly { rule: InboundRule; masks: readonly CallerMask[] }[]): void {
  for (const [j, b] of rules.entries()) {
    for (const [i, a] of rules.slice(0, j).entries()) {
      if (a.rule.did !== b.rule.did) continue;
      const clash = overlapOf(a, b);
      if (clash !== undefined) throw new ConfigError(`inbound[${j}].callerMasks`, `overlaps inbound[${i}] ('${clash[0]}' and '${clash[1]}'): rules on one DID need caller masks no caller matches twice`);
    }
  }
}

function overlapOf(a: { rule: InboundRule; masks: readonly CallerMask[] }, b: { rule: InboundRule; masks: readonly CallerMask[] }): [string, string] | undefined {
  if (a.masks.length === 0) return ['any caller', b.rule.callerMasks[0] ?? 'any caller'];
  if (b.masks.length === 0) return [a.rule.callerMasks[0] ?? 'any caller', 'any caller'];
  for (const [x, ma] of a.masks.entries()) {
    for (const [y, mb] of b.masks.entries()) {
      if (masksOverlap(ma, mb)) return [a.rule.callerMasks[x] ?? '', b.rule.callerMasks[y] ?? ''];
    }
  }
  return undefined;
}

export function inboundRules(doc: Obj, ctx: RulesContext): readonly InboundRule[] {
  const rules = list(doc, 'inbound', '').map((r, i) => inboundRule(r, `inbound[${i}]`, ctx));
  const dup = firstDuplicate(rules, (r) => r.rule.name);
  if (dup !== undefined) throw new ConfigError(`inbound[${dup.index}].name`, `'${rules[dup.index]?.rule.name ?? ''}' is already the name of inbound[${dup.first}]`);
  checkOverlaps(rules);
  return rules.map((r) => r.rule);
}

function outboundRoute(value: unknown, path: string, names: ModelNames): OutboundRoute {
  if (value === null || value === undefined) throw new ConfigError(path, 'must be a mapping { trunk, strip, prepend }');
  const obj = section(value, path, ['trunk', 'strip', 'prepend']);
  const trunk = string(obj, 'trunk', path);
  if (!names.trunks.has(trunk)) throw new ConfigError(join(path, 'trunk'), `there is no trunk '${trunk}'`);
  const prepend = obj['prepend'] === undefined ? '' : text(obj['prepend'], join(path, 'prepend'), PREPEND, "digits to put in front (with '+', '*' or '#')");
  return { trunk, strip: integer(obj, 'strip', path, 0, 0, 32), prepend };
}

function extensionEntry(value: unknown, path: string): string {
  const m = typeof value === 'string' ? EXTENSION_RANGE.exec(value) : null;
  if (m === null) return digits(value, path);
  if (BigInt(m[1] ?? '0') > BigInt(m[2] ?? '0')) throw new ConfigError(path, `'${String(value)}': a range starts at its lower end`);
  return m[0];
}

function outboundRule(value: unknown, path: string, ctx: RulesContext): OutboundRule {
  if (value === null || value === undefined) throw new ConfigError(path, 'must be a mapping');
  const obj = section(value, path, ['name', 'prefixes', 'lengths', 'extensions', 'departments', 'routes', 'schedule']);
  const ruleName = string(obj, 'name', path);
  const prefixes = semicolonList(obj, 'prefixes', path).map(({ value: p, path: at }) => text(p, at, PREFIX, "a prefix of digits (with '+', '*' or '#')"));
  const lengths = typeof obj['lengths'] === 'number' ? [integer(obj, 'lengths', path, undefined, 1, 32)] : list(obj, 'lengths', path).map((n, i) => integer({ n }, 'n', '', undefined, 1, 32, `${join(path, 'lengths')}[${i}]`));
  const extensions = list(obj, 'extensions', path).map((e, i) => extensionEntry(e, `${join(path, 'extensions')}[${i}]`));
  const departments = list(obj, 'departments', path).map((d, i) => {
    const p = `${join(path, 'departments')}[${i}]`;
    const dept = name(d, p);
    if (!ctx.names.departments.has(dept)) throw new ConfigError(p, `no extension is in department '${dept}' and no office hours declare it`);
    return dept;
  });
  const routesPath = join(path, 'routes');
  let routes: OutboundRule['routes'];
  if (obj['routes'] === 'block') routes = 'block';
  else {
    if (!Array.isArray(obj['routes'])) throw new ConfigError(routesPath, `must be 'block' or a list of 1 to ${MAX_ROUTES} routes { trunk, strip, prepend }`);
    const given = obj['routes'] as unknown[];
    if (given.length === 0 || given.length > MAX_ROUTES) throw new ConfigError(routesPath, `must hold 1 to ${MAX_ROUTES} routes, not ${given.length} (or be 'block')`);
    routes = given.map((r, i) => outboundRoute(r, `${routesPath}[${i}]`, ctx.names));
  }
  const schedule = optionalSchedule(obj, 'schedule', path, ctx.timeZone);
  return { name: ruleName, prefixes, lengths, extensions, departments, routes, ...(schedule === undefined ? {} : { schedule }) };
}

export function outboundRules(doc: Obj, ctx: RulesContext): readonly OutboundRule[] {
  const rules = list(doc, 'outbound', '').map((r, i) => outboundRule(r, `outbound[${i}]`, ctx));
  const dup = firstDuplicate(rules, (r) => r.name);
  if (dup !== undefined) throw new ConfigError(`outbound[${dup.index}].name`, `'${rules[dup.index]?.name ?? ''}' is already the name of outbound[${dup.first}]`);
  return rules;
}

const TRUNK_FIELDS: Readonly<Record<string, readonly string[]>> = {
  register: ['name', 'kind', 'host', 'port', 'username', 'ha1', 'password', 'realm', 'reregisterSeconds', 'agent'],
  ip: ['name', 'kind', 'host', 'port', 'agent'],
};

/** The trunk names, read first so that routes and local trunks can refer to them. */
export function trunkNames(doc: Obj): readonly string[] {
  return list(doc, 'trunks', '').map((t, i) => {
    const path = `trunks[${i}]`;
    if (t === null || typeof t !== 'object' || Array.isArray(t)) throw new ConfigError(path, 'must be a mapping');
    return name((t as Obj)['name'], join(path, 'name'));
  });
}

/** `password` becomes an HA1 only when the caller allows it (the hub's import); a model keeps none. */
export function credentials(obj: Obj, path: string, username: string, realm: string, allowPasswords: boolean): string {
  if (obj['password'] !== undefined) {
    if (!allowPasswords) throw new ConfigError(join(path, 'password'), 'a model keeps no plaintext password: give ha1 = MD5(username:realm:password) instead');
    if (obj['ha1'] !== undefined) throw new ConfigError(join(path, 'password'), 'give ha1 or password, not both');
    return computeHa1(username, realm, string(obj, 'password', path));
  }
  if (obj['ha1'] === undefined) throw new ConfigError(join(path, 'ha1'), 'is required: MD5(username:realm:password), 32 hex digits');
  return ha1(obj['ha1'], join(path, 'ha1'));
}

function trunk(value: unknown, path: string, ctx: RulesContext): Trunk {
  const kindOf = (value as Obj | null)?.['kind'];
  if (kindOf !== 'register' && kindOf !== 'ip') throw new ConfigError(join(path, 'kind'), `must be 'register' or 'ip', not ${show(kindOf)}`);
  const obj = section(value, path, TRUNK_FIELDS[kindOf] ?? []);
  const base = { name: name(obj['name'], join(path, 'name')), host: hostName(obj['host'], join(path, 'host')), port: integer(obj, 'port', path, 5060, 1, 65535) };
  const agent = optionalString(obj, 'agent', path);
  const agentPart = agent === undefined ? {} : { agent: name(agent, join(path, 'agent')) };
  if (kindOf === 'ip') return { ...base, kind: 'ip', ...agentPart };
  const username = string(obj, 'username', path);
  const realm = string(obj, 'realm', path);
  return { ...base, kind: 'register', username, ha1: credentials(obj, path, username, realm, ctx.allowPasswords), realm, reregisterSeconds: integer(obj, 'reregisterSeconds', path, 600, 60, 86400), ...agentPart };
}

export function trunks(doc: Obj, ctx: RulesContext): readonly Trunk[] {
  const all = list(doc, 'trunks', '').map((t, i) => trunk(t, `trunks[${i}]`, ctx));
  const dup = firstDuplicate(all, (t) => t.name);
  if (dup !== undefined) throw new ConfigError(`trunks[${dup.index}].name`, `'${all[dup.index]?.name ?? ''}' is already the name of trunks[${dup.first}]`);
  return all;
}

/** Caller numbers as the blacklist and exceptions write them: digits, `+`, and `*` for any run. */
export const CALLER_PATTERN = /^\+?[0-9*]{1,32}$/;
export { PHONE_NUMBER };
