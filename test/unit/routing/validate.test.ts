import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../../src/core/index.js';
import { ALWAYS_OPEN, dialCodes, parseRoutingYaml, routingModelToDoc, validateRoutingModel, type RoutingModel, type WeeklyRange } from '../../../src/routing/index.js';
import { REPO_ROOT } from '../../support/paths.js';

type Obj = Record<string, unknown>;
const EXAMPLE_TEXT = readFileSync(join(REPO_ROOT, 'config', 'routing.example.yaml'), 'utf8');
const H = '0123456789abcdef0123456789abcdef';
const WEEK: WeeklyRange['days'] = [1, 2, 3, 4, 5];

/** What config/routing.example.yaml says, written out in full. */
const EXAMPLE: RoutingModel = {
  version: 7,
  schedule: {
    timeZone: 'Europe/Paris',
    open: [{ days: WEEK, from: 540, to: 1050 }, { days: [6], from: 600, to: 840 }],
    breaks: [{ days: WEEK, from: 720, to: 780 }],
    holidays: [
      { name: '2026-12-25', from: '2026-12-25', to: '2026-12-25', yearly: false },
      { name: 'New Year', from: '01-01', to: '01-01', yearly: true },
      { name: 'Christmas week', from: '2026-12-28', to: '2026-12-30', yearly: false },
      { name: "New Year's Eve", from: '2026-12-31', to: '2026-12-31', hours: { from: 840, to: 1440 }, yearly: false },
      { name: 'Winter closing', from: '12-31', to: '01-02', yearly: true },
    ],
  },
  departments: {
    'support-ny': { timeZone: 'America/New_York', open: [{ days: WEEK, from: 480, to: 1200 }], breaks: [], holidays: [{ name: 'Thanksgiving', from: '2026-11-26', to: '2026-11-26', yearly: false }] },
  },
  extensions: [
    {
      number: '101', name: 'Alice Martin', ha1: '5f4dcc3b5aa765d61d8327deb882cf99', realm: 'pbx.example.net', enabled: true,
      outboundCallerId: '+33123456789', emergencyCallerId: '+33123456701', department: 'sales', homeAgent: 'paris-office',
      forwarding: {
        available: { noAnswerSeconds: 25, internal: { kind: 'voicemail', number: '101' }, external: { kind: 'extension', number: '102' } },
        away: { noAnswerSeconds: 20, internal: { kind: 'voicemail', number: '101' }, external: { kind: 'external', number: '+33612345678' } },
        dnd: { noAnswerSeconds: 20, internal: { kind: 'end-call' }, external: { kind: 'voicemail', number: '101' } },
      },
      exceptions: [
        { caller: '0044*', when: [{ days: WEEK, from: 540, to: 1080 }], destination: { kind: 'extension', number: '102' } },
        { caller: '+33612345678', destination: { kind: 'external', number: '+33698765432' } },
      ],
      autoStatus: true,
    },
    { number: '102', name: 'Bob Durand', ha1: H, realm: 'branch.example.net', enabled: false, department: 'sales', forwarding: {}, exceptions: [], autoStatus: false },
    {
      number: '201', name: 'Carol Smith', ha1: '00112233445566778899aabbccddeeff', realm: 'pbx.example.net', enabled: true, department: 'support-ny', forwarding: {}, exceptions: [],
      schedule: { timeZone: 'America/New_York', open: [{ days: [1, 2, 3, 4], from: 420, to: 900 }], breaks: [], holidays: [] },
      autoStatus: false,
    },
  ],
  ringGroups: [
    {
      number: '800', name: 'Sales', strategy: 'prioritized-hunt', members: ['101', '102'], ringSeconds: 15, noAnswer: { kind: 'voicemail', number: '800' },
      outOfHours: { kind: 'voicemail', number: '101' }, onHoliday: { kind: 'end-call' },
    },
  ],
  inbound: [
    { name: 'London from the UK', did: '00442012345670', callerMasks: ['0044********'], destinations: { open: { kind: 'queue', number: '8000' }, closed: { kind: 'queue', number: '8000' } } },
    {
      name: 'London from France', did: '00442012345670', callerMasks: ['0033********', '00336123456-00336123499'],
      destinations: { open: { kind: 'queue', number: '9000' }, closed: { kind: 'voicemail', number: '101' }, holiday: { kind: 'end-call' } },
    },
    {
      name: 'Main number', did: '*', callerMasks: [],
      destinations: { open: { kind: 'ring-group', number: '800' }, closed: { kind: 'ivr', number: '1' }, break: { kind: 'extension', number: '101' } },
      schedule: { timeZone: 'Europe/Paris', open: [{ days: WEEK, from: 510, to: 1080 }], breaks: [], holidays: [] },
    },
  ],
  outbound: [
    {
      name: 'UK', prefixes: ['00', '+44'], lengths: [13, 14], extensions: ['100-120', '201'], departments: ['sales'],
      routes: [{ trunk: 'ovh', strip: 2, prepend: '+44' }, { trunk: 'lan-gateway', strip: 0, prepend: '' }],
    },
    { name: 'Premium numbers', prefixes: ['089', '0900'], lengths: [], extensions: [], departments: [], routes: 'block' },
  ],
  trunks: [
    { name: 'ovh', kind: 'register', host: 'sip.ovh.example', port: 5060, username: '0033972123456', ha1: '9b0a1a5e6d7c8b9a0f1e2d3c4b5a6978', realm: 'sip.ovh.example', reregisterSeconds: 300 },
    { name: 'lan-gateway', kind: 'ip', host: '192.168.10.2', port: 5070, agent: 'paris-office' },
  ],
  emergencyNumbers: ['112', '15', '17', '18', '911'],
  localTrunks: { 'paris-office': 'lan-gateway' },
  blacklist: ['+33899*', '0044700900123'],
  dialCodes: { custom1: '*35' },
  queues: [
    {
      number: '8000', name: 'UK support', agents: ['101', '102', '201'], strategy: 'prioritized-hunt', ringSeconds: 30, maxWaitSeconds: 120, maxCallers: 10,
      overflow: { kind: 'voicemail', number: '8000' }, wrapUpSeconds: 15, introPrompt: 'support-intro.wav', music: 'support-hold.wav', keepWaitingIfNoAgent: false,
      noAnswer: { kind: 'voicemail', number: '8000' },
    },
    { number: '9000', name: 'French support', agents: ['201'], strategy: 'ring-all', ringSeconds: 30, maxWaitSeconds: 600, wrapUpSeconds: 0, keepWaitingIfNoAgent: true, noAnswer: { kind: 'end-call' } },
  ],
  ivrs: [
    {
      number: '1', name: 'Main menu', prompt: 'main-menu.wav',
      options: { '0': { kind: 'extension', number: '101' }, '1': { kind: 'ring-group', number: '800' }, '2': { kind: 'queue', number: '8000' }, '3': { kind: 'queue', number: '9000' }, '9': { kind: 'repeat' }, '#': { kind: 'end-call' } },
      timeoutSeconds: 10, timeoutDestination: { kind: 'queue', number: '8000' }, invalidDestination: { kind: 'repeat' }, maxRepeats: 3, dialByExtension: true, directDestinations: ['8XX'],
      interDigitSeconds: 3, waitForHash: false, closed: { prompt: 'closed.wav', destination: { kind: 'voicemail', number: '101' } },
    },
  ],
  parking: { orbits: Array.from({ length: 20 }, (_, i) => String(701 + i)), timeoutSeconds: 90 },
  paging: [
    { number: '8500', name: 'Sales page', target: { kind: 'ring-group', number: '800' }, mode: 'page', answerMode: true, ringSeconds: 10 },
    { number: '8501', name: 'Reception intercom', target: { kind: 'extension', number: '101' }, mode: 'intercom', answerMode: true, ringSeconds: 10 },
  ],
  featureCodes: { park: '*80' },
};

