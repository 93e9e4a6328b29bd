// decide() for ring groups: the four strategies, which members are skipped, the no-answer
// destination, out-of-hours / break / holiday destinations (docs/STYLE.md rule 10: a table).
import type { Plan, RingGroup, RoutingModel, RoutingState } from '../../../src/routing/index.js';
import {
  ALWAYS_PARIS, END, NEW_YORK, PARIS, T, ext, external, group, internal, model, out, queue, rej, ring, runCases, state, toExt, toExternal, toGroup, toQueue, toVm, vm,
  type Case,
} from './decide-fixtures.js';

const MEMBERS = ['201', '202', '203'];
const REG = state({ registered: ['100', '201', '202', '203', '204', '205'] });

function groups(list: readonly RingGroup[], more: Partial<RoutingModel> = {}): RoutingModel {
  return model({
    extensions: [
      ext('100', { forwarding: { available: { noAnswerSeconds: 10, internal: toVm('100'), external: toVm('100') } } }),
      ext('201', { forwarding: { available: { noAnswerSeconds: 5, internal: toVm('201'), external: toVm('201') } } }),
      ext('202'), ext('203'), ext('204', { enabled: false }), ext('205', { autoStatus: true }),
    ],
    ringGroups: list,
    inbound: [{ name: 'sales', did: '0140000600', callerMasks: [], destinations: { open: toGroup('600'), closed: toGroup('600') } }],
    outbound: [{ name: 'national', prefixes: ['0'], lengths: [10], extensions: [], departments: [], routes: [{ trunk: 'itsp-b', strip: 0, prepend: '' }] }],
    ...more,
  });
}

/** The hunt through `order`, each for `seconds`, ending in `last`. */
function hunt(order: readonly string[], seconds: number, callerId: string, last: Plan, groupNumber = '600'): Plan {
  let plan = last;
  for (const m of [...order].reverse()) plan = ring([m], seconds, callerId, plan, plan, groupNumber);
  return plan;
}

const all = (members: readonly string[], last: Plan = vm('600'), seconds = 20, callerId = '100'): Plan => ring(members, seconds, callerId, last, last, '600');
const with_ = (s: Partial<RoutingState>): RoutingState => state({ ...REG, ...s });
const G = (strategy: RingGroup['strategy'], more: Partial<RingGroup> = {}): RingGroup => group('600', MEMBERS, { strategy, ...more });
const call = internal('100', '600');

