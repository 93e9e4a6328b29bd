/**
 * The routing model's call-centre features, read from the YAML: queues, IVRs, parking orbits and
 * feature codes (feature-model.ts). Part of validateRoutingModel (validate.ts); every error names
 * its field (`queues[0].agents[2]`, `ivrs[1].options.5`).
 */
import { ConfigError } from '../core/index.js';
import { parseDestination, parseIvrDestination, type ModelNames } from './destination-text.js';
import { DEFAULT_FEATURE_CODES, FEATURE_CODE_NAMES } from './feature-codes.js';
import { IVR_KEYS, PAGING_MODES, QUEUE_STRATEGIES, type CallQueue, type PagingGroup, type FeatureCodes, type Ivr, type IvrAway, type IvrDestination, type IvrKey, type Parking, type QueueStrategy } from './feature-model.js';
import type { Destination } from './model.js';
import { boolean, digits, firstDuplicate, integer, join, list, section, show, string, text, type Obj } from './routing-fields.js';
import { optionalSchedule } from './schedule-text.js';

export const DEFAULT_QUEUE_RING_SECONDS = 30;
export const DEFAULT_MAX_WAIT_SECONDS = 600;
export const DEFAULT_IVR_TIMEOUT_SECONDS = 10;
export const DEFAULT_INTER_DIGIT_SECONDS = 3;
export const DEFAULT_MAX_REPEATS = 3;
export const DEFAULT_PARK_TIMEOUT_SECONDS = 120;
/** The PBX guides' limit (and a bound on what a snapshot may carry). */
export const MAX_QUEUE_AGENTS = 100;
export const MAX_PARK_ORBITS = 100;
export const DEFAULT_PAGING_RING_SECONDS = 10;

