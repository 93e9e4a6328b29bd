import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  EXTENSION_STATUSES,
  RINGING_STATUSES,
  IVR_KEYS,
  QUEUE_STRATEGIES,
  RING_STRATEGIES,
  parseRoutingYaml,
  routingModelToDoc,
  serializeRoutingYaml,
  validateRoutingModel,
  type Destination,
  type Extension,
  type CallQueue,
  type Holiday,
  type Ivr,
  type IvrDestination,
  type RingGroup,
  type RoutingModel,
  type Schedule,
  type Trunk,
  type WeeklyRange,
} from '../../../src/routing/index.js';
import { REPO_ROOT } from '../../support/paths.js';

const EXAMPLE_TEXT = readFileSync(join(REPO_ROOT, 'config', 'routing.example.yaml'), 'utf8');

test('the example model round-trips through YAML and through JSON', () => {
  const model = parseRoutingYaml(EXAMPLE_TEXT);
  assert.deepEqual(parseRoutingYaml(serializeRoutingYaml(model)), model);
  assert.deepEqual(validateRoutingModel(JSON.parse(JSON.stringify(routingModelToDoc(model)))), model);
  assert.ok(!serializeRoutingYaml(model).includes('password'));
});

/** `{ [key]: value }` when the value is there, `{}` otherwise (exactOptionalPropertyTypes). */
function opt<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;
}
const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });

const DAY = 86_400_000;
const isoDay = fc.integer({ min: 0, max: 364 }).map((d) => new Date(Date.UTC(2026, 0, 1) + d * DAY).toISOString().slice(0, 10));
const minutes = fc.tuple(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 1, max: 1440 })).filter(([a, b]) => a < b).map(([from, to]) => ({ from, to }));
const range: fc.Arbitrary<WeeklyRange> = fc.tuple(fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 7 }), minutes).map(([days, m]) => ({ days: [...days].sort((a, b) => a - b), ...m }));
const holiday: fc.Arbitrary<Holiday> = fc
  .record({ a: isoDay, b: isoDay, yearly: fc.boolean(), hours: maybe(minutes), name: maybe(fc.string({ minLength: 1, maxLength: 12 })) })
  .map(({ a, b, yearly, hours, name }) => {
    const [from, to] = yearly ? [a.slice(5), b.slice(5)] : a <= b ? [a, b] : [b, a];
    const text = `${from}${to === from ? '' : `..${to}`}${hours === undefined ? '' : ` ${String(Math.floor(hours.from / 60)).padStart(2, '0')}:${String(hours.from % 60).padStart(2, '0')}-${String(Math.floor(hours.to / 60)).padStart(2, '0')}:${String(hours.to % 60).padStart(2, '0')}`}`;
    return { name: name ?? text, from, to, ...opt('hours', hours), yearly };
  });