test('config/routing.example.yaml converts to the model it documents', () => {
  assert.deepEqual(parseRoutingYaml(EXAMPLE_TEXT), EXAMPLE);
});

test('an empty document is an empty model, always open, version 0, no emergency numbers', () => {
  const empty = { version: 0, schedule: ALWAYS_OPEN, departments: {}, extensions: [], ringGroups: [], inbound: [], outbound: [], trunks: [], emergencyNumbers: [], localTrunks: {}, blacklist: [] };
  assert.deepEqual(validateRoutingModel({}), empty);
  assert.deepEqual(parseRoutingYaml('version: 0\n'), empty);
  assert.deepEqual(parseRoutingYaml('# nothing yet\n'), empty);
  assert.deepEqual(parseRoutingYaml('schedule:\nextensions:\nlocalTrunks:\n'), empty);
});

/** A small valid document each row of the table below breaks in one place. */
function base(): Obj {
  return {
    realm: 'pbx.example',
    extensions: [{ number: '101', name: 'A', ha1: H }, { number: '102', name: 'B', ha1: H }],
    ringGroups: [{ number: '800', name: 'G', members: ['101'] }],
    trunks: [{ name: 't1', kind: 'ip', host: '192.0.2.1' }],
  };
}
const doc = (over: Obj): Obj => ({ ...base(), ...over });
const ext0 = (more: Obj): Obj => doc({ extensions: [{ number: '101', name: 'A', ha1: H, ...more }, { number: '102', name: 'B', ha1: H }] });
const fwd = (status: string, f: Obj): Obj => ext0({ forwarding: { [status]: f } });
const group0 = (more: Obj): Obj => doc({ ringGroups: [{ number: '800', name: 'G', members: ['101'], ...more }] });
const in0 = (more: Obj): Obj => doc({ inbound: [{ name: 'r', did: '100', destination: 'end-call', ...more }] });
const out0 = (more: Obj): Obj => doc({ outbound: [{ name: 'o', routes: [{ trunk: 't1' }], ...more }] });
const reg = (more: Obj): Obj => doc({ trunks: [{ name: 't1', kind: 'register', host: 'sip.example', username: 'u', realm: 'r', ha1: H, ...more }] });
const sched = (more: Obj): Obj => doc({ schedule: { timeZone: 'Europe/Paris', ...more } });
const ok = { internal: 'end-call', external: 'end-call' };

