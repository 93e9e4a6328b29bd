import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/core/index.js';
import { decide, featureRequest, planForDestination, validateRoutingModel, EMPTY_ROUTING_STATE, type FeatureRequest } from '../../../src/routing/index.js';

type Obj = Record<string, unknown>;
const H = '0123456789abcdef0123456789abcdef';

/** A small valid document with one queue and one IVR, each row below breaks in one place. */
function base(): Obj {
  return {
    realm: 'pbx.example',
    extensions: [{ number: '101', name: 'A', ha1: H }, { number: '102', name: 'B', ha1: H }],
    ringGroups: [{ number: '800', name: 'G', members: ['101'] }],
    queues: [{ number: '8000', name: 'Q', agents: ['101', '102'] }],
    ivrs: [{ number: '7000', name: 'Menu', prompt: 'menu.wav', options: { '1': 'queue:8000' } }],
  };
}
const doc = (over: Obj): Obj => ({ ...base(), ...over });
const q0 = (more: Obj): Obj => doc({ queues: [{ number: '8000', name: 'Q', agents: ['101', '102'], ...more }] });
const ivr0 = (more: Obj): Obj => doc({ ivrs: [{ number: '7000', name: 'Menu', prompt: 'menu.wav', ...more }] });

test('queues and IVRs: defaults filled in, destinations to them accepted', () => {
  const model = validateRoutingModel(doc({ inbound: [{ name: 'main', did: '*', destination: 'ivr:7000' }] }));
  assert.deepEqual(model.queues, [{ number: '8000', name: 'Q', agents: ['101', '102'], strategy: 'ring-all', ringSeconds: 30, maxWaitSeconds: 600, wrapUpSeconds: 0, keepWaitingIfNoAgent: false, noAnswer: { kind: 'end-call' } }]);
  assert.deepEqual(model.ivrs, [{
    number: '7000', name: 'Menu', prompt: 'menu.wav', options: { '1': { kind: 'queue', number: '8000' } }, timeoutSeconds: 10, timeoutDestination: { kind: 'repeat' }, invalidDestination: { kind: 'repeat' },
    maxRepeats: 3, dialByExtension: false, directDestinations: [], interDigitSeconds: 3, waitForHash: false,
  }]);
  assert.deepEqual(model.inbound[0]?.destinations.open, { kind: 'ivr', number: '7000' });
  // A model without them has no such fields (as before).
  const plain = validateRoutingModel({ realm: 'r', extensions: [{ number: '101', name: 'A', ha1: H }] });
  assert.equal(plain.queues, undefined);
  assert.equal(plain.ivrs, undefined);
  assert.equal(plain.parking, undefined);
});

test('every queue strategy is accepted', () => {
  for (const strategy of ['ring-all', 'prioritized-hunt', 'random-start-hunt', 'round-robin', 'longest-waiting', 'least-talk-time', 'fewest-answered', 'hunt-by-threes-random', 'hunt-by-threes-prioritized']) {
    assert.equal(validateRoutingModel(q0({ strategy })).queues?.[0]?.strategy, strategy);
  }
});