const STRATEGY_CASES: Case[] = [
  { name: 'ring-all rings every member at once', model: groups([G('ring-all')]), state: REG, call, expect: all(MEMBERS) },
  { name: 'ring-all for the group’s ring time', model: groups([G('ring-all', { ringSeconds: 30 })]), state: REG, call, expect: all(MEMBERS, vm('600'), 30) },
  { name: 'ring-all skips unregistered members', model: groups([G('ring-all')]), state: state({ registered: ['201', '203'] }), call, expect: all(['201', '203']) },
  { name: 'ring-all skips busy members', model: groups([G('ring-all')]), state: with_({ busy: ['202'] }), call, expect: all(['201', '203']) },
  { name: 'ring-all skips away members', model: groups([G('ring-all')]), state: with_({ statuses: { '201': 'away' } }), call, expect: all(['202', '203']) },
  { name: 'ring-all skips dnd members', model: groups([G('ring-all')]), state: with_({ statuses: { '202': 'dnd' } }), call, expect: all(['201', '203']) },
  { name: 'ring-all skips custom 2 members', model: groups([G('ring-all')]), state: with_({ statuses: { '203': 'custom2' } }), call, expect: all(['201', '202']) },
  { name: 'ring-all keeps custom 1 members', model: groups([G('ring-all')]), state: with_({ statuses: { '203': 'custom1' } }), call, expect: all(MEMBERS) },
  { name: 'ring-all skips disabled members', model: groups([group('600', ['201', '204'])]), state: REG, call, expect: all(['201']) },
  { name: 'ring-all skips members that are not extensions', model: groups([group('600', ['201', '299', '202'])]), state: REG, call, expect: all(['201', '202']) },
  { name: 'ring-all skips members away by office hours', model: groups([group('600', ['201', '205'])]), state: REG, call, now: T.weekend, expect: all(['201']) },
  { name: 'ring-all keeps members available by office hours', model: groups([group('600', ['201', '205'])]), state: REG, call, now: T.parisOpen, expect: all(['201', '205']) },
  { name: 'no member can ring: the no-answer destination at once', model: groups([G('ring-all')]), state: state(), call, expect: vm('600') },
  { name: 'no member can ring in a hunt: the no-answer destination at once', model: groups([G('prioritized-hunt')]), state: with_({ busy: MEMBERS }), call, expect: vm('600') },
  { name: 'a member listed twice rings once', model: groups([group('600', ['201', '202', '201'])]), state: REG, call, expect: all(['201', '202']) },
  { name: 'members ring directly: their own forwarding does not apply', model: groups([group('600', ['201'])]), state: REG, call, expect: all(['201']) },
  { name: 'prioritized hunt rings each member in order', model: groups([G('prioritized-hunt')]), state: REG, call, expect: hunt(MEMBERS, 20, '100', vm('600')) },
  { name: 'prioritized hunt for the group’s ring time', model: groups([G('prioritized-hunt', { ringSeconds: 12 })]), state: REG, call, expect: hunt(MEMBERS, 12, '100', vm('600')) },
  { name: 'prioritized hunt skips a busy member', model: groups([G('prioritized-hunt')]), state: with_({ busy: ['202'] }), call, expect: hunt(['201', '203'], 20, '100', vm('600')) },
  { name: 'prioritized hunt with one member that can ring', model: groups([G('prioritized-hunt')]), state: state({ registered: ['203'] }), call, expect: hunt(['203'], 20, '100', vm('600')) },
  { name: 'cyclic hunt without history starts at the first member', model: groups([G('cyclic-hunt')]), state: REG, call, expect: hunt(MEMBERS, 20, '100', vm('600')) },
  { name: 'cyclic hunt starts after the member rung last', model: groups([G('cyclic-hunt')]), state: with_({ lastRung: { '600': '201' } }), call, expect: hunt(['202', '203', '201'], 20, '100', vm('600')) },
  { name: 'cyclic hunt wraps after the last member', model: groups([G('cyclic-hunt')]), state: with_({ lastRung: { '600': '203' } }), call, expect: hunt(MEMBERS, 20, '100', vm('600')) },
  { name: 'cyclic hunt whose last member left the group starts at the first', model: groups([G('cyclic-hunt')]), state: with_({ lastRung: { '600': '299' } }), call, expect: hunt(MEMBERS, 20, '100', vm('600')) },
  { name: 'cyclic hunt skips a busy next member', model: groups([G('cyclic-hunt')]), state: with_({ lastRung: { '600': '201' }, busy: ['202'] }), call, expect: hunt(['203', '201'], 20, '100', vm('600')) },
  { name: 'cyclic hunt reads only its own group’s history', model: groups([G('cyclic-hunt')]), state: with_({ lastRung: { '601': '201' } }), call, expect: hunt(MEMBERS, 20, '100', vm('600')) },
  { name: 'least-worked hunt rings the fewest answered first', model: groups([G('least-worked-hunt')]), state: with_({ answered: { '600': { '201': 5, '202': 1, '203': 3 } } }), call, expect: hunt(['202', '203', '201'], 20, '100', vm('600')) },
  { name: 'least-worked hunt breaks ties by the members’ order', model: groups([G('least-worked-hunt')]), state: with_({ answered: { '600': { '201': 2, '202': 2, '203': 0 } } }), call, expect: hunt(['203', '201', '202'], 20, '100', vm('600')) },
  { name: 'least-worked hunt without counts keeps the order', model: groups([G('least-worked-hunt')]), state: REG, call, expect: hunt(MEMBERS, 20, '100', vm('600')) },
  { name: 'least-worked hunt counts a missing member as 0', model: groups([G('least-worked-hunt')]), state: with_({ answered: { '600': { '201': 1, '203': 1 } } }), call, expect: hunt(['202', '201', '203'], 20, '100', vm('600')) },
  { name: 'least-worked hunt ignores another group’s counts', model: groups([G('least-worked-hunt')]), state: with_({ answered: { '601': { '201': 9 } } }), call, expect: hunt(MEMBERS, 20, '100', vm('600')) },
  { name: 'least-worked hunt skips an unregistered least-worked member', model: groups([G('least-worked-hunt')]), state: state({ registered: ['201', '203'], answered: { '600': { '202': 0, '201': 4, '203': 2 } } }), call, expect: hunt(['203', '201'], 20, '100', vm('600')) },
];