test('the base document of the negative table is valid', () => {
  assert.equal(validateRoutingModel(base()).extensions.length, 2);
});

test('every invalid document is refused with the exact field path', () => {
  const table: Array<[string, unknown, string]> = [
    ['top level a list', [], '(top level)'],
    ['top level a string', 'routing', '(top level)'],
    ['unknown top-level field', doc({ extension: [] }), 'extension'],
    ['version negative', doc({ version: -1 }), 'version'],
    ['version a fraction', doc({ version: 1.5 }), 'version'],
    ['version as text', doc({ version: '3' }), 'version'],
    ['schedule without time zone', doc({ schedule: { open: ['mon 09:00-10:00'] } }), 'schedule.timeZone'],
    ['unknown time zone', sched({ timeZone: 'Mars/Olympus_Mons' }), 'schedule.timeZone'],
    ['unknown schedule field', sched({ closed: [] }), 'schedule.closed'],
    ['weekly range without minutes', sched({ open: ['mon-fri 9-17'] }), 'schedule.open[0]'],
    ['weekly range backwards', sched({ open: ['mon-fri 17:00-09:00'] }), 'schedule.open[0]'],
    ['weekly range empty', sched({ open: ['mon 10:00-10:00'] }), 'schedule.open[0]'],
    ['weekly range past 24:00', sched({ open: ['mon-fri 09:00-24:30'] }), 'schedule.open[0]'],
    ['24:00 as a start', sched({ open: ['mon 24:00-24:00'] }), 'schedule.open[0]'],
    ['not a day', sched({ open: ['mon', 'funday 09:00-10:00'] }), 'schedule.open[0]'],
    ['a second range not a day', sched({ open: ['mon 09:00-10:00', 'funday 09:00-10:00'] }), 'schedule.open[1]'],
    ['break as a number', sched({ breaks: [1200] }), 'schedule.breaks[0]'],
    ['holiday 30 February', sched({ holidays: ['2026-02-30'] }), 'schedule.holidays[0]'],
    ['holiday 29 February of a common year', sched({ holidays: ['2027-02-29'] }), 'schedule.holidays[0]'],
    ['holiday month 13', sched({ holidays: ['13-01'] }), 'schedule.holidays[0]'],
    ['holiday range backwards', sched({ holidays: ['2026-12-26..2026-12-24'] }), 'schedule.holidays[0]'],
    ['holiday range mixing yearly and dated', sched({ holidays: ['12-24..2026-12-26'] }), 'schedule.holidays[0]'],
    ['holiday partial day without an end', sched({ holidays: [{ name: 'x', date: '2026-12-31 14:00' }] }), 'schedule.holidays[0].date'],
    ['holiday without a date', sched({ holidays: [{ name: 'x' }] }), 'schedule.holidays[0].date'],
    ['holiday unknown field', sched({ holidays: [{ date: '12-25', day: 1 }] }), 'schedule.holidays[0].day'],
    ['department name with a space', doc({ departments: { 'sales team': { open: [] } } }), 'departments.sales team'],
    ['department time zone', doc({ departments: { ny: { timeZone: 'America/Gotham' } } }), 'departments.ny.timeZone'],
    ['extensions not a list', doc({ extensions: { number: '101' } }), 'extensions'],
    ['extension a string', doc({ extensions: ['101'] }), 'extensions[0]'],
    ['extension number with letters', ext0({ number: '10a' }), 'extensions[0].number'],
    ['extension number negative', ext0({ number: -101 }), 'extensions[0].number'],
    ['extension number twice', doc({ extensions: [{ number: '101', name: 'A', ha1: H }, { number: 101, name: 'B', ha1: H }] }), 'extensions[1].number'],
    ['ring group number of an extension', doc({ ringGroups: [{ number: '102', name: 'G', members: ['101'] }] }), 'ringGroups[0].number'],
    ['unknown extension field', ext0({ mail: 'a@example' }), 'extensions[0].mail'],
    ['plaintext password in a model', ext0({ ha1: undefined, password: 'secret' }), 'extensions[0].password'],
    ['HA1 too short', ext0({ ha1: 'abc123' }), 'extensions[0].ha1'],
    ['HA1 not hex', ext0({ ha1: 'z'.repeat(32) }), 'extensions[0].ha1'],
    ['no HA1', ext0({ ha1: undefined }), 'extensions[0].ha1'],
    ['no realm anywhere', { extensions: [{ number: '101', name: 'A', ha1: H }] }, 'extensions[0].realm'],
    ['no name', ext0({ name: undefined }), 'extensions[0].name'],
    ['enabled as text', ext0({ enabled: 'yes' }), 'extensions[0].enabled'],
    ['outbound caller ID with letters', ext0({ outboundCallerId: 'ACME' }), 'extensions[0].outboundCallerId'],
    ['emergency caller ID unquoted', ext0({ emergencyCallerId: 33123456701 }), 'extensions[0].emergencyCallerId'],
    ['home agent with a space', ext0({ homeAgent: 'paris office' }), 'extensions[0].homeAgent'],
    ['extension schedule time zone', ext0({ schedule: { timeZone: 'Nowhere' } }), 'extensions[0].schedule.timeZone'],
    ['autoStatus as a number', ext0({ autoStatus: 1 }), 'extensions[0].autoStatus'],
    ['forwarding for an unknown status', fwd('busy', ok), 'extensions[0].forwarding.busy'],
    ['no-answer time on a status that does not ring', fwd('away', { ...ok, noAnswer: 10 }), 'extensions[0].forwarding.away.noAnswer'],
    ['no-answer time zero', fwd('available', { ...ok, noAnswer: 0 }), 'extensions[0].forwarding.available.noAnswer'],
    ['no-answer time as text', fwd('custom1', { ...ok, noAnswer: '20s' }), 'extensions[0].forwarding.custom1.noAnswer'],
    ['forwarding to a missing extension', fwd('available', { ...ok, internal: 'extension:999' }), 'extensions[0].forwarding.available.internal'],
    ['forwarding without an external destination', fwd('dnd', { internal: 'end-call' }), 'extensions[0].forwarding.dnd.external'],
    ['forwarding to an unknown kind', fwd('custom2', { ...ok, external: 'fax:1' }), 'extensions[0].forwarding.custom2.external'],
    ['forwarding to a bare number', fwd('custom2', { ...ok, external: '0123456789' }), 'extensions[0].forwarding.custom2.external'],
    ['external destination with letters', fwd('away', { ...ok, external: 'external:call-me' }), 'extensions[0].forwarding.away.external'],
    ['mailbox of nobody', fwd('away', { ...ok, internal: 'voicemail:555' }), 'extensions[0].forwarding.away.internal'],
    ['forwarding a list', ext0({ forwarding: [ok] }), 'extensions[0].forwarding'],
    ['16 exceptions', ext0({ exceptions: Array.from({ length: 16 }, () => ({ caller: '0*', destination: 'end-call' })) }), 'extensions[0].exceptions'],
    ['exception caller with letters', ext0({ exceptions: [{ caller: 'anonymous', destination: 'end-call' }] }), 'extensions[0].exceptions[0].caller'],
    ['exception time window without an end', ext0({ exceptions: [{ caller: '0*', when: ['mon 10:00'], destination: 'end-call' }] }), 'extensions[0].exceptions[0].when[0]'],
    ['exception to a missing ring group', ext0({ exceptions: [{ caller: '0*', destination: 'ring-group:999' }] }), 'extensions[0].exceptions[0].destination'],
    ['exception unknown field', ext0({ exceptions: [{ caller: '0*', destination: 'end-call', priority: 1 }] }), 'extensions[0].exceptions[0].priority'],
    ['ring strategy', group0({ strategy: 'random' }), 'ringGroups[0].strategy'],
    ['ring group member missing', group0({ members: ['999'] }), 'ringGroups[0].members[0]'],
    ['ring group without members', group0({ members: [] }), 'ringGroups[0].members'],
    ['ring group member twice', group0({ members: ['101', 101] }), 'ringGroups[0].members[1]'],
    ['ring time zero', group0({ ringSeconds: 0 }), 'ringGroups[0].ringSeconds'],
    ['ring group break destination', group0({ onBreak: 'voicemail:555' }), 'ringGroups[0].onBreak'],
    ['ring group no-answer destination', group0({ noAnswer: 'ring-group:801' }), 'ringGroups[0].noAnswer'],
    ['DID with a space', in0({ did: '0044 20' }), 'inbound[0].did'],
    ['DID unquoted', in0({ did: 442012345670 }), 'inbound[0].did'],
    ['caller mask with a letter', in0({ callerMasks: ['0044**a'] }), 'inbound[0].callerMasks[0]'],
    ['caller range of unequal lengths', in0({ callerMasks: ['100-1000'] }), 'inbound[0].callerMasks[0]'],
    ['caller range backwards', in0({ callerMasks: ['0044200-0044100'] }), 'inbound[0].callerMasks[0]'],
    ['caller masks string with an empty part', in0({ callerMasks: '0044*;' }), 'inbound[0].callerMasks'],
    ['inbound without destinations', in0({ destination: undefined }), 'inbound[0].destinations'],
    ['inbound without a closed destination', in0({ destination: undefined, destinations: { open: 'end-call' } }), 'inbound[0].destinations.closed'],
    ['inbound with both forms', in0({ destinations: { open: 'end-call', closed: 'end-call' } }), 'inbound[0].destinations'],
    ['inbound unknown destination state', in0({ destination: undefined, destinations: { open: 'end-call', closed: 'end-call', night: 'end-call' } }), 'inbound[0].destinations.night'],
    ['inbound to a missing extension', in0({ destination: 'extension:103' }), 'inbound[0].destination'],
    ['inbound name twice', doc({ inbound: [{ name: 'r', did: '1', destination: 'end-call' }, { name: 'r', did: '2', destination: 'end-call' }] }), 'inbound[1].name'],
    ['overlapping caller masks on one DID', doc({ inbound: [{ name: 'a', did: '1', callerMasks: ['0044**********'], destination: 'end-call' }, { name: 'b', did: '1', callerMasks: ['00442012345670-00442012345680'], destination: 'end-call' }] }), 'inbound[1].callerMasks'],
    ['prefix with a letter', out0({ prefixes: 'a;00' }), 'outbound[0].prefixes'],
    ['prefix list item unquoted', out0({ prefixes: [44] }), 'outbound[0].prefixes[0]'],
    ['length zero', out0({ lengths: [10, 0] }), 'outbound[0].lengths[1]'],
    ['length as text', out0({ lengths: '10' }), 'outbound[0].lengths'],
    ['extension range backwards', out0({ extensions: ['120-100'] }), 'outbound[0].extensions[0]'],
    ['extension entry with letters', out0({ extensions: ['1x'] }), 'outbound[0].extensions[0]'],
    ['department nobody is in', out0({ departments: ['ghost'] }), 'outbound[0].departments[0]'],
    ['no routes', out0({ routes: [] }), 'outbound[0].routes'],
    ['four routes', out0({ routes: [{ trunk: 't1' }, { trunk: 't1' }, { trunk: 't1' }, { trunk: 't1' }] }), 'outbound[0].routes'],
    ['routes neither a list nor block', out0({ routes: 'drop' }), 'outbound[0].routes'],
    ['route to a missing trunk', out0({ routes: [{ trunk: 't1' }, { trunk: 'nope' }] }), 'outbound[0].routes[1].trunk'],
    ['strip negative', out0({ routes: [{ trunk: 't1', strip: -1 }] }), 'outbound[0].routes[0].strip'],
    ['prepend with letters', out0({ routes: [{ trunk: 't1', prepend: 'x' }] }), 'outbound[0].routes[0].prepend'],
    ['route unknown field', out0({ routes: [{ trunk: 't1', via: 'x' }] }), 'outbound[0].routes[0].via'],
    ['outbound schedule time zone', out0({ schedule: { timeZone: 'Paris' } }), 'outbound[0].schedule.timeZone'],
    ['trunk kind', doc({ trunks: [{ name: 't1', kind: 'sip', host: 'a.example' }] }), 'trunks[0].kind'],
    ['IP trunk with a username', doc({ trunks: [{ name: 't1', kind: 'ip', host: 'a.example', username: 'u' }] }), 'trunks[0].username'],
    ['trunk host', doc({ trunks: [{ name: 't1', kind: 'ip', host: 'bad host' }] }), 'trunks[0].host'],
    ['trunk port', doc({ trunks: [{ name: 't1', kind: 'ip', host: 'a.example', port: 70000 }] }), 'trunks[0].port'],
    ['trunk name with a space', doc({ trunks: [{ name: 't 1', kind: 'ip', host: 'a.example' }] }), 'trunks[0].name'],
    ['trunk name twice', doc({ trunks: [{ name: 't1', kind: 'ip', host: 'a.example' }, { name: 't1', kind: 'ip', host: 'b.example' }] }), 'trunks[1].name'],
    ['register trunk without a realm', reg({ realm: undefined }), 'trunks[0].realm'],
    ['register trunk with a password', reg({ ha1: undefined, password: 'secret' }), 'trunks[0].password'],
    ['re-register too often', reg({ reregisterSeconds: 10 }), 'trunks[0].reregisterSeconds'],
    ['emergency number with a letter', doc({ emergencyNumbers: ['11a'] }), 'emergencyNumbers[0]'],
    ['emergency number twice', doc({ emergencyNumbers: ['112', 112] }), 'emergencyNumbers[1]'],
    ['local trunk missing', doc({ localTrunks: { paris: 'nope' } }), 'localTrunks.paris'],
    ['local trunk branch name', doc({ localTrunks: { 'a b': 't1' } }), 'localTrunks.a b'],
    ['local trunks a list', doc({ localTrunks: ['t1'] }), 'localTrunks'],
    ['blacklist entry with letters', doc({ blacklist: ['spam'] }), 'blacklist[0]'],
    ['blacklist entry twice', doc({ blacklist: ['0900*', '0900*'] }), 'blacklist[1]'],
    ['dial code of an unknown status', doc({ dialCodes: { lunch: '*35' } }), 'dialCodes.lunch'],
    ['dial code without * or #', doc({ dialCodes: { custom1: '35' } }), 'dialCodes.custom1'],
    ['dial code too long', doc({ dialCodes: { custom2: '*1234567' } }), 'dialCodes.custom2'],
    ['dial code given as a number', doc({ dialCodes: { custom1: 35 } }), 'dialCodes.custom1'],
    ['two statuses on one code', doc({ dialCodes: { custom1: '*35', custom2: '*35' } }), 'dialCodes.custom1'],
    ['a code that is another status’s default', doc({ dialCodes: { custom1: '*30' } }), 'dialCodes.custom1'],
    ['dial codes a list', doc({ dialCodes: ['*35'] }), 'dialCodes'],
  ];
  assert.ok(table.length >= 40, `${table.length} rows`);
  for (const [name, input, path] of table) {
    assert.throws(() => validateRoutingModel(input), (e: unknown) => e instanceof ConfigError && e.code === 'SBC_ERR_CONFIG' && e.path === path && e.message.startsWith(`${path}: `), name);
  }
});

