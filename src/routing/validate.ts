/**
 * The routing model from YAML (docs: config/routing.example.yaml). The parsed document is
 * `unknown` until every field is checked; the first bad field throws a ConfigError whose `path`
 * names it (`extensions[3].forwarding.away.noAnswer`), and unknown fields are errors too, so a
 * typo is not silently ignored. References are checked: a destination, ring-group member, route
 * or local trunk naming something the model does not hold is refused.
 *
 * An empty (null) field counts as absent, as YAML writes `schedule:` with nothing under it.
 *
 * A model keeps no plaintext password: `password:` is refused unless the caller passes
 * `{ allowPasswords: true }` (the hub's import), and then it is turned into the HA1 at once.
 */
import { parseDocument } from 'yaml';
import { ConfigError } from '../core/index.js';
import { parseDestination, PHONE_NUMBER, type ModelNames } from './destination-text.js';
import { EXTENSION_STATUSES, RINGING_STATUSES, type Extension, type ExtensionStatus, type Forwarding, type ForwardingException, type RingGroup, type RingStrategy, type RoutingModel, type Schedule } from './model.js';
import { boolean, digits, firstDuplicate, integer, join, list, name, optionalString, section, string, text, type Obj } from './routing-fields.js';
import { optionalSchedule, parseSchedule, weeklyRanges } from './schedule-text.js';
import { DEFAULT_DIAL_CODES } from './status.js';
import { featureCodesOf, ivrs, orbitNumbers, paging, parking, queues } from './validate-features.js';
import { CALLER_PATTERN, credentials, inboundRules, outboundRules, trunkNames, trunks, type RulesContext } from './validate-rules.js';

export interface RoutingOptions {
  /** Turn `password:` fields into HA1s (the hub's import); without it a password is an error. */
  readonly allowPasswords?: boolean;
}

/** At most 15 forwarding exceptions per extension (the PBX guides' limit). */
export const MAX_EXCEPTIONS = 15;
export const DEFAULT_NO_ANSWER_SECONDS = 20;
export const DEFAULT_RING_SECONDS = 20;
export const RING_STRATEGIES: readonly RingStrategy[] = ['ring-all', 'prioritized-hunt', 'cyclic-hunt', 'least-worked-hunt'];
/** Without `schedule`, the office is always open (UTC, every day, all day). */
export const ALWAYS_OPEN: Schedule = { timeZone: 'UTC', open: [{ days: [0, 1, 2, 3, 4, 5, 6], from: 0, to: 24 * 60 }], breaks: [], holidays: [] };

const TOP = ['version', 'realm', 'schedule', 'departments', 'extensions', 'ringGroups', 'inbound', 'outbound', 'trunks', 'emergencyNumbers', 'localTrunks', 'blacklist', 'dialCodes', 'queues', 'ivrs', 'parking', 'featureCodes', 'paging'];
const EXTENSION_FIELDS = ['number', 'name', 'ha1', 'password', 'realm', 'enabled', 'outboundCallerId', 'emergencyCallerId', 'department', 'homeAgent', 'forwarding', 'exceptions', 'schedule', 'autoStatus'];
const GROUP_FIELDS = ['number', 'name', 'strategy', 'members', 'ringSeconds', 'noAnswer', 'schedule', 'outOfHours', 'onBreak', 'onHoliday'];

interface Context extends RulesContext {
  readonly departments: ReadonlyMap<string, Schedule>;
  readonly realm: string | undefined;
}

