// decide() for calls that leave by a trunk: outbound rule selection, strip/prepend, routes tried
// in order, `block`, caller IDs, and emergency numbers that nothing blocks (docs/STYLE.md rule 10).
import type { OutboundRule, RoutingModel } from '../../../src/routing/index.js';
import { ALWAYS_PARIS, NEW_YORK, T, ext, internal, model, out, rej, runCases, type Case } from './decide-fixtures.js';

const rule = (name: string, more: Partial<OutboundRule> = {}): OutboundRule => ({ name, prefixes: [], lengths: [], extensions: [], departments: [], routes: [{ trunk: 'itsp-a', strip: 0, prepend: '' }], ...more });
const route = (trunk: string, strip = 0, prepend = '') => ({ trunk, strip, prepend });

const PEOPLE = [
  ext('100', { outboundCallerId: '+33140000100', emergencyCallerId: '+33140000911', department: 'sales' }),
  ext('101', { outboundCallerId: '+33140000101', department: 'support' }),
  ext('115'),
  ext('121', { department: 'sales' }),
  ext('130', { enabled: false, emergencyCallerId: '+33140000930' }),
  ext('15', { outboundCallerId: '+33140000015' }),
];
const rules = (list: readonly OutboundRule[], more: Partial<RoutingModel> = {}): RoutingModel => model({ extensions: PEOPLE, outbound: list, ...more });
const done = rej('no-route');