const zone = fc.constantFrom('Europe/Paris', 'America/New_York', 'UTC', 'Asia/Tokyo');
const schedule: fc.Arbitrary<Schedule> = fc.record({ timeZone: zone, open: fc.array(range, { maxLength: 3 }), breaks: fc.array(range, { maxLength: 2 }), holidays: fc.array(holiday, { maxLength: 3 }) });
const digitString = (max: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^[0-9]{1,${max}}$`));
const phone = fc.stringMatching(/^\+?[0-9]{1,15}$/);
const callerPattern = fc.stringMatching(/^\+?[0-9*]{1,12}$/);
const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);

function destination(ext: readonly string[], groups: readonly string[], queues: readonly string[], ivrs: readonly string[]): fc.Arbitrary<Destination> {
  const options: fc.Arbitrary<Destination>[] = [
    fc.constant({ kind: 'end-call' }),
    phone.map((number) => ({ kind: 'external', number })),
  ];
  if (queues.length > 0) options.push(fc.constantFrom(...queues).map((number) => ({ kind: 'queue', number })), fc.constantFrom(...queues).map((number) => ({ kind: 'voicemail', number })));
  if (ivrs.length > 0) options.push(fc.constantFrom(...ivrs).map((number) => ({ kind: 'ivr', number })));
  if (ext.length > 0) options.push(fc.constantFrom(...ext).map((number) => ({ kind: 'extension', number })), fc.constantFrom(...ext).map((number) => ({ kind: 'voicemail', number })));
  if (groups.length > 0) options.push(fc.constantFrom(...groups).map((number) => ({ kind: 'ring-group', number })));
  return fc.oneof(...options);
}

const model: fc.Arbitrary<RoutingModel> = fc
  .record({
    ext: fc.uniqueArray(fc.integer({ min: 100, max: 799 }).map(String), { maxLength: 5 }),
    groups: fc.uniqueArray(fc.integer({ min: 800, max: 899 }).map(String), { maxLength: 2 }),
    trunks: fc.integer({ min: 0, max: 3 }),
    global: schedule,
    departments: fc.dictionary(fc.constantFrom('sales', 'support', 'ops'), schedule, { maxKeys: 2 }),
    queues: fc.uniqueArray(fc.integer({ min: 9000, max: 9099 }).map(String), { maxLength: 2 }),
    ivrs: fc.uniqueArray(fc.integer({ min: 1, max: 99 }).map(String), { maxLength: 2 }),
  })
  .chain(({ ext, groups, trunks: trunkCount, global, departments, queues, ivrs }) => {
    const groupsNonEmpty = ext.length > 0 ? groups : [];
    const dest = destination(ext, groupsNonEmpty, queues, ivrs);
    const ivrDest: fc.Arbitrary<IvrDestination> = fc.oneof(dest, fc.constant({ kind: 'repeat' as const }));
    const prompt = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}\.wav$/);
    const queue = (number: string): fc.Arbitrary<CallQueue> =>
      fc
        .record({
          name: fc.string({ minLength: 1, maxLength: 10 }), agents: fc.shuffledSubarray([...ext]), strategy: fc.constantFrom(...QUEUE_STRATEGIES),
          ringSeconds: fc.integer({ min: 5, max: 600 }), maxWaitSeconds: fc.integer({ min: 10, max: 86_400 }), maxCallers: maybe(fc.integer({ min: 1, max: 1000 })), overflow: maybe(dest),
          wrapUpSeconds: fc.integer({ min: 0, max: 3600 }), introPrompt: maybe(prompt), music: maybe(prompt), keepWaitingIfNoAgent: fc.boolean(), noAnswer: dest,
        })
        .map((q) => ({
          number, name: q.name, agents: q.agents, strategy: q.strategy, ringSeconds: q.ringSeconds, maxWaitSeconds: q.maxWaitSeconds, ...opt('maxCallers', q.maxCallers),
          ...opt('overflow', q.maxCallers === undefined ? undefined : q.overflow), wrapUpSeconds: q.wrapUpSeconds, ...opt('introPrompt', q.introPrompt), ...opt('music', q.music),
          keepWaitingIfNoAgent: q.keepWaitingIfNoAgent, noAnswer: q.noAnswer,
        }));
    const away = maybe(fc.record({ prompt: maybe(prompt), destination: ivrDest }).map((a) => ({ ...opt('prompt', a.prompt), destination: a.destination })));
    const ivr = (number: string): fc.Arbitrary<Ivr> =>
      fc
        .record({
          name: fc.string({ minLength: 1, maxLength: 10 }), prompt, options: fc.dictionary(fc.constantFrom(...IVR_KEYS), ivrDest, { maxKeys: 12 }),
          timeoutSeconds: fc.integer({ min: 1, max: 300 }), timeoutDestination: ivrDest, invalidDestination: ivrDest, maxRepeats: fc.integer({ min: 0, max: 20 }),
          dialByExtension: fc.boolean(), directDestinations: fc.array(fc.stringMatching(/^[0-9X]{1,5}$/), { maxLength: 3 }), interDigitSeconds: fc.integer({ min: 1, max: 30 }),
          waitForHash: fc.boolean(), schedule: maybe(schedule), closed: away, onBreak: away, onHoliday: away,
        })
        .map((v) => ({
          number, name: v.name, prompt: v.prompt, options: v.options, timeoutSeconds: v.timeoutSeconds, timeoutDestination: v.timeoutDestination, invalidDestination: v.invalidDestination,
          maxRepeats: v.maxRepeats, dialByExtension: v.dialByExtension, directDestinations: v.directDestinations, interDigitSeconds: v.interDigitSeconds, waitForHash: v.waitForHash,
          ...opt('schedule', v.schedule), ...opt('closed', v.closed), ...opt('onBreak', v.onBreak), ...opt('onHoliday', v.onHoliday),
        }));
    const trunkNames = Array.from({ length: trunkCount }, (_, i) => `t${i}`);
    const deptNames = Object.keys(departments);
    const forwarding = fc.dictionary(fc.constantFrom(...EXTENSION_STATUSES), fc.tuple(fc.integer({ min: 1, max: 600 }), dest, dest), { maxKeys: 5 }).map((d) =>
      Object.fromEntries(Object.entries(d).map(([status, [n, internal, external]]) => [status, { noAnswerSeconds: RINGING_STATUSES.has(status as never) ? n : 20, internal, external }])),
    );
    const extension = (number: string): fc.Arbitrary<Extension> =>
      fc
        .record({
          name: fc.string({ minLength: 1, maxLength: 10 }),
          ha1: fc.stringMatching(/^[0-9a-f]{32}$/),
          realm: name,
          enabled: fc.boolean(),
          outboundCallerId: maybe(phone),
          emergencyCallerId: maybe(phone),
          department: maybe(deptNames.length > 0 ? fc.constantFrom(...deptNames, 'floor2') : fc.constant('floor2')),
          homeAgent: maybe(name),
          forwarding,
          exceptions: fc.array(fc.record({ caller: callerPattern, when: maybe(fc.array(range, { maxLength: 2 })), destination: dest }), { maxLength: 15 }),
          schedule: maybe(schedule),
          autoStatus: fc.boolean(),
        })
        .map((e) => ({
          number, name: e.name, ha1: e.ha1, realm: e.realm, enabled: e.enabled,
          ...opt('outboundCallerId', e.outboundCallerId), ...opt('emergencyCallerId', e.emergencyCallerId), ...opt('department', e.department), ...opt('homeAgent', e.homeAgent),
          forwarding: e.forwarding,
          exceptions: e.exceptions.map((x) => ({ caller: x.caller, ...opt('when', x.when), destination: x.destination })),
          ...opt('schedule', e.schedule),
          autoStatus: e.autoStatus,
        }));
    const group = (number: string): fc.Arbitrary<RingGroup> =>
      fc
        .record({
          name: fc.string({ minLength: 1, maxLength: 10 }),
          strategy: fc.constantFrom(...RING_STRATEGIES),
          members: fc.shuffledSubarray(ext, { minLength: 1 }),
          ringSeconds: fc.integer({ min: 1, max: 600 }),
          noAnswer: dest,
          schedule: maybe(schedule),
          outOfHours: maybe(dest),
          onBreak: maybe(dest),
          onHoliday: maybe(dest),
        })
        .map((g) => ({ number, name: g.name, strategy: g.strategy, members: g.members, ringSeconds: g.ringSeconds, noAnswer: g.noAnswer, ...opt('schedule', g.schedule), ...opt('outOfHours', g.outOfHours), ...opt('onBreak', g.onBreak), ...opt('onHoliday', g.onHoliday) }));
    const trunk = (tname: string): fc.Arbitrary<Trunk> =>
      fc.oneof(
        fc.record({ host: fc.constantFrom('192.0.2.1', 'sip.example.net', '2001:db8::5'), port: fc.integer({ min: 1, max: 65535 }), agent: maybe(name) }).map((t) => ({ name: tname, kind: 'ip' as const, host: t.host, port: t.port, ...opt('agent', t.agent) })),
        fc
          .record({ host: fc.constantFrom('itsp.example', '198.51.100.7'), port: fc.integer({ min: 1, max: 65535 }), username: name, ha1: fc.stringMatching(/^[0-9a-f]{32}$/), realm: name, reregisterSeconds: fc.integer({ min: 60, max: 86400 }), agent: maybe(name) })
          .map((t) => ({ name: tname, kind: 'register' as const, host: t.host, port: t.port, username: t.username, ha1: t.ha1, realm: t.realm, reregisterSeconds: t.reregisterSeconds, ...opt('agent', t.agent) })),
      );
    const mask = fc.oneof(fc.stringMatching(/^[0-9*]{1,14}$/), fc.tuple(digitString(6), digitString(6)).map(([a, b]) => {
      const [x, y] = [a.padStart(6, '0'), b.padStart(6, '0')];
      return x <= y ? `${x}-${y}` : `${y}-${x}`;
    }));
    // One DID per rule, so that no two rules can overlap.
    const inbound = fc.uniqueArray(fc.oneof(fc.constant('*'), phone), { maxLength: 3 }).chain((dids) =>
      fc.tuple(...dids.map((did, i) => fc.record({ masks: fc.array(mask, { maxLength: 3 }), open: dest, closed: dest, brk: maybe(dest), hol: maybe(dest), schedule: maybe(schedule) }).map((r) => ({
        name: `in ${i}`, did, callerMasks: r.masks, destinations: { open: r.open, closed: r.closed, ...opt('break', r.brk), ...opt('holiday', r.hol) }, ...opt('schedule', r.schedule),
      })))),
    );
    const route = trunkNames.length === 0 ? fc.constant('block' as const) : fc.oneof(fc.constant('block' as const), fc.array(fc.record({ trunk: fc.constantFrom(...trunkNames), strip: fc.integer({ min: 0, max: 32 }), prepend: fc.stringMatching(/^\+?[0-9*#]{0,6}$/) }), { minLength: 1, maxLength: 3 }));
    const numberEntry = fc.oneof(digitString(4), fc.tuple(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 999 })).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`));
    const outbound = fc.array(
      fc.record({
        prefixes: fc.array(fc.stringMatching(/^\+?[0-9*#]{1,6}$/), { maxLength: 3 }),
        lengths: fc.array(fc.integer({ min: 1, max: 32 }), { maxLength: 3 }),
        extensions: fc.array(numberEntry, { maxLength: 3 }),
        departments: deptNames.length === 0 ? fc.constant([]) : fc.subarray(deptNames),
        routes: route,
        schedule: maybe(schedule),
      }),
      { maxLength: 3 },
    ).map((rules) => rules.map((r, i) => ({ name: `out ${i}`, prefixes: r.prefixes, lengths: r.lengths, extensions: r.extensions, departments: r.departments, routes: r.routes, ...opt('schedule', r.schedule) })));
    return fc.record({
      version: fc.nat(),
      schedule: fc.constant(global),
      departments: fc.constant(departments),
      extensions: fc.tuple(...ext.map(extension)),
      ringGroups: fc.tuple(...groupsNonEmpty.map(group)),
      inbound,
      outbound,
      trunks: fc.tuple(...trunkNames.map(trunk)),
      emergencyNumbers: fc.uniqueArray(digitString(4)),
      localTrunks: trunkNames.length === 0 ? fc.constant({}) : fc.dictionary(name, fc.constantFrom(...trunkNames), { maxKeys: 2 }),
      blacklist: fc.uniqueArray(callerPattern, { maxLength: 3 }),
      queues: fc.tuple(...queues.map(queue)),
      ivrs: fc.tuple(...ivrs.map(ivr)),
    }).map(({ queues: q, ivrs: v, ...rest }) => ({ ...rest, ...(q.length === 0 ? {} : { queues: q }), ...(v.length === 0 ? {} : { ivrs: v }) }));
  });

test('property: serialize then parse gives every valid model back (YAML and JSON)', () => {
  const seen = { extensions: 0, forwarding: 0, exceptions: 0, ringGroups: 0, inbound: 0, masks: 0, routes: 0, register: 0, holidays: 0 };
  fc.assert(
    fc.property(model, (generated) => {
      // fast-check builds some records without a prototype; the model is plain data either way.
      const m = JSON.parse(JSON.stringify(generated)) as RoutingModel;
      const yaml = serializeRoutingYaml(m);
      assert.deepEqual(parseRoutingYaml(yaml), m, yaml);
      assert.deepEqual(validateRoutingModel(JSON.parse(JSON.stringify(routingModelToDoc(m)))), m);
      seen.extensions += m.extensions.length;
      seen.forwarding += m.extensions.filter((e) => Object.keys(e.forwarding).length > 0).length;
      seen.exceptions += m.extensions.filter((e) => e.exceptions.length > 0).length;
      seen.ringGroups += m.ringGroups.length;
      seen.inbound += m.inbound.length;
      seen.masks += m.inbound.filter((r) => r.callerMasks.some((x) => x.includes('-'))).length;
      seen.routes += m.outbound.filter((r) => r.routes !== 'block').length;
      seen.register += m.trunks.filter((t) => t.kind === 'register').length;
      seen.holidays += m.schedule.holidays.length;
    }),
    { numRuns: 300 },
  );
  // The generator reaches every part of the model (a round trip of empty models proves nothing).
  for (const [part, count] of Object.entries(seen)) assert.ok(count >= 20, `${part}: ${count}`);
});