test('dial codes: configured ones are kept, round-trip through the document, and replace their default only', () => {
  const model = validateRoutingModel(doc({ dialCodes: { custom1: '#71', available: '*40' } }));
  assert.deepEqual(model.dialCodes, { available: '*40', custom1: '#71' });
  assert.deepEqual(dialCodes(model), { available: '*40', away: '*31', dnd: '*32', custom1: '#71', custom2: '*34' });
  assert.deepEqual(validateRoutingModel(routingModelToDoc(model)).dialCodes, model.dialCodes);
  assert.equal(validateRoutingModel(doc({})).dialCodes, undefined);
  // Swapping two defaults is allowed when both are given.
  assert.deepEqual(validateRoutingModel(doc({ dialCodes: { away: '*32', dnd: '*31' } })).dialCodes, { away: '*32', dnd: '*31' });
});

/** `*` is one digit, so a mask matches numbers of its own length only (as matchCallerMask in decide). */
test('the overlap error names both rules and both masks', () => {
  const input = doc({ queues: [{ number: '8000', name: 'Q1' }, { number: '9000', name: 'Q2' }], inbound: [
    { name: 'uk', did: '00442012345670', callerMasks: ['0044**********'], destination: 'queue:8000' },
    { name: 'fr', did: '00442012345670', callerMasks: ['0033**********'], destination: 'queue:9000' },
    { name: 'range', did: '00442012345670', callerMasks: ['00442012345670-00442012345680'], destination: 'end-call' },
  ] });
  assert.throws(() => validateRoutingModel(input), (e: unknown) => e instanceof ConfigError && e.message.startsWith("inbound[2].callerMasks: overlaps inbound[0] ('0044**********' and '00442012345670-00442012345680')"));
});

