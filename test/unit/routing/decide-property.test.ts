// fast-check properties of decide(): for any model, call, state and instant it returns without
// throwing, leaves its inputs alone, gives the same plan twice, and the plan is finite with a
// depth bounded by the model's size (forwarding loops end); emergency calls always leave marked
// as such, and a blacklisted caller is always refused (docs/STYLE.md rule 10).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  EXTENSION_STATUSES, MAX_ROUTES, decide, planDepth,
  type CallRequest, type Destination, type Extension, type InboundRule, type OutboundRule, type Plan, type RingGroup, type RoutingModel, type RoutingState, type Schedule,
} from '../../../src/routing/index.js';

const EXTS = ['100', '101', '102', '103', '104'];
const GROUPS = ['600', '601', '602'];
const OUTSIDE = ['199', '0612345678', '004412345678', '112', '911', '002345'];
const DIDS = ['*', '0140000000', '00442012345670'];
const CALLERS = [...EXTS, '004412345678', '003312345678', '00442012345675', '0612345678', 'anonymous', '112'];
const TRUNKS = ['itsp-a', 'itsp-b', 'local-a'];

const number = fc.constantFrom(...EXTS, ...GROUPS, ...OUTSIDE);
const destination: fc.Arbitrary<Destination> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('extension' as const), number: fc.constantFrom(...EXTS, '199') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('ring-group' as const), number: fc.constantFrom(...GROUPS) }) },
  fc.record({ kind: fc.constant('queue' as const), number }),
  fc.record({ kind: fc.constant('ivr' as const), number }),
  fc.record({ kind: fc.constant('voicemail' as const), number: fc.constantFrom(...EXTS) }),
  fc.record({ kind: fc.constant('external' as const), number: fc.constantFrom(...OUTSIDE) }),
  fc.constant({ kind: 'end-call' as const }),
);

const minute = fc.integer({ min: 0, max: 1440 });
const weekly = fc.record({ days: fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { maxLength: 7 }), span: fc.tuple(minute, minute) })
  .map(({ days, span: [a, b] }) => ({ days, from: Math.min(a, b), to: Math.max(a, b) }));
const day = fc.integer({ min: 1, max: 28 }).map((d) => String(d).padStart(2, '0'));
const month = fc.integer({ min: 1, max: 12 }).map((m) => String(m).padStart(2, '0'));
const holiday = fc.oneof(
  fc.record({ name: fc.constant('yearly'), from: fc.tuple(month, day).map(([m, d]) => `${m}-${d}`), to: fc.tuple(month, day).map(([m, d]) => `${m}-${d}`), yearly: fc.constant(true) }),
  fc.record({ name: fc.constant('once'), from: fc.tuple(month, day).map(([m, d]) => `2026-${m}-${d}`), yearly: fc.constant(false), hours: fc.tuple(minute, minute).map(([a, b]) => ({ from: Math.min(a, b), to: Math.max(a, b) })) })
    .map((h) => ({ ...h, to: h.from })),
);
const ALWAYS_OPEN: Schedule = { timeZone: 'UTC', open: [{ days: [0, 1, 2, 3, 4, 5, 6], from: 0, to: 1440 }], breaks: [], holidays: [] };
const schedule: fc.Arbitrary<Schedule> = fc.oneof(
  fc.constant(ALWAYS_OPEN),
  fc.record({
    timeZone: fc.constantFrom('Europe/Paris', 'America/New_York', 'UTC'),
    open: fc.array(weekly, { maxLength: 3 }),
    breaks: fc.array(weekly, { maxLength: 2 }),
    holidays: fc.array(holiday, { maxLength: 2 }),
  }),
);

const forwarding = fc.record({ noAnswerSeconds: fc.integer({ min: 1, max: 120 }), internal: destination, external: destination });
const exception = fc.record(
  { caller: fc.constantFrom('*', '0044*', '10*', '06*78', '100', 'anonymous'), when: fc.array(weekly, { minLength: 1, maxLength: 2 }), destination },
  { requiredKeys: ['caller', 'destination'] },
);