test('invalid queues, IVRs, parking and feature codes: each refused with its field named', () => {
  const table: Array<[string, Obj, string]> = [
    ['queue: unknown field', q0({ ringTime: 30 }), 'queues[0].ringTime'],
    ['queue: no name', doc({ queues: [{ number: '8000', agents: [] }] }), 'queues[0].name'],
    ['queue: number with letters', doc({ queues: [{ number: '80a', name: 'Q' }] }), 'queues[0].number'],
    ['queue: number of an extension', doc({ queues: [{ number: '101', name: 'Q' }] }), 'queues[0].number'],
    ['queue: number of a ring group', doc({ queues: [{ number: '800', name: 'Q' }] }), 'queues[0].number'],
    ['queue: two queues with one number', doc({ queues: [{ number: '8000', name: 'Q' }, { number: '8000', name: 'R' }] }), 'queues[1].number'],
    ['queue: unknown strategy', q0({ strategy: 'cyclic-hunt' }), 'queues[0].strategy'],
    ['queue: an agent that is not an extension', q0({ agents: ['101', '999'] }), 'queues[0].agents[1]'],
    ['queue: an agent twice', q0({ agents: ['101', '101'] }), 'queues[0].agents[1]'],
    ['queue: agents not a list', q0({ agents: '101' }), 'queues[0].agents'],
    ['queue: ring time 0', q0({ ringSeconds: 0 }), 'queues[0].ringSeconds'],
    ['queue: ring time as text', q0({ ringSeconds: '30' }), 'queues[0].ringSeconds'],
    ['queue: max wait too short', q0({ maxWaitSeconds: 5 }), 'queues[0].maxWaitSeconds'],
    ['queue: max callers 0', q0({ maxCallers: 0 }), 'queues[0].maxCallers'],
    ['queue: overflow without max callers', q0({ overflow: 'end-call' }), 'queues[0].overflow'],
    ['queue: overflow to nothing', q0({ maxCallers: 3, overflow: 'extension:555' }), 'queues[0].overflow'],
    ['queue: negative wrap-up', q0({ wrapUpSeconds: -1 }), 'queues[0].wrapUpSeconds'],
    ['queue: prompt with ..', q0({ introPrompt: '../etc/passwd' }), 'queues[0].introPrompt'],
    ['queue: absolute music path', q0({ music: '/tmp/x.wav' }), 'queues[0].music'],
    ['queue: keep waiting not a boolean', q0({ keepWaitingIfNoAgent: 'yes' }), 'queues[0].keepWaitingIfNoAgent'],
    ['queue: no-answer to itself is fine, to an unknown IVR not', q0({ noAnswer: 'ivr:1' }), 'queues[0].noAnswer'],
    ['queue: a null entry', doc({ queues: [null] }), 'queues[0]'],
    ['destination to an undefined queue', doc({ inbound: [{ name: 'r', did: '1', destination: 'queue:9000' }] }), 'inbound[0].destination'],
    ['destination to an undefined IVR', doc({ inbound: [{ name: 'r', did: '1', destination: 'ivr:1' }] }), 'inbound[0].destination'],
    ['forwarding to an undefined queue', doc({ extensions: [{ number: '101', name: 'A', ha1: H, forwarding: { away: { internal: 'queue:1', external: 'end-call' } } }, { number: '102', name: 'B', ha1: H }] }), 'extensions[0].forwarding.away.internal'],
    ['ring group no-answer to an undefined IVR', doc({ ringGroups: [{ number: '800', name: 'G', members: ['101'], noAnswer: 'ivr:9' }] }), 'ringGroups[0].noAnswer'],
    ['voicemail of no extension, group or queue', doc({ inbound: [{ name: 'r', did: '1', destination: 'voicemail:7000' }] }), 'inbound[0].destination'],
    ['IVR: no prompt', doc({ ivrs: [{ number: '7000', name: 'Menu' }] }), 'ivrs[0].prompt'],
    ['IVR: number of a queue', doc({ ivrs: [{ number: '8000', name: 'Menu', prompt: 'm.wav' }] }), 'ivrs[0].number'],
    ['IVR: unknown field', ivr0({ greeting: 'x.wav' }), 'ivrs[0].greeting'],
    ['IVR: key that is not a key', ivr0({ options: { '10': 'end-call' } }), 'ivrs[0].options.10'],
    ['IVR: key A', ivr0({ options: { A: 'end-call' } }), 'ivrs[0].options.A'],
    ['IVR: option to nothing', ivr0({ options: { '3': 'extension:555' } }), 'ivrs[0].options.3'],
    ['IVR: option not a destination', ivr0({ options: { '3': 'again' } }), 'ivrs[0].options.3'],
    ['IVR: options a list', ivr0({ options: ['end-call'] }), 'ivrs[0].options'],
    ['IVR: timeout 0', ivr0({ timeoutSeconds: 0 }), 'ivrs[0].timeoutSeconds'],
    ['IVR: timeout destination to nothing', ivr0({ timeoutDestination: 'ring-group:999' }), 'ivrs[0].timeoutDestination'],
    ['IVR: invalid destination not a string', ivr0({ invalidDestination: 3 }), 'ivrs[0].invalidDestination'],
    ['IVR: 21 repeats', ivr0({ maxRepeats: 21 }), 'ivrs[0].maxRepeats'],
    ['IVR: direct destination with a letter', ivr0({ directDestinations: ['8A'] }), 'ivrs[0].directDestinations[0]'],
    ['IVR: direct destination with *', ivr0({ directDestinations: ['8*'] }), 'ivrs[0].directDestinations[0]'],
    ['IVR: inter-digit 31 s', ivr0({ interDigitSeconds: 31 }), 'ivrs[0].interDigitSeconds'],
    ['IVR: wait for # not a boolean', ivr0({ waitForHash: 1 }), 'ivrs[0].waitForHash'],
    ['IVR: closed without destination', ivr0({ closed: { prompt: 'c.wav' } }), 'ivrs[0].closed.destination'],
    ['IVR: closed unknown field', ivr0({ closed: { destination: 'end-call', music: 'x.wav' } }), 'ivrs[0].closed.music'],
    ['IVR: holiday prompt with ..', ivr0({ onHoliday: { prompt: 'a/../b.wav', destination: 'end-call' } }), 'ivrs[0].onHoliday.prompt'],
    ['IVR: bad schedule', ivr0({ schedule: { timeZone: 'Mars/Olympus' } }), 'ivrs[0].schedule.timeZone'],
    ['parking: no orbits', doc({ parking: { timeoutSeconds: 60 } }), 'parking.orbits'],
    ['parking: reversed range', doc({ parking: { orbits: '720-701' } }), 'parking.orbits'],
    ['parking: range of two lengths', doc({ parking: { orbits: '99-100' } }), 'parking.orbits'],
    ['parking: 101 orbits', doc({ parking: { orbits: '100-200' } }), 'parking.orbits'],
    ['parking: an orbit that is an extension', doc({ parking: { orbits: ['101'] } }), 'parking.orbits'],
    ['parking: an orbit twice', doc({ parking: { orbits: ['701', '701'] } }), 'parking.orbits[1]'],
    ['parking: timeout 5 s', doc({ parking: { orbits: '701-702', timeoutSeconds: 5 } }), 'parking.timeoutSeconds'],
    ['parking: unknown field', doc({ parking: { orbits: '701-702', music: 'x.wav' } }), 'parking.music'],
    ['feature code: unknown name', doc({ featureCodes: { intercom: '*90' } }), 'featureCodes.intercom'],
    ['feature code: no * or #', doc({ featureCodes: { park: '70' } }), 'featureCodes.park'],
    ['feature code: too long', doc({ featureCodes: { park: '*1234567' } }), 'featureCodes.park'],
    ['feature code: starts another', doc({ featureCodes: { park: '*5' } }), 'featureCodes.park'],
    ['feature code: equal to another', doc({ featureCodes: { pickupHeld: '**' } }), 'featureCodes.pickupHeld'],
    ['feature code: a status code', doc({ featureCodes: { park: '*30' } }), 'featureCodes.park'],
    ['voicemail access: a letter', doc({ featureCodes: { voicemailAccess: '99a' } }), 'featureCodes.voicemailAccess'],
    ['voicemail access: one digit', doc({ featureCodes: { voicemailAccess: '9' } }), 'featureCodes.voicemailAccess'],
    ['voicemail access: starts another', doc({ featureCodes: { voicemailAccess: '*7' } }), 'featureCodes.voicemailAccess'],
  ];
  assert.ok(table.length >= 60, `${table.length} rows`);
  for (const [name, input, path] of table) {
    assert.throws(() => validateRoutingModel(input), (e: unknown) => e instanceof ConfigError && e.path === path && e.message.startsWith(`${path}: `), name);
  }
});