test('rules on one DID: overlapping masks refused, disjoint ones and other DIDs accepted', () => {
  const table: Array<[string, string[], string[], boolean]> = [
    ['the guide: UK and France', ['0044********'], ['0033********'], false],
    ['the same mask', ['0044*'], ['0044*'], true],
    ['a mask inside a wider one', ['0044********'], ['004420******'], true],
    ['masks of different lengths', ['0044*******'], ['0044********'], false],
    ['range inside a mask', ['0044**********'], ['00442012345670-00442012345680'], true],
    ['range beside a mask', ['0033**********'], ['00442012345670-00442012345680'], false],
    ['a mask matches its own length only', ['0044********'], ['00442012345670-00442012345680'], false],
    ['ranges that touch', ['100-199'], ['199-250'], true],
    ['ranges side by side', ['100-199'], ['200-299'], false],
    ['a mask hitting the top of a range', ['1*9'], ['100-109'], true],
    ['a mask falling between range ends', ['15*'], ['100-149'], false],
    ['any caller against a mask', [], ['0044*'], true],
    ['a second mask of the list overlaps', ['0033*', '0049*'], ['0041*', '004*1'], true],
  ];
  for (const [name, a, b, overlaps] of table) {
    const input = doc({ inbound: [{ name: 'a', did: '555', callerMasks: a, destination: 'end-call' }, { name: 'b', did: '555', callerMasks: b, destination: 'end-call' }] });
    if (overlaps) assert.throws(() => validateRoutingModel(input), { code: 'SBC_ERR_CONFIG', path: 'inbound[1].callerMasks' }, name);
    else assert.equal(validateRoutingModel(input).inbound.length, 2, name);
    const otherDid = doc({ inbound: [{ name: 'a', did: '555', callerMasks: a, destination: 'end-call' }, { name: 'b', did: '*', callerMasks: b, destination: 'end-call' }] });
    assert.equal(validateRoutingModel(otherDid).inbound.length, 2, `${name} (another DID)`);
  }
});