const dest = (g: RingGroup): RoutingModel => groups([g, group('601', ['203'], { noAnswer: toQueue('8001') })]);
const DESTINATION_CASES: Case[] = [
  { name: 'no answer → an extension, with that extension’s forwarding', model: dest(G('ring-all', { noAnswer: toExt('100') })), state: REG, call: internal('202', '600'), expect: all(MEMBERS, ring(['100'], 10, '202', vm('100')), 20, '202') },
  { name: 'no answer → another ring group', model: dest(G('ring-all', { noAnswer: toGroup('601') })), state: REG, call, expect: all(MEMBERS, ring(['203'], 20, '100', queue('8001'), queue('8001'), '601')) },
  { name: 'no answer → the same group is a loop', model: dest(G('ring-all', { noAnswer: toGroup('600') })), state: REG, call, expect: all(MEMBERS, rej('forward-loop')) },
  { name: 'no answer → an external number, with the caller’s number', model: dest(G('prioritized-hunt', { members: ['201'], noAnswer: toExternal('0612345678') })), state: REG, call: external('0155555555', '0140000600'), expect: ring(['201'], 20, '0155555555', out('itsp-b', '0612345678', '0155555555', rej('no-route'), 'national'), out('itsp-b', '0612345678', '0155555555', rej('no-route'), 'national'), '600') },
  { name: 'no answer → end call', model: dest(G('ring-all', { noAnswer: END })), state: REG, call, expect: all(MEMBERS, rej('end-call')) },
  { name: 'no answer → an unknown extension: 404', model: dest(G('ring-all', { noAnswer: toExt('199') })), state: REG, call, expect: all(MEMBERS, rej('unknown-number')) },
  { name: 'an external caller reaches the group by its DID', model: dest(G('ring-all')), state: REG, call: external('0155555555', '0140000600'), expect: all(MEMBERS, vm('600'), 20, '0155555555') },
  { name: 'out of hours → the out-of-hours destination', model: dest(G('ring-all', { outOfHours: toVm('600') })), state: REG, call, now: T.weekend, expect: vm('600') },
  { name: 'out of hours without a destination rings anyway', model: dest(G('ring-all')), state: REG, call, now: T.weekend, expect: all(MEMBERS) },
  { name: 'in office hours the out-of-hours destination is not used', model: dest(G('ring-all', { outOfHours: toVm('600') })), state: REG, call, now: T.parisOpen, expect: all(MEMBERS) },
  { name: 'a break → the break destination', model: dest(G('ring-all', { outOfHours: toVm('600'), onBreak: toQueue('8002') })), state: REG, call, now: T.parisBreak, expect: queue('8002') },
  { name: 'a break without its destination → out of hours', model: dest(G('ring-all', { outOfHours: toVm('600') })), state: REG, call, now: T.parisBreak, expect: vm('600') },
  { name: 'a break with only a break destination', model: dest(G('ring-all', { onBreak: toQueue('8002') })), state: REG, call, now: T.parisBreak, expect: queue('8002') },
  { name: 'a holiday → the holiday destination', model: dest(G('ring-all', { outOfHours: toVm('600'), onHoliday: toQueue('8003') })), state: REG, call, now: T.parisHoliday, expect: queue('8003') },
  { name: 'a holiday without its destination → out of hours', model: dest(G('ring-all', { outOfHours: toVm('600') })), state: REG, call, now: T.parisHoliday, expect: vm('600') },
  { name: 'a holiday overrides the group’s specific office hours', model: dest(G('ring-all', { schedule: { ...ALWAYS_PARIS, holidays: PARIS.holidays }, outOfHours: toVm('600'), onHoliday: toQueue('8003') })), state: REG, call, now: T.parisHoliday, expect: queue('8003') },
  { name: 'the group’s specific office hours beat the global ones (weekend, open)', model: dest(G('ring-all', { schedule: ALWAYS_PARIS, outOfHours: toVm('600') })), state: REG, call, now: T.weekend, expect: all(MEMBERS) },
  { name: 'a group in New York hours is closed at New York 04:00', model: dest(G('ring-all', { schedule: NEW_YORK, outOfHours: toVm('600') })), state: REG, call, now: T.parisOpen, expect: vm('600') },
  { name: 'a group in New York hours is open at New York 14:00', model: dest(G('ring-all', { schedule: NEW_YORK, outOfHours: toVm('600') })), state: REG, call, now: T.nyOpen, expect: all(MEMBERS) },
  { name: 'a group in New York hours on Thanksgiving', model: dest(G('ring-all', { schedule: NEW_YORK, outOfHours: toVm('600'), onHoliday: END })), state: REG, call, now: T.thanksgiving, expect: rej('end-call') },
  { name: 'out of hours → an extension that forwards back to the group is a loop', model: groups([G('ring-all', { outOfHours: toExt('202') })], { extensions: [ext('100'), ext('202', { forwarding: { away: { noAnswerSeconds: 0, internal: toGroup('600'), external: toGroup('600') } } })] }), state: with_({ statuses: { '202': 'away' } }), call, now: T.weekend, expect: rej('forward-loop') },
];

runCases('ring-group strategies', STRATEGY_CASES, 32);
runCases('ring-group destinations', DESTINATION_CASES, 21);