/** Parses YAML text and validates it; a YAML syntax error is a ConfigError naming the line. */
export function parseRoutingYaml(textIn: string, options: RoutingOptions = {}): RoutingModel {
  const doc = parseDocument(textIn, { prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const line = first.linePos?.[0]?.line;
    throw new ConfigError(line === undefined ? '(file)' : `(line ${line})`, `not valid YAML: ${(first.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  // An empty file is an empty model.
  return validateRoutingModel(doc.toJS() ?? {}, options);
}

/** Numbers of a list of mappings (extensions, ring groups), read before references are checked. */
function numbersOf(doc: Obj, key: string): readonly string[] {
  return list(doc, key, '').map((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new ConfigError(`${key}[${i}]`, 'must be a mapping');
    return digits((item as Obj)['number'], `${key}[${i}].number`);
  });
}

/** Extensions, ring groups, queues, IVRs, parking orbits and paging numbers share one numbering plan: a number is dialled. */
function modelNames(doc: Obj, departments: ReadonlyMap<string, Schedule>): ModelNames {
  const ext = numbersOf(doc, 'extensions');
  const groups = numbersOf(doc, 'ringGroups');
  const queueNumbers = numbersOf(doc, 'queues');
  const ivrNumbers = numbersOf(doc, 'ivrs');
  const pagingNumbers = numbersOf(doc, 'paging');
  const park = section(doc['parking'], 'parking', ['orbits', 'timeoutSeconds']);
  const orbits = park['orbits'] === undefined ? [] : orbitNumbers(park['orbits'], 'parking.orbits');
  const all = [
    ...ext.map((n, i) => ({ n, path: `extensions[${i}].number` })),
    ...groups.map((n, i) => ({ n, path: `ringGroups[${i}].number` })),
    ...queueNumbers.map((n, i) => ({ n, path: `queues[${i}].number` })),
    ...ivrNumbers.map((n, i) => ({ n, path: `ivrs[${i}].number` })),
    ...orbits.map((n) => ({ n, path: 'parking.orbits' })),
    ...pagingNumbers.map((n, i) => ({ n, path: `paging[${i}].number` })),
  ];
  const dup = firstDuplicate(all, (x) => x.n);
  if (dup !== undefined) throw new ConfigError(all[dup.index]?.path ?? '', `${all[dup.index]?.n ?? ''} is already the number of ${all[dup.first]?.path.replace(/\.number$/, '') ?? ''}`);
  const depts = new Set(departments.keys());
  for (const [i, e] of list(doc, 'extensions', '').entries()) {
    const d = (e as Obj)['department'];
    if (d !== undefined) depts.add(name(d, `extensions[${i}].department`));
  }
  return { extensions: new Set(ext), ringGroups: new Set(groups), trunks: new Set(trunkNames(doc)), departments: depts, queues: new Set(queueNumbers), ivrs: new Set(ivrNumbers) };
}

function forwarding(value: unknown, path: string, names: ModelNames): Extension['forwarding'] {
  const obj = section(value, path, EXTENSION_STATUSES);
  const out: Partial<Record<ExtensionStatus, Forwarding>> = {};
  for (const status of EXTENSION_STATUSES) {
    if (obj[status] === undefined) continue;
    const p = join(path, status);
    if (obj[status] === null) throw new ConfigError(p, 'must be a mapping { noAnswer, internal, external }');
    const f = section(obj[status], p, ['noAnswer', 'internal', 'external']);
    if (f['noAnswer'] !== undefined && !RINGING_STATUSES.has(status)) throw new ConfigError(join(p, 'noAnswer'), `${status} does not ring: its calls forward at once`);
    out[status] = {
      noAnswerSeconds: integer(f, 'noAnswer', p, DEFAULT_NO_ANSWER_SECONDS, 1, 600),
      internal: parseDestination(f['internal'], join(p, 'internal'), names),
      external: parseDestination(f['external'], join(p, 'external'), names),
    };
  }
  return out;
}

function exceptions(obj: Obj, path: string, names: ModelNames): readonly ForwardingException[] {
  const items = list(obj, 'exceptions', path);
  const p = join(path, 'exceptions');
  if (items.length > MAX_EXCEPTIONS) throw new ConfigError(p, `at most ${MAX_EXCEPTIONS} exceptions per extension, not ${items.length}`);
  return items.map((item, i) => {
    const at = `${p}[${i}]`;
    if (item === null) throw new ConfigError(at, 'must be a mapping { caller, when, destination }');
    const e = section(item, at, ['caller', 'when', 'destination']);
    const caller = text(e['caller'], join(at, 'caller'), CALLER_PATTERN, "a caller number with '*' for any digits");
    const when = e['when'] === undefined ? undefined : weeklyRanges(e, 'when', at);
    return { caller, ...(when === undefined ? {} : { when }), destination: parseDestination(e['destination'], join(at, 'destination'), names) };
  });
}

function extension(value: unknown, path: string, ctx: Context): Extension {
  const obj = section(value, path, EXTENSION_FIELDS);
  const number = digits(obj['number'], join(path, 'number'));
  const realm = optionalString(obj, 'realm', path) ?? ctx.realm;
  if (realm === undefined) throw new ConfigError(join(path, 'realm'), 'is required (here or as the top-level realm)');
  const optional = (key: 'outboundCallerId' | 'emergencyCallerId'): Partial<Extension> =>
    obj[key] === undefined ? {} : { [key]: text(obj[key], join(path, key), PHONE_NUMBER, 'a number (digits, optionally after a +)') };
  const department = obj['department'] === undefined ? undefined : name(obj['department'], join(path, 'department'));
  const homeAgent = obj['homeAgent'] === undefined ? undefined : name(obj['homeAgent'], join(path, 'homeAgent'));
  const zone = (department === undefined ? undefined : ctx.departments.get(department)?.timeZone) ?? ctx.timeZone;
  const schedule = optionalSchedule(obj, 'schedule', path, zone);
  return {
    number,
    name: string(obj, 'name', path),
    ha1: credentials(obj, path, number, realm, ctx.allowPasswords),
    realm,
    enabled: boolean(obj, 'enabled', path, true),
    ...optional('outboundCallerId'),
    ...optional('emergencyCallerId'),
    ...(department === undefined ? {} : { department }),
    ...(homeAgent === undefined ? {} : { homeAgent }),
    forwarding: forwarding(obj['forwarding'], join(path, 'forwarding'), ctx.names),
    exceptions: exceptions(obj, path, ctx.names),
    ...(schedule === undefined ? {} : { schedule }),
    autoStatus: boolean(obj, 'autoStatus', path, false),
  };
}

function ringGroup(value: unknown, path: string, ctx: Context): RingGroup {
  const obj = section(value, path, GROUP_FIELDS);
  const strategy = obj['strategy'] ?? 'ring-all';
  if (!RING_STRATEGIES.includes(strategy as RingStrategy)) throw new ConfigError(join(path, 'strategy'), `must be one of ${RING_STRATEGIES.join(', ')}`);
  const members = list(obj, 'members', path).map((m, i) => {
    const at = `${join(path, 'members')}[${i}]`;
    const n = digits(m, at);
    if (!ctx.names.extensions.has(n)) throw new ConfigError(at, `there is no extension ${n}`);
    return n;
  });
  if (members.length === 0) throw new ConfigError(join(path, 'members'), 'must list at least one extension');
  const dup = firstDuplicate(members, (m) => m);
  if (dup !== undefined) throw new ConfigError(`${join(path, 'members')}[${dup.index}]`, `${members[dup.index] ?? ''} is already members[${dup.first}]`);
  const dest = (key: string): Partial<RingGroup> => (obj[key] === undefined ? {} : { [key]: parseDestination(obj[key], join(path, key), ctx.names) });
  const schedule = optionalSchedule(obj, 'schedule', path, ctx.timeZone);
  return {
    number: digits(obj['number'], join(path, 'number')),
    name: string(obj, 'name', path),
    strategy: strategy as RingStrategy,
    members,
    ringSeconds: integer(obj, 'ringSeconds', path, DEFAULT_RING_SECONDS, 1, 600),
    noAnswer: obj['noAnswer'] === undefined ? { kind: 'end-call' } : parseDestination(obj['noAnswer'], join(path, 'noAnswer'), ctx.names),
    ...(schedule === undefined ? {} : { schedule }),
    ...dest('outOfHours'),
    ...dest('onBreak'),
    ...dest('onHoliday'),
  };
}

function departments(doc: Obj, zone: string): ReadonlyMap<string, Schedule> {
  const v = doc['departments'];
  const out = new Map<string, Schedule>();
  if (v === undefined || v === null) return out;
  if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError('departments', 'must be a mapping of department names to office hours');
  for (const [key, value] of Object.entries(v as Obj)) out.set(name(key, `departments.${key}`), parseSchedule(value, `departments.${key}`, zone));
  return out;
}

function uniqueList(doc: Obj, key: string, read: (v: unknown, path: string) => string): readonly string[] {
  const items = list(doc, key, '').map((v, i) => read(v, `${key}[${i}]`));
  const dup = firstDuplicate(items, (x) => x);
  if (dup !== undefined) throw new ConfigError(`${key}[${dup.index}]`, `'${items[dup.index] ?? ''}' is listed twice`);
  return items;
}

function localTrunks(doc: Obj, names: ModelNames): Readonly<Record<string, string>> {
  const v = doc['localTrunks'];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError('localTrunks', 'must be a mapping of branch (agent) names to trunk names');
  const entries = Object.entries(v as Obj).map(([branch, t]): [string, string] => {
    const path = `localTrunks.${branch}`;
    name(branch, path);
    const trunk = name(t, path);
    if (!names.trunks.has(trunk)) throw new ConfigError(path, `there is no trunk '${trunk}'`);
    return [branch, trunk];
  });
  return Object.fromEntries(entries);
}

const DIAL_CODE = /^[*#][0-9]{1,6}$/;

/** `dialCodes`: the codes that set a status, where they differ from `*30`…`*34`; no two statuses share one. */
function dialCodesOf(doc: Obj): Readonly<Partial<Record<ExtensionStatus, string>>> | undefined {
  if (doc['dialCodes'] === undefined || doc['dialCodes'] === null) return undefined;
  const obj = section(doc['dialCodes'], 'dialCodes', EXTENSION_STATUSES);
  const own: Partial<Record<ExtensionStatus, string>> = {};
  for (const status of EXTENSION_STATUSES) {
    if (obj[status] !== undefined) own[status] = text(obj[status], `dialCodes.${status}`, DIAL_CODE, "a code of '*' or '#' and 1 to 6 digits (example: '*35')");
  }
  const all = { ...DEFAULT_DIAL_CODES, ...own };
  for (const status of EXTENSION_STATUSES) {
    const other = EXTENSION_STATUSES.find((s) => s !== status && all[s] === all[status]);
    if (other !== undefined && own[status] !== undefined) {
      throw new ConfigError(`dialCodes.${status}`, `'${all[status]}' is also the code of ${other}${own[other] === undefined ? ' (its default)' : ''}`);
    }
  }
  return own;
}

/** The routing model from a parsed YAML (or JSON) document. */
export function validateRoutingModel(input: unknown, options: RoutingOptions = {}): RoutingModel {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new ConfigError('(top level)', 'must be a mapping');
  const doc = section(input, '', TOP);
  const version = integer(doc, 'version', '', 0, 0, Number.MAX_SAFE_INTEGER);
  const schedule = doc['schedule'] === undefined || doc['schedule'] === null ? ALWAYS_OPEN : parseSchedule(doc['schedule'], 'schedule', undefined);
  const depts = departments(doc, schedule.timeZone);
  const names = modelNames(doc, depts);
  const realm = optionalString(doc, 'realm', '');
  const ctx: Context = { names, timeZone: schedule.timeZone, allowPasswords: options.allowPasswords === true, departments: depts, realm };
  const codes = dialCodesOf(doc);
  const queueList = queues(doc, ctx);
  const ivrList = ivrs(doc, ctx);
  const park = parking(doc);
  const pagingList = paging(doc, ctx);
  const features = featureCodesOf(doc, Object.values({ ...DEFAULT_DIAL_CODES, ...codes }));
  return {
    version,
    schedule,
    departments: Object.fromEntries(depts),
    extensions: list(doc, 'extensions', '').map((e, i) => extension(e, `extensions[${i}]`, ctx)),
    ringGroups: list(doc, 'ringGroups', '').map((g, i) => ringGroup(g, `ringGroups[${i}]`, ctx)),
    inbound: inboundRules(doc, ctx),
    outbound: outboundRules(doc, ctx),
    trunks: trunks(doc, ctx),
    emergencyNumbers: uniqueList(doc, 'emergencyNumbers', digits),
    localTrunks: localTrunks(doc, names),
    blacklist: uniqueList(doc, 'blacklist', (v, p) => text(v, p, CALLER_PATTERN, "a caller number with '*' for any digits")),
    ...(codes === undefined ? {} : { dialCodes: codes }),
    ...(queueList.length === 0 ? {} : { queues: queueList }),
    ...(ivrList.length === 0 ? {} : { ivrs: ivrList }),
    ...(park === undefined ? {} : { parking: park }),
    ...(pagingList.length === 0 ? {} : { paging: pagingList }),
    ...(features === undefined ? {} : { featureCodes: features }),
  };
}