test('passwords become HA1s only with allowPasswords, and no model holds one', () => {
  const withPasswords = `
realm: pbx.example
extensions:
  - { number: 101, name: A, password: "s3cret:x" }
trunks:
  - { name: itsp, kind: register, host: sip.example, username: acme, realm: itsp.example, password: hunter2 }
`;
  assert.throws(() => parseRoutingYaml(withPasswords), { code: 'SBC_ERR_CONFIG', path: 'extensions[0].password' });
  const model = parseRoutingYaml(withPasswords, { allowPasswords: true });
  const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
  assert.equal(model.extensions[0]?.ha1, md5('101:pbx.example:s3cret:x'));
  const trunk = model.trunks[0];
  assert.equal(trunk?.kind === 'register' ? trunk.ha1 : undefined, md5('acme:itsp.example:hunter2'));
  const json = JSON.stringify(model);
  assert.ok(!json.includes('s3cret') && !json.includes('hunter2') && !json.includes('password'), json);
  assert.throws(() => validateRoutingModel(ext0({ password: 'x' }), { allowPasswords: true }), { code: 'SBC_ERR_CONFIG', path: 'extensions[0].password' });
});

test('YAML syntax errors and duplicate keys are ConfigErrors naming the line', () => {
  assert.throws(() => parseRoutingYaml('version: 1\nversion: 2\n'), { code: 'SBC_ERR_CONFIG', path: '(line 2)' });
  assert.throws(() => parseRoutingYaml('extensions: [\n'), (e: unknown) => e instanceof ConfigError && /^\(line \d+\)$/.test(e.path));
});