function extension(n: string): fc.Arbitrary<Extension> {
  return fc.record(
    {
      number: fc.constant(n), name: fc.constant(`ext ${n}`), ha1: fc.constant('0'.repeat(32)), realm: fc.constant('pbx'),
      enabled: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      outboundCallerId: fc.constantFrom('+33140000000', '+12125550100'),
      emergencyCallerId: fc.constant('+33140000911'),
      department: fc.constantFrom('sales', 'ny', 'nowhere'),
      forwarding: fc.record({ available: forwarding, away: forwarding, dnd: forwarding, custom1: forwarding, custom2: forwarding }, { requiredKeys: [] }),
      exceptions: fc.array(exception, { maxLength: 15 }),
      schedule,
      autoStatus: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    },
    { requiredKeys: ['number', 'name', 'ha1', 'realm', 'enabled', 'forwarding', 'exceptions', 'autoStatus'] },
  );
}

function ringGroup(n: string): fc.Arbitrary<RingGroup> {
  return fc.record(
    {
      number: fc.constant(n), name: fc.constant(`group ${n}`),
      strategy: fc.constantFrom('ring-all' as const, 'prioritized-hunt' as const, 'cyclic-hunt' as const, 'least-worked-hunt' as const),
      members: fc.array(fc.constantFrom(...EXTS), { maxLength: 6 }),
      ringSeconds: fc.integer({ min: 1, max: 60 }),
      noAnswer: destination, schedule, outOfHours: destination, onBreak: destination, onHoliday: destination,
    },
    { requiredKeys: ['number', 'name', 'strategy', 'members', 'ringSeconds', 'noAnswer'] },
  );
}

/** Mostly `usual`, sometimes anything `arb` gives: keeps the generated calls reaching deep plans. */
function often<T>(usual: T, arb: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 2, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: arb });
}

const timed = fc.record({ open: destination, closed: destination, break: destination, holiday: destination }, { requiredKeys: ['open', 'closed'] });
const inbound: fc.Arbitrary<InboundRule> = fc.record(
  { name: fc.constant('in'), did: often('*', fc.constantFrom(...DIDS)), callerMasks: often([], fc.array(fc.constantFrom('0044********', '0033********', '00442012345670-00442012345680', '1**'), { maxLength: 2 })), destinations: timed, schedule },
  { requiredKeys: ['name', 'did', 'callerMasks', 'destinations'] },
);
const route = fc.record({ trunk: fc.constantFrom(...TRUNKS), strip: fc.nat(4), prepend: fc.constantFrom('', '+33', '+44', '9') });
const outbound: fc.Arbitrary<OutboundRule> = fc.record(
  {
    name: fc.constantFrom('a', 'b', 'c'),
    prefixes: often([], fc.array(fc.constantFrom('0', '00', '06', '1', '9'), { maxLength: 2 })),
    lengths: often([], fc.array(fc.integer({ min: 2, max: 14 }), { maxLength: 2 })),
    extensions: often([], fc.array(fc.constantFrom('100', '101-103', '100-120'), { maxLength: 2 })),
    departments: often([], fc.array(fc.constantFrom('sales', 'ny'), { maxLength: 1 })),
    routes: fc.oneof(fc.constant('block' as const), fc.array(route, { maxLength: MAX_ROUTES })),
    schedule,
  },
  { requiredKeys: ['name', 'prefixes', 'lengths', 'extensions', 'departments', 'routes'] },
);

/** Each key's value or none, in the keys' order (numbers stay unique). */
function optionalEach<T>(keys: readonly string[], arb: (k: string) => fc.Arbitrary<T>): fc.Arbitrary<T[]> {
  return fc.tuple(...keys.map((k) => fc.option(arb(k), { nil: undefined }))).map((xs) => xs.filter((x): x is T => x !== undefined));
}