const QUEUE_FIELDS = ['number', 'name', 'agents', 'strategy', 'ringSeconds', 'maxWaitSeconds', 'maxCallers', 'overflow', 'wrapUpSeconds', 'introPrompt', 'music', 'keepWaitingIfNoAgent', 'noAnswer'];
const IVR_FIELDS = ['number', 'name', 'prompt', 'options', 'timeoutSeconds', 'timeoutDestination', 'invalidDestination', 'maxRepeats', 'dialByExtension', 'directDestinations', 'interDigitSeconds', 'waitForHash', 'schedule', 'closed', 'onBreak', 'onHoliday'];
/** A WAV file name or a path below the prompt folder: no `..`, no leading `/`. */
const PROMPT = /^(?!.*\.\.)[A-Za-z0-9_][A-Za-z0-9._/-]{0,127}$/;
const DIRECT_PATTERN = /^[0-9X]{1,32}$/;
const FEATURE_CODE = /^[*#][*#0-9]{1,6}$/;
const ACCESS_CODE = /^[*#0-9]{2,7}$/;
const ORBIT_RANGE = /^([0-9]{1,8})-([0-9]{1,8})$/;
const PAGING_FIELDS = ['number', 'name', 'target', 'mode', 'answerMode', 'ringSeconds'];
const PAGING_TARGET = /^(ring-group|extension):([0-9]{1,32})$/;

export interface FeaturesContext {
  readonly names: ModelNames;
  readonly timeZone: string;
}

function prompt(obj: Obj, key: string, path: string): Partial<Record<string, string>> {
  if (obj[key] === undefined) return {};
  return { [key]: text(obj[key], join(path, key), PROMPT, 'a WAV file name (letters, digits, . _ - /, no ..)') };
}

function optionalDestination(obj: Obj, key: string, path: string, names: ModelNames): Partial<Record<string, Destination>> {
  return obj[key] === undefined ? {} : { [key]: parseDestination(obj[key], join(path, key), names) };
}

function queue(value: unknown, path: string, ctx: FeaturesContext): CallQueue {
  if (value === null) throw new ConfigError(path, 'must be a mapping');
  const obj = section(value, path, QUEUE_FIELDS);
  const strategy = obj['strategy'] ?? 'ring-all';
  if (!QUEUE_STRATEGIES.includes(strategy as QueueStrategy)) throw new ConfigError(join(path, 'strategy'), `must be one of ${QUEUE_STRATEGIES.join(', ')}, not ${show(strategy)}`);
  const items = list(obj, 'agents', path);
  if (items.length > MAX_QUEUE_AGENTS) throw new ConfigError(join(path, 'agents'), `at most ${MAX_QUEUE_AGENTS} agents, not ${items.length}`);
  const agents = items.map((a, i) => {
    const at = `${join(path, 'agents')}[${i}]`;
    const n = digits(a, at);
    if (!ctx.names.extensions.has(n)) throw new ConfigError(at, `there is no extension ${n}`);
    return n;
  });
  const dup = firstDuplicate(agents, (a) => a);
  if (dup !== undefined) throw new ConfigError(`${join(path, 'agents')}[${dup.index}]`, `${agents[dup.index] ?? ''} is already agents[${dup.first}]`);
  if (obj['overflow'] !== undefined && obj['maxCallers'] === undefined) throw new ConfigError(join(path, 'overflow'), 'needs maxCallers: callers overflow only beyond that number');
  return {
    number: digits(obj['number'], join(path, 'number')),
    name: string(obj, 'name', path),
    agents,
    strategy: strategy as QueueStrategy,
    ringSeconds: integer(obj, 'ringSeconds', path, DEFAULT_QUEUE_RING_SECONDS, 5, 600),
    maxWaitSeconds: integer(obj, 'maxWaitSeconds', path, DEFAULT_MAX_WAIT_SECONDS, 10, 86_400),
    ...(obj['maxCallers'] === undefined ? {} : { maxCallers: integer(obj, 'maxCallers', path, undefined, 1, 1000) }),
    ...optionalDestination(obj, 'overflow', path, ctx.names),
    wrapUpSeconds: integer(obj, 'wrapUpSeconds', path, 0, 0, 3600),
    ...prompt(obj, 'introPrompt', path),
    ...prompt(obj, 'music', path),
    keepWaitingIfNoAgent: boolean(obj, 'keepWaitingIfNoAgent', path, false),
    noAnswer: obj['noAnswer'] === undefined ? { kind: 'end-call' } : parseDestination(obj['noAnswer'], join(path, 'noAnswer'), ctx.names),
  };
}

function options(value: unknown, path: string, names: ModelNames): Ivr['options'] {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(path, "must be a mapping of keys ('0'-'9', '*', '#') to destinations");
  const out: Partial<Record<IvrKey, IvrDestination>> = {};
  for (const [key, dest] of Object.entries(value as Obj)) {
    if (!IVR_KEYS.includes(key as IvrKey)) throw new ConfigError(join(path, key), `'${key}' is not a key (0-9, *, #)`);
    out[key as IvrKey] = parseIvrDestination(dest, join(path, key), names);
  }
  return out;
}

function away(obj: Obj, key: string, path: string, names: ModelNames): Partial<Record<string, IvrAway>> {
  if (obj[key] === undefined || obj[key] === null) return {};
  const p = join(path, key);
  const a = section(obj[key], p, ['prompt', 'destination']);
  return { [key]: { ...prompt(a, 'prompt', p), destination: parseIvrDestination(a['destination'], join(p, 'destination'), names) } };
}

function ivr(value: unknown, path: string, ctx: FeaturesContext): Ivr {
  if (value === null) throw new ConfigError(path, 'must be a mapping');
  const obj = section(value, path, IVR_FIELDS);
  const direct = list(obj, 'directDestinations', path).map((d, i) => {
    const at = `${join(path, 'directDestinations')}[${i}]`;
    const s = typeof d === 'number' && Number.isSafeInteger(d) && d >= 0 ? String(d) : d;
    return text(typeof s === 'string' ? s.toUpperCase() : s, at, DIRECT_PATTERN, "a number pattern of digits and X (any digit), such as '8XX'");
  });
  const schedule = optionalSchedule(obj, 'schedule', path, ctx.timeZone);
  const dest = (key: string) => (obj[key] === undefined ? { kind: 'repeat' as const } : parseIvrDestination(obj[key], join(path, key), ctx.names));
  if (obj['prompt'] === undefined) throw new ConfigError(join(path, 'prompt'), 'is required: the menu prompt (a WAV file name)');
  return {
    number: digits(obj['number'], join(path, 'number')),
    name: string(obj, 'name', path),
    prompt: text(obj['prompt'], join(path, 'prompt'), PROMPT, 'a WAV file name (letters, digits, . _ - /, no ..)'),
    options: options(obj['options'], join(path, 'options'), ctx.names),
    timeoutSeconds: integer(obj, 'timeoutSeconds', path, DEFAULT_IVR_TIMEOUT_SECONDS, 1, 300),
    timeoutDestination: dest('timeoutDestination'),
    invalidDestination: dest('invalidDestination'),
    maxRepeats: integer(obj, 'maxRepeats', path, DEFAULT_MAX_REPEATS, 0, 20),
    dialByExtension: boolean(obj, 'dialByExtension', path, false),
    directDestinations: direct,
    interDigitSeconds: integer(obj, 'interDigitSeconds', path, DEFAULT_INTER_DIGIT_SECONDS, 1, 30),
    waitForHash: boolean(obj, 'waitForHash', path, false),
    ...(schedule === undefined ? {} : { schedule }),
    ...away(obj, 'closed', path, ctx.names),
    ...away(obj, 'onBreak', path, ctx.names),
    ...away(obj, 'onHoliday', path, ctx.names),
  };
}

export function queues(doc: Obj, ctx: FeaturesContext): readonly CallQueue[] {
  return list(doc, 'queues', '').map((q, i) => queue(q, `queues[${i}]`, ctx));
}

export function ivrs(doc: Obj, ctx: FeaturesContext): readonly Ivr[] {
  return list(doc, 'ivrs', '').map((v, i) => ivr(v, `ivrs[${i}]`, ctx));
}

function pagingGroup(value: unknown, path: string, ctx: FeaturesContext): PagingGroup {
  if (value === null) throw new ConfigError(path, 'must be a mapping');
  const obj = section(value, path, PAGING_FIELDS);
  const at = join(path, 'target');
  const [, kind = '', number = ''] = PAGING_TARGET.exec(typeof obj['target'] === 'string' ? obj['target'] : '') ?? [];
  if (kind === '') throw new ConfigError(at, `must be 'ring-group:N' or 'extension:N', not ${show(obj['target'])}`);
  if (kind === 'extension' && !ctx.names.extensions.has(number)) throw new ConfigError(at, `there is no extension ${number}`);
  if (kind === 'ring-group' && !ctx.names.ringGroups.has(number)) throw new ConfigError(at, `there is no ring group ${number}`);
  const mode = obj['mode'] ?? 'page';
  if (!PAGING_MODES.includes(mode as PagingGroup['mode'])) throw new ConfigError(join(path, 'mode'), `must be one of ${PAGING_MODES.join(', ')}, not ${show(mode)}`);
  // Two-way audio with a whole group would mix every member's microphone: intercom is one to one.
  if (mode === 'intercom' && kind !== 'extension') throw new ConfigError(at, "an intercom speaks with one extension: 'extension:N'");
  return {
    number: digits(obj['number'], join(path, 'number')),
    name: string(obj, 'name', path),
    target: { kind: kind as PagingGroup['target']['kind'], number },
    mode: mode as PagingGroup['mode'],
    answerMode: boolean(obj, 'answerMode', path, true),
    ringSeconds: integer(obj, 'ringSeconds', path, DEFAULT_PAGING_RING_SECONDS, 1, 120),
  };
}

export function paging(doc: Obj, ctx: FeaturesContext): readonly PagingGroup[] {
  return list(doc, 'paging', '').map((p, i) => pagingGroup(p, `paging[${i}]`, ctx));
}

/** Orbit numbers: a list, or a range `701-720` of numbers of one length. */
export function orbitNumbers(value: unknown, path: string): readonly string[] {
  if (typeof value === 'string' && ORBIT_RANGE.test(value)) {
    const [, a = '', b = ''] = ORBIT_RANGE.exec(value) ?? [];
    if (a.length !== b.length || Number(a) > Number(b)) throw new ConfigError(path, `'${value}': a range is two numbers of one length, the first not above the second`);
    if (Number(b) - Number(a) + 1 > MAX_PARK_ORBITS) throw new ConfigError(path, `'${value}': at most ${MAX_PARK_ORBITS} orbits`);
    return Array.from({ length: Number(b) - Number(a) + 1 }, (_, i) => String(Number(a) + i).padStart(a.length, '0'));
  }
  if (!Array.isArray(value)) throw new ConfigError(path, `must be a range such as '701-720' or a list of numbers, not ${show(value)}`);
  if (value.length === 0 || value.length > MAX_PARK_ORBITS) throw new ConfigError(path, `must list 1 to ${MAX_PARK_ORBITS} orbits`);
  const orbits = value.map((v, i) => digits(v, `${path}[${i}]`));
  const dup = firstDuplicate(orbits, (o) => o);
  if (dup !== undefined) throw new ConfigError(`${path}[${dup.index}]`, `${orbits[dup.index] ?? ''} is listed twice`);
  return orbits;
}

export function parking(doc: Obj): Parking | undefined {
  if (doc['parking'] === undefined || doc['parking'] === null) return undefined;
  const obj = section(doc['parking'], 'parking', ['orbits', 'timeoutSeconds']);
  if (obj['orbits'] === undefined) throw new ConfigError('parking.orbits', "is required: a range such as '701-720' or a list of numbers");
  return { orbits: orbitNumbers(obj['orbits'], 'parking.orbits'), timeoutSeconds: integer(obj, 'timeoutSeconds', 'parking', DEFAULT_PARK_TIMEOUT_SECONDS, 10, 3600) };
}

/**
 * `featureCodes`: where they differ from the defaults. No two codes may be equal, and none may
 * start another (a phone dialling `*5` then `1` would never reach `*51`), nor equal a status code.
 */
export function featureCodesOf(doc: Obj, statusCodes: readonly string[]): Readonly<Partial<FeatureCodes>> | undefined {
  if (doc['featureCodes'] === undefined || doc['featureCodes'] === null) return undefined;
  const obj = section(doc['featureCodes'], 'featureCodes', FEATURE_CODE_NAMES);
  const own: Partial<Record<keyof FeatureCodes, string>> = {};
  for (const key of FEATURE_CODE_NAMES) {
    if (obj[key] === undefined) continue;
    // The voicemail access number is commonly plain digits (999); the others start with * or #.
    own[key] = key === 'voicemailAccess'
      ? text(obj[key], `featureCodes.${key}`, ACCESS_CODE, "2 to 7 of '*', '#' and digits (example: '999')")
      : text(obj[key], `featureCodes.${key}`, FEATURE_CODE, "a code of '*' or '#' then 1 to 6 of '*', '#' and digits (example: '*51')");
  }
  const all = { ...DEFAULT_FEATURE_CODES, ...own };
  for (const key of FEATURE_CODE_NAMES) {
    if (own[key] === undefined) continue;
    const other = FEATURE_CODE_NAMES.find((k) => k !== key && (all[k].startsWith(all[key]) || all[key].startsWith(all[k])));
    if (other !== undefined) throw new ConfigError(`featureCodes.${key}`, `'${all[key]}' clashes with ${other}'s code '${all[other]}' (one starts the other)`);
    if (statusCodes.includes(all[key])) throw new ConfigError(`featureCodes.${key}`, `'${all[key]}' is a status dial code`);
  }
  return own;
}