test('weekly ranges: day lists, wrapping day ranges, daily, 24:00', () => {
  const table: Array<[string, WeeklyRange]> = [
    ['mon-fri 09:00-17:30', { days: [1, 2, 3, 4, 5], from: 540, to: 1050 }],
    ['sat 10:00-14:00', { days: [6], from: 600, to: 840 }],
    ['mon,wed,fri 08:00-12:00', { days: [1, 3, 5], from: 480, to: 720 }],
    ['sat-sun 10:00-12:00', { days: [0, 6], from: 600, to: 720 }],
    ['fri-mon 00:00-24:00', { days: [0, 1, 5, 6], from: 0, to: 1440 }],
    ['daily 23:59-24:00', { days: [0, 1, 2, 3, 4, 5, 6], from: 1439, to: 1440 }],
    ['Mon-Tue 09:00-10:00', { days: [1, 2], from: 540, to: 600 }],
  ];
  for (const [text, range] of table) assert.deepEqual(validateRoutingModel(sched({ open: [text] })).schedule.open, [range], text);
});

/** Every path of a JSON-ish value, as lists of keys. */
function pathsOf(value: unknown, at: readonly (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [[...at]];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...at, i])));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...at, k]));
  return out;
}

function replaceAt(value: unknown, path: readonly (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? replaceAt(v, rest, replacement) : v));
  const obj = value as Obj;
  return { ...obj, [String(head)]: replaceAt(obj[String(head)], rest, replacement) };
}