const routingModel: fc.Arbitrary<RoutingModel> = fc.record({
  version: fc.nat(),
  schedule,
  departments: fc.record({ sales: schedule, ny: schedule }),
  extensions: optionalEach(EXTS, extension),
  ringGroups: optionalEach(GROUPS, ringGroup),
  inbound: fc.array(inbound, { minLength: 1, maxLength: 4 }),
  outbound: fc.array(outbound, { minLength: 1, maxLength: 4 }),
  trunks: fc.constant(TRUNKS.map((name) => ({ name, kind: 'ip' as const, host: '192.0.2.1', port: 5060 }))),
  emergencyNumbers: fc.subarray(['112', '911', '15']),
  localTrunks: fc.constantFrom({}, { 'branch-a': 'local-a' }),
  blacklist: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.constantFrom('0033*', '*', '100', '06*78', 'anonymous'), { minLength: 1, maxLength: 2 }) }),
});

const call: fc.Arbitrary<CallRequest> = fc.record({
  caller: fc.constantFrom(...CALLERS),
  dialled: fc.oneof(fc.constantFrom(...EXTS), fc.constantFrom(...GROUPS), fc.constantFrom(...OUTSIDE, ...DIDS.filter((d) => d !== '*'), '15', '*30', '*32')),
  origin: fc.constantFrom('internal' as const, 'external' as const),
  agent: fc.constantFrom('branch-a', 'branch-b'),
  pbxReachable: fc.boolean(),
});

const routingState: fc.Arbitrary<RoutingState> = fc.record({
  statuses: fc.dictionary(fc.constantFrom(...EXTS), fc.constantFrom(...EXTENSION_STATUSES), { maxKeys: 2 }),
  registered: fc.oneof(fc.constant(EXTS), fc.subarray(EXTS)),
  busy: fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.subarray(EXTS, { maxLength: 2 }) }),
  lastRung: fc.dictionary(fc.constantFrom(...GROUPS), fc.constantFrom(...EXTS)),
  answered: fc.dictionary(fc.constantFrom(...GROUPS), fc.dictionary(fc.constantFrom(...EXTS), fc.nat(20))),
});

const instant = fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2028, 0, 1) });