test('an undefined queue or IVR is refused with a message that says where to define it', () => {
  assert.throws(() => validateRoutingModel(doc({ inbound: [{ name: 'r', did: '1', destination: 'queue:9000' }] })), { message: "inbound[0].destination: 'queue:9000': there is no queue 9000 (define it under queues)" });
  assert.throws(() => validateRoutingModel(doc({ inbound: [{ name: 'r', did: '1', destination: 'ivr:1' }] })), { message: "inbound[0].destination: 'ivr:1': there is no IVR 1 (define it under ivrs)" });
});

test('parking orbits: a range keeps leading zeros; a list is kept in order', () => {
  assert.deepEqual(validateRoutingModel(doc({ parking: { orbits: '0098-0101' } })).parking?.orbits.slice(0, 3), ['0098', '0099', '0100']);
  assert.deepEqual(validateRoutingModel(doc({ parking: { orbits: [702, '701'] } })).parking, { orbits: ['702', '701'], timeoutSeconds: 120 });
});

test('feature codes: what a dialled number asks for (defaults and configured codes)', () => {
  const model = validateRoutingModel(doc({ parking: { orbits: '701-703' } }));
  const custom = validateRoutingModel(doc({ parking: { orbits: '701-703' }, featureCodes: { queueSignIn: '#61', park: '*80' } }));
  const rows: Array<[string, typeof model, string, FeatureRequest | undefined]> = [
    ['*51: sign in to all', model, '*51', { kind: 'queue-sign', signedIn: true }],
    ['*51*: sign in to all', model, '*51*', { kind: 'queue-sign', signedIn: true }],
    ['*51*8000: one queue', model, '*51*8000', { kind: 'queue-sign', signedIn: true, queue: '8000' }],
    ['*52: sign out of all', model, '*52', { kind: 'queue-sign', signedIn: false }],
    ['*52*: sign out of all (the trailing-star form)', model, '*52*', { kind: 'queue-sign', signedIn: false }],
    ['*52*8000: one queue', model, '*52*8000', { kind: 'queue-sign', signedIn: false, queue: '8000' }],
    ['*518000: not a code', model, '*518000', undefined],
    ['*51*80a0: not a code', model, '*51*80a0', undefined],
    ['**101: pickup ringing', model, '**101', { kind: 'pickup', mode: 'ringing', extension: '101' }],
    ['##101: pickup held', model, '##101', { kind: 'pickup', mode: 'held', extension: '101' }],
    ['**: nothing to pick up', model, '**', undefined],
    ['*70: park anywhere', model, '*70', { kind: 'park' }],
    ['999: voicemail access by default', model, '999', { kind: 'voicemail-access' }],
    ['9999: not a code', model, '9999', undefined],
    ['*98: the configured access number', validateRoutingModel(doc({ featureCodes: { voicemailAccess: '*98' } })), '*98', { kind: 'voicemail-access' }],
    ['*70702: park in 702', model, '*70702', { kind: 'park', orbit: '702' }],
    ['*70709: not an orbit', model, '*70709', undefined],
    ['702: retrieve', model, '702', { kind: 'retrieve', orbit: '702' }],
    ['#61: configured sign-in', custom, '#61*8000', { kind: 'queue-sign', signedIn: true, queue: '8000' }],
    ['*51: no longer a code when changed', custom, '*51', undefined],
    ['*80: configured park', custom, '*80', { kind: 'park' }],
    ['*70 without parking', validateRoutingModel(doc({})), '*70', undefined],
    ['101: an extension', model, '101', undefined],
  ];
  for (const [name, m, dialled, expected] of rows) assert.deepEqual(featureRequest(m, dialled), expected, name);
});