const onlyConfigErrors = (input: unknown): void => {
  try {
    validateRoutingModel(input);
  } catch (e) {
    if (!(e instanceof ConfigError) || e.path === '') throw e;
  }
};

test('property: arbitrary JSON never makes validation throw anything but a ConfigError', () => {
  fc.assert(fc.property(fc.jsonValue(), onlyConfigErrors), { numRuns: 2000 });
  fc.assert(fc.property(fc.dictionary(fc.constantFrom('version', 'schedule', 'extensions', 'ringGroups', 'inbound', 'outbound', 'trunks', 'emergencyNumbers', 'localTrunks', 'blacklist', 'departments'), fc.jsonValue()), onlyConfigErrors), { numRuns: 2000 });
});

test('property: the example with any one field replaced by arbitrary JSON is valid or a ConfigError', () => {
  const example: unknown = parseYaml(EXAMPLE_TEXT);
  const paths = pathsOf(example);
  let refused = 0;
  fc.assert(fc.property(fc.constantFrom(...paths), fc.jsonValue({ maxDepth: 2 }), (path, replacement) => {
    try {
      validateRoutingModel(replaceAt(example, path, replacement));
    } catch (e) {
      if (!(e instanceof ConfigError) || e.path === '') throw e;
      refused++;
    }
  }), { numRuns: 3000 });
  assert.ok(refused > 0, 'some replacements are refused');
});