/** Every node of a plan, each once. */
function nodes(plan: Plan, out = new Set<Plan>()): Set<Plan> {
  if (out.has(plan)) return out;
  out.add(plan);
  if (plan.kind === 'ring') { nodes(plan.onNoAnswer, out); nodes(plan.onBusy, out); }
  if (plan.kind === 'dial-out') nodes(plan.onFailure, out);
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

const RUNS = { numRuns: 1500 };

test('property: decide never throws, is deterministic and leaves its (frozen) inputs alone', () => {
  fc.assert(fc.property(routingModel, call, routingState, instant, (m, c, s, now) => {
    const [fm, fc_, fs] = [deepFreeze(m), deepFreeze(c), deepFreeze(s)];
    const plan = decide(fc_, fm, fs, now);
    assert.deepEqual(decide(fc_, fm, fs, now), plan);
  }), RUNS);
});

test('property: the plan is finite; its depth is bounded by extensions, group members and routes', () => {
  fc.assert(fc.property(routingModel, call, routingState, instant, (m, c, s, now) => {
    const plan = decide(c, m, s, now);
    const bound = m.extensions.length + m.ringGroups.reduce((n, g) => n + g.members.length, 0) + MAX_ROUTES + 2;
    assert.ok(planDepth(plan) <= bound, `depth ${planDepth(plan)} > ${bound}`);
  }), RUNS);
});

test('property: every step is well formed (rings known, enabled, free, registered phones; trunks of the model; statuses set by the calling extension only; SIP reject statuses)', () => {
  const trunks = new Set(TRUNKS);
  fc.assert(fc.property(routingModel, call, routingState, instant, (m, c, s, now) => {
    for (const node of nodes(decide(c, m, s, now))) {
      if (node.kind === 'ring') {
        assert.ok(node.extensions.length > 0);
        assert.equal(new Set(node.extensions).size, node.extensions.length);
        for (const e of node.extensions) {
          assert.equal(m.extensions.find((x) => x.number === e)?.enabled, true, `ring ${e}`);
          assert.ok(s.registered.includes(e) && !s.busy.includes(e), `ring ${e}`);
        }
        assert.ok(node.seconds === null || node.seconds > 0);
        assert.equal(node.callerId, c.caller);
      } else if (node.kind === 'dial-out') {
        assert.ok(trunks.has(node.trunk), node.trunk);
      } else if (node.kind === 'set-status') {
        assert.deepEqual([c.origin, node.extension, m.extensions.find((x) => x.number === c.caller)?.enabled], ['internal', c.caller, true]);
      } else if (node.kind === 'reject') {
        assert.ok([403, 404, 480, 486, 603].includes(node.status));
      }
    }
  }), RUNS);
});

test('property: an internal call to an emergency number always leaves as an emergency, unchanged, or finds no route', () => {
  const emergencyCall = call.map((c) => ({ ...c, origin: 'internal' as const }));
  fc.assert(fc.property(routingModel, emergencyCall, fc.constantFrom('112', '911', '15'), routingState, instant, (m, c0, number, s, now) => {
    const model = { ...m, emergencyNumbers: [number] };
    const plan = decide({ ...c0, dialled: number }, model, s, now);
    for (const node of nodes(plan)) {
      if (node.kind === 'dial-out') assert.deepEqual([node.emergency, node.number], [true, number]);
      else assert.deepEqual(node, { kind: 'reject', status: 480, reason: 'no-route' });
    }
    if (!c0.pbxReachable && Object.hasOwn(model.localTrunks, c0.agent)) assert.equal(plan.kind === 'dial-out' ? plan.trunk : plan.kind, 'local-a');
  }), RUNS);
});

test('property: a blacklisted caller is refused with 603 unless it dials an emergency number', () => {
  fc.assert(fc.property(routingModel, call, routingState, instant, (m, c, s, now) => {
    const model = { ...m, blacklist: [...m.blacklist, c.caller] };
    const plan = decide(c, model, s, now);
    const emergency = c.origin === 'internal' && model.emergencyNumbers.includes(c.dialled);
    if (!emergency) assert.deepEqual(plan, { kind: 'reject', status: 603, reason: 'blacklisted' });
    else assert.notEqual(plan.kind === 'reject' ? plan.reason : 'dial-out', 'blacklisted');
  }), RUNS);
});

test('property: only calls to emergency numbers are marked emergency', () => {
  fc.assert(fc.property(routingModel, call, routingState, instant, (m, c, s, now) => {
    const emergency = c.origin === 'internal' && m.emergencyNumbers.includes(c.dialled);
    for (const node of nodes(decide(c, m, s, now))) if (node.kind === 'dial-out') assert.equal(node.emergency, emergency);
  }), RUNS);
});

test('the generators reach every kind of step, forwarding loops and deep plans (the properties are not vacuous)', () => {
  const kinds = new Set<string>();
  const reasons = new Set<string>();
  let deepest = 0;
  const hist = new Map<string, number>();
  for (const [m, c, s, now] of fc.sample(fc.tuple(routingModel, call, routingState, instant), { numRuns: 3000, seed: 11 })) {
    const plan = decide(c, m, s, now);
    deepest = Math.max(deepest, planDepth(plan));
    const k = `${planDepth(plan)} ${plan.kind} ${plan.kind === 'reject' ? plan.reason : ''}`;
    hist.set(k, (hist.get(k) ?? 0) + 1);
    for (const node of nodes(plan)) {
      kinds.add(node.kind === 'dial-out' && node.emergency ? 'emergency' : node.kind);
      if (node.kind === 'reject') reasons.add(node.reason);
    }
  }
  assert.deepEqual([...kinds].sort(), ['dial-out', 'emergency', 'ivr', 'queue', 'reject', 'ring', 'set-status', 'voicemail']);
  for (const r of ['blacklisted', 'forward-loop', 'blocked', 'no-inbound-rule', 'no-outbound-rule', 'disabled', 'busy', 'dnd', 'end-call']) assert.ok(reasons.has(r), r);
  assert.ok(deepest >= 6, `deepest plan ${deepest} ${JSON.stringify([...hist].sort())}`);
});