const SELECTION_CASES: Case[] = [
  { name: 'guide: dial 002345, strip 2, prepend +44 → +442345', model: rules([rule('uk', { prefixes: ['00'], routes: [route('itsp-a', 2, '+44')] })]), call: internal('100', '002345'), expect: out('itsp-a', '+442345', '+33140000100', done, 'uk') },
  {
    name: 'guide: three routes, tried in order when the first two fail',
    model: rules([rule('three', { routes: [route('itsp-a', 1, '+33'), route('itsp-b'), route('itsp-c', 0, '9')] })]),
    call: internal('100', '0612345678'),
    expect: out('itsp-a', '+33612345678', '+33140000100', out('itsp-b', '0612345678', '+33140000100', out('itsp-c', '90612345678', '+33140000100', done, 'three'), 'three'), 'three'),
  },
  {
    name: 'routes beyond the third are ignored',
    model: rules([rule('four', { routes: [route('itsp-a'), route('itsp-b'), route('itsp-c'), route('local-a')] })]),
    call: internal('100', '0612345678'),
    expect: out('itsp-a', '0612345678', '+33140000100', out('itsp-b', '0612345678', '+33140000100', out('itsp-c', '0612345678', '+33140000100', done, 'four'), 'four'), 'four'),
  },
  { name: 'a `block` route: 403', model: rules([rule('premium', { prefixes: ['089'], routes: 'block' })]), call: internal('100', '0899123456'), expect: rej('blocked') },
  { name: 'a rule without routes: 480', model: rules([rule('empty', { routes: [] })]), call: internal('100', '0612345678'), expect: rej('no-route') },
  { name: 'no rule applies: 404', model: rules([rule('uk', { prefixes: ['0044'] })]), call: internal('100', '0612345678'), expect: rej('no-outbound-rule') },
  { name: 'no rules at all: 404', model: rules([]), call: internal('100', '0612345678'), expect: rej('no-outbound-rule') },
  { name: 'the first rule that applies wins over a later, narrower one', model: rules([rule('any'), rule('mobile', { prefixes: ['06'], routes: [route('itsp-b')] })]), call: internal('100', '0612345678'), expect: out('itsp-a', '0612345678', '+33140000100', done, 'any') },
  { name: 'a block for one prefix leaves the others to the next rule', model: rules([rule('premium', { prefixes: ['089'], routes: 'block' }), rule('any', { routes: [route('itsp-b')] })]), call: internal('100', '0612345678'), expect: out('itsp-b', '0612345678', '+33140000100', done, 'any') },
  { name: 'prefixes: the second of a `;` list matches', model: rules([rule('mobile', { prefixes: ['06', '07'] })]), call: internal('100', '0712345678'), expect: out('itsp-a', '0712345678', '+33140000100', done, 'mobile') },
  { name: 'prefixes: none matches, the next rule', model: rules([rule('mobile', { prefixes: ['06', '07'] }), rule('rest', { routes: [route('itsp-c')] })]), call: internal('100', '0112345678'), expect: out('itsp-c', '0112345678', '+33140000100', done, 'rest') },
  { name: 'length: an allowed length', model: rules([rule('ten', { lengths: [10] })]), call: internal('100', '0112345678'), expect: out('itsp-a', '0112345678', '+33140000100', done, 'ten') },
  { name: 'length: one of several', model: rules([rule('short', { lengths: [4, 5, 6] })]), call: internal('100', '36150'), expect: out('itsp-a', '36150', '+33140000100', done, 'short') },
  { name: 'length: another length, the next rule', model: rules([rule('ten', { lengths: [10] }), rule('rest', { routes: [route('itsp-c')] })]), call: internal('100', '011234567'), expect: out('itsp-c', '011234567', '+33140000100', done, 'rest') },
  { name: 'calling extensions: a number in the list', model: rules([rule('some', { extensions: ['101', '100'] })]), call: internal('100', '0612345678'), expect: out('itsp-a', '0612345678', '+33140000100', done, 'some') },
  { name: 'calling extensions: inside a range 100-120', model: rules([rule('range', { extensions: ['100-120'] })]), call: internal('115', '0612345678'), expect: out('itsp-a', '0612345678', '115', done, 'range') },
  { name: 'calling extensions: outside the range, the next rule', model: rules([rule('range', { extensions: ['100-120'] }), rule('rest', { routes: [route('itsp-c')] })]), call: internal('121', '0612345678'), expect: out('itsp-c', '0612345678', '121', done, 'rest') },
  { name: 'calling extensions: outside the range and no other rule: 404', model: rules([rule('range', { extensions: ['100-120'] })]), call: internal('121', '0612345678'), expect: rej('no-outbound-rule') },
  { name: 'departments: the caller’s department is listed', model: rules([rule('sales', { departments: ['sales'] })]), call: internal('121', '0612345678'), expect: out('itsp-a', '0612345678', '121', done, 'sales') },
  { name: 'departments: another department, the next rule', model: rules([rule('sales', { departments: ['sales'] }), rule('rest', { routes: [route('itsp-c')] })]), call: internal('101', '0612345678'), expect: out('itsp-c', '0612345678', '+33140000101', done, 'rest') },
  { name: 'departments: a caller without one, the next rule', model: rules([rule('sales', { departments: ['sales'] }), rule('rest', { routes: [route('itsp-c')] })]), call: internal('115', '0612345678'), expect: out('itsp-c', '0612345678', '115', done, 'rest') },
  { name: 'a caller that is no extension meets only unrestricted rules', model: rules([rule('range', { extensions: ['100-120'] }), rule('rest', { routes: [route('itsp-c')] })]), call: internal('sip-gateway', '0612345678'), expect: out('itsp-c', '0612345678', 'sip-gateway', done, 'rest') },
  { name: 'office hours: a rule applies while open', model: rules([rule('day', { routes: [route('itsp-b')], schedule: ALWAYS_PARIS }), rule('rest')]), call: internal('100', '0612345678'), now: T.weekend, expect: out('itsp-b', '0612345678', '+33140000100', done, 'day') },
  { name: 'office hours: a rule is skipped while closed', model: rules([rule('day', { routes: [route('itsp-b')], schedule: NEW_YORK }), rule('rest')]), call: internal('100', '0612345678'), now: T.parisOpen, expect: out('itsp-a', '0612345678', '+33140000100', done, 'rest') },
  { name: 'office hours: a rule is skipped during a break', model: rules([rule('day', { routes: [route('itsp-b')], schedule: NEW_YORK }), rule('rest')]), call: internal('100', '0612345678'), now: T.nyBreak, expect: out('itsp-a', '0612345678', '+33140000100', done, 'rest') },
  { name: 'office hours: open in New York at 14:00', model: rules([rule('day', { routes: [route('itsp-b')], schedule: NEW_YORK }), rule('rest')]), call: internal('100', '0612345678'), now: T.nyOpen, expect: out('itsp-b', '0612345678', '+33140000100', done, 'day') },
  { name: 'office hours: a blocking rule at night only', model: rules([rule('night block', { routes: 'block', schedule: { ...NEW_YORK, open: [{ days: [0, 1, 2, 3, 4, 5, 6], from: 0, to: 6 * 60 }] } }), rule('rest')]), call: internal('100', '0612345678'), now: T.parisOpen, expect: rej('blocked') },
  { name: 'strip more digits than the number has leaves the prefix alone', model: rules([rule('short', { routes: [route('itsp-a', 9, '+33')] })]), call: internal('100', '1234'), expect: out('itsp-a', '+33', '+33140000100', done, 'short') },
  { name: 'strip 0 and no prepend send the number as dialled', model: rules([rule('plain')]), call: internal('100', '+4420123456'), expect: out('itsp-a', '+4420123456', '+33140000100', done, 'plain') },
  { name: 'each route strips and prepends on its own', model: rules([rule('two', { routes: [route('itsp-a', 1, '+33'), route('itsp-b', 1, '0033')] })]), call: internal('100', '0612345678'), expect: out('itsp-a', '+33612345678', '+33140000100', out('itsp-b', '0033612345678', '+33140000100', done, 'two'), 'two') },
  { name: 'caller ID: an extension without outboundCallerId shows its number', model: rules([rule('any')]), call: internal('115', '0612345678'), expect: out('itsp-a', '0612345678', '115', done, 'any') },
  { name: 'an internal number that is neither extension nor group goes out', model: rules([rule('any')]), call: internal('100', '199'), expect: out('itsp-a', '199', '+33140000100', done, 'any') },
  { name: 'a disabled extension cannot call out: 403', model: rules([rule('any')]), call: internal('130', '0612345678'), expect: rej('caller-disabled') },
];