test('decide: a feature code from an extension is a feature step; queue and IVR numbers are dialable', () => {
  const model = validateRoutingModel(doc({ parking: { orbits: '701-703' } }));
  const call = (caller: string, dialled: string) => decide({ caller, dialled, origin: 'internal', agent: 'b', pbxReachable: true }, model, EMPTY_ROUTING_STATE, 0);
  assert.deepEqual(call('101', '*52*8000'), { kind: 'feature', extension: '101', request: { kind: 'queue-sign', signedIn: false, queue: '8000' } });
  assert.deepEqual(call('102', '**101'), { kind: 'feature', extension: '102', request: { kind: 'pickup', mode: 'ringing', extension: '101' } });
  assert.deepEqual(call('101', '8000'), { kind: 'queue', number: '8000' });
  assert.deepEqual(call('101', '7000'), { kind: 'ivr', number: '7000' });
  // Not from an extension: no feature (an outside caller cannot sign agents out).
  assert.equal(call('0612345678', '*52').kind, 'reject');
});

test('planForDestination: where an IVR key or a queue sends a call, by the ordinary rules', () => {
  const model = validateRoutingModel(doc({}));
  const call = { caller: '0612345678', dialled: '7000', origin: 'external' as const, agent: 'b', pbxReachable: true };
  const state = { ...EMPTY_ROUTING_STATE, registered: ['101'] };
  assert.deepEqual(planForDestination(call, model, state, 0, { kind: 'ring-group', number: '800' }), {
    kind: 'ring', extensions: ['101'], seconds: 20, callerId: '0612345678', group: '800', onNoAnswer: { kind: 'reject', status: 480, reason: 'end-call' }, onBusy: { kind: 'reject', status: 480, reason: 'end-call' },
  });
  assert.deepEqual(planForDestination(call, model, state, 0, { kind: 'queue', number: '8000' }), { kind: 'queue', number: '8000' });
  assert.deepEqual(planForDestination(call, model, EMPTY_ROUTING_STATE, 0, { kind: 'extension', number: '102' }), { kind: 'reject', status: 480, reason: 'not-registered' });
});