const BLOCK_ALL = [rule('block everything', { routes: 'block' })];
const em = (trunk: string, number: string, callerId: string, onFailure = done): ReturnType<typeof out> => out(trunk, number, callerId, onFailure, undefined, true);
const EMERGENCY_RULES = [rule('emergency', { prefixes: ['1', '9'], lengths: [2, 3], routes: [route('itsp-a', 0, '+33'), route('itsp-b')] })];

const EMERGENCY_CASES: Case[] = [
  { name: 'guide: an emergency number dialled by an extension whose outbound rule blocks everything', model: rules(BLOCK_ALL), call: internal('100', '112'), expect: em('local-a', '112', '+33140000911') },
  { name: 'emergency with the PBX unreachable leaves by the local trunk', model: rules(BLOCK_ALL), call: internal('100', '112', { pbxReachable: false }), expect: em('local-a', '112', '+33140000911') },
  { name: 'emergency with the PBX reachable: the rule’s trunks, then the local one', model: rules(EMERGENCY_RULES), call: internal('100', '112'), expect: em('itsp-a', '112', '+33140000911', em('itsp-b', '112', '+33140000911', em('local-a', '112', '+33140000911'))) },
  { name: 'emergency with the PBX unreachable: the local trunk only, whatever the rules', model: rules(EMERGENCY_RULES), call: internal('100', '112', { pbxReachable: false }), expect: em('local-a', '112', '+33140000911') },
  { name: 'emergency on a branch without a local trunk, PBX reachable: the rule’s trunks', model: rules(EMERGENCY_RULES), call: internal('100', '911', { agent: 'branch-b' }), expect: em('itsp-a', '911', '+33140000911', em('itsp-b', '911', '+33140000911')) },
  { name: 'emergency on a branch without a local trunk, PBX unreachable: the rule’s trunks', model: rules(EMERGENCY_RULES), call: internal('100', '911', { agent: 'branch-b', pbxReachable: false }), expect: em('itsp-a', '911', '+33140000911', em('itsp-b', '911', '+33140000911')) },
  { name: 'emergency with no trunk at all: 480', model: rules(BLOCK_ALL), call: internal('100', '112', { agent: 'branch-b' }), expect: rej('no-route') },
  { name: 'emergency: the local trunk is not tried twice', model: rules([rule('via local', { routes: [route('local-a'), route('itsp-b')] })]), call: internal('100', '112'), expect: em('local-a', '112', '+33140000911', em('itsp-b', '112', '+33140000911')) },
  { name: 'emergency: the number is sent as dialled, not stripped or prepended', model: rules([rule('national', { routes: [route('itsp-c', 1, '+33')] })]), call: internal('100', '15'), expect: em('itsp-c', '15', '+33140000911', em('local-a', '15', '+33140000911')) },
  { name: 'emergency: an extension without emergency caller ID shows its outbound one', model: rules(BLOCK_ALL), call: internal('101', '112'), expect: em('local-a', '112', '+33140000101') },
  { name: 'emergency: an extension without either caller ID shows its number', model: rules(BLOCK_ALL), call: internal('115', '112'), expect: em('local-a', '112', '115') },
  { name: 'emergency: a disabled extension may still call', model: rules(BLOCK_ALL), call: internal('130', '112'), expect: em('local-a', '112', '+33140000930') },
  { name: 'emergency: a blacklisted caller may still call', model: rules(BLOCK_ALL, { blacklist: ['1*'] }), call: internal('100', '112'), expect: em('local-a', '112', '+33140000911') },
  { name: 'emergency: an emergency number that is also an extension is the emergency', model: rules(BLOCK_ALL), call: internal('100', '15'), expect: em('local-a', '15', '+33140000911') },
  { name: 'emergency: a rule restricted to other extensions still lends its trunks', model: rules([rule('others', { extensions: ['200-299'], routes: [route('itsp-b')] })]), call: internal('100', '112'), expect: em('itsp-b', '112', '+33140000911', em('local-a', '112', '+33140000911')) },
  { name: 'emergency: a rule closed by office hours still lends its trunks', model: rules([rule('day', { schedule: NEW_YORK, routes: [route('itsp-b')] })]), call: internal('100', '112'), now: T.parisOpen, expect: em('itsp-b', '112', '+33140000911', em('local-a', '112', '+33140000911')) },
  { name: 'emergency: a blocking rule before a routed one is passed over', model: rules([rule('block', { routes: 'block' }), rule('any', { routes: [route('itsp-c')] })]), call: internal('100', '112'), expect: em('itsp-c', '112', '+33140000911', em('local-a', '112', '+33140000911')) },
  { name: 'emergency: rules whose prefixes refuse the number lend nothing', model: rules([rule('intl', { prefixes: ['00'], routes: [route('itsp-b')] })]), call: internal('100', '112'), expect: em('local-a', '112', '+33140000911') },
  { name: 'emergency: a caller that is no extension shows its own number', model: rules(BLOCK_ALL), call: internal('lobby-phone', '112'), expect: em('local-a', '112', 'lobby-phone') },
  { name: 'not an emergency: 1120 is an ordinary number and is blocked', model: rules(BLOCK_ALL), call: internal('100', '1120'), expect: rej('blocked') },
];

runCases('outbound rules', SELECTION_CASES, 33);
runCases('emergency numbers', EMERGENCY_CASES, 20);
