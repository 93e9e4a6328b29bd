// decide() for calls from a trunk: the blacklist, inbound rules by DID and caller mask, and their
// destinations by office hours (docs/STYLE.md rule 10: a table).
import type { InboundRule, RoutingModel, TimedDestinations } from '../../../src/routing/index.js';
import {
  ALWAYS_PARIS, END, NEW_YORK, PARIS, T, ext, external, group, internal, ivr, model, out, queue, rej, ring, runCases, state, toExt, toExternal, toGroup, toIvr, toQueue, toVm, vm,
  type Case,
} from './decide-fixtures.js';

const DID = '00442012345670';
const rule = (name: string, did: string, callerMasks: readonly string[], destinations: TimedDestinations, more: Partial<InboundRule> = {}): InboundRule => ({ name, did, callerMasks, destinations, ...more });
const always = (d: TimedDestinations['open']): TimedDestinations => ({ open: d, closed: d });

/** The guides' example: one DID, two caller masks, two queues. */
const GUIDE = [rule('uk callers', DID, ['0044********'], always(toQueue('8000'))), rule('french callers', DID, ['0033********'], always(toQueue('9000')))];
const REG = state({ registered: ['100', '101', '102'] });

function rules(list: readonly InboundRule[], more: Partial<RoutingModel> = {}): RoutingModel {
  return model({
    extensions: [ext('100'), ext('101'), ext('102', { enabled: false })],
    ringGroups: [group('600', ['100', '101'])],
    outbound: [{ name: 'national', prefixes: ['0'], lengths: [10], extensions: [], departments: [], routes: [{ trunk: 'itsp-b', strip: 1, prepend: '+33' }] }],
    inbound: list,
    ...more,
  });
}

const MATCH_CASES: Case[] = [
  { name: 'guide: caller 0044… on DID 00442012345670 → queue 8000', model: rules(GUIDE), call: external('004412345678', DID), expect: queue('8000') },
  { name: 'guide: caller 0033… on DID 00442012345670 → queue 9000', model: rules(GUIDE), call: external('003312345678', DID), expect: queue('9000') },
  { name: 'guide: a caller neither mask admits → 404', model: rules(GUIDE), call: external('004912345678', DID), expect: rej('no-inbound-rule') },
  { name: 'guide: a caller one digit too long → 404', model: rules(GUIDE), call: external('0044123456789', DID), expect: rej('no-inbound-rule') },
  { name: 'guide: a caller one digit too short → 404', model: rules(GUIDE), call: external('00441234567', DID), expect: rej('no-inbound-rule') },
  { name: 'guide: `*` admits digits only', model: rules(GUIDE), call: external('00441234567x', DID), expect: rej('no-inbound-rule') },
  { name: 'guide: another DID → 404', model: rules(GUIDE), call: external('004412345678', '00442012345671'), expect: rej('no-inbound-rule') },
  { name: 'a `*` DID takes every other DID', model: rules([...GUIDE, rule('rest', '*', [], always(toVm('100')))]), call: external('004912345678', '0140000000'), expect: vm('100') },
  { name: 'an exact DID beats `*` even when `*` comes first', model: rules([rule('rest', '*', [], always(toVm('100'))), ...GUIDE]), call: external('004412345678', DID), expect: queue('8000') },
  { name: 'an exact DID whose masks refuse the caller falls back to `*`', model: rules([...GUIDE, rule('rest', '*', [], always(toVm('100')))]), call: external('004912345678', DID), expect: vm('100') },
  { name: 'a `*` DID with a caller mask', model: rules([rule('uk anywhere', '*', ['0044********'], always(toIvr('7000')))]), call: external('004412345678', '0140000999'), expect: ivr('7000') },
  { name: 'a `*` DID whose mask refuses the caller → 404', model: rules([rule('uk anywhere', '*', ['0044********'], always(toIvr('7000')))]), call: external('003312345678', '0140000999'), expect: rej('no-inbound-rule') },
  { name: 'a range mask admits a caller inside it', model: rules([rule('range', DID, ['00442012345670-00442012345680'], always(toQueue('8000')))]), call: external('00442012345675', DID), expect: queue('8000') },
  { name: 'a range mask includes its low end', model: rules([rule('range', DID, ['00442012345670-00442012345680'], always(toQueue('8000')))]), call: external('00442012345670', DID), expect: queue('8000') },
  { name: 'a range mask includes its high end', model: rules([rule('range', DID, ['00442012345670-00442012345680'], always(toQueue('8000')))]), call: external('00442012345680', DID), expect: queue('8000') },
  { name: 'a range mask refuses a caller above it', model: rules([rule('range', DID, ['00442012345670-00442012345680'], always(toQueue('8000')))]), call: external('00442012345681', DID), expect: rej('no-inbound-rule') },
  { name: 'a range mask refuses a caller below it', model: rules([rule('range', DID, ['00442012345670-00442012345680'], always(toQueue('8000')))]), call: external('00442012345669', DID), expect: rej('no-inbound-rule') },
  { name: 'a range mask refuses a longer caller', model: rules([rule('range', DID, ['00442012345670-00442012345680'], always(toQueue('8000')))]), call: external('004420123456750', DID), expect: rej('no-inbound-rule') },
  { name: 'one of several masks is enough', model: rules([rule('several', DID, ['0033********', '0044********'], always(toQueue('8000')))]), call: external('004412345678', DID), expect: queue('8000') },
  { name: 'no masks: every caller', model: rules([rule('any', DID, [], always(toQueue('8000')))]), call: external('anonymous', DID), expect: queue('8000') },
  { name: 'rules on one DID are read in order', model: rules([rule('uk', DID, ['0044********'], always(toQueue('8000'))), rule('any', DID, [], always(toQueue('9000')))]), call: external('003312345678', DID), expect: queue('9000') },
  { name: 'a DID equal to an extension number is not a direct dial without a rule', model: rules([]), call: external('0155555555', '100'), expect: rej('no-inbound-rule') },
  { name: 'an emergency number arriving from a trunk is an ordinary DID', model: rules([rule('rest', '*', [], always(toVm('100')))]), call: external('0155555555', '112'), expect: vm('100') },
];

const BLACKLIST_CASES: Case[] = [
  { name: 'a blacklisted caller: 603 before any rule', model: rules(GUIDE, { blacklist: ['004412345678'] }), call: external('004412345678', DID), expect: rej('blacklisted') },
  { name: 'a blacklist wildcard prefix', model: rules(GUIDE, { blacklist: ['0033*'] }), call: external('003312345678', DID), expect: rej('blacklisted') },
  { name: 'a blacklist wildcard leaves other callers', model: rules(GUIDE, { blacklist: ['0033*'] }), call: external('004412345678', DID), expect: queue('8000') },
  { name: 'a blacklist wildcard in the middle', model: rules(GUIDE, { blacklist: ['0044*678'] }), call: external('004412345678', DID), expect: rej('blacklisted') },
  { name: 'a blacklist entry is a whole number, not a prefix', model: rules(GUIDE, { blacklist: ['00441234'] }), call: external('004412345678', DID), expect: queue('8000') },
  { name: 'the anonymous caller on the blacklist', model: rules([rule('any', '*', [], always(toVm('100')))], { blacklist: ['anonymous'] }), call: external('anonymous', DID), expect: rej('blacklisted') },
];

const TIMED: TimedDestinations = { open: toQueue('1'), closed: toQueue('2'), break: toQueue('3'), holiday: toQueue('4') };
const OPEN_CLOSED: TimedDestinations = { open: toQueue('1'), closed: toQueue('2') };
const timed = (d: TimedDestinations, more: Partial<InboundRule> = {}) => rules([rule('timed', DID, [], d, more)]);
const caller = '0155555555';

const HOURS_CASES: Case[] = [
  { name: 'office hours (global Paris): open', model: timed(TIMED), call: external(caller, DID), now: T.parisOpen, expect: queue('1') },
  { name: 'office hours (global Paris): closed in the evening', model: timed(TIMED), call: external(caller, DID), now: T.nyOpen, expect: queue('2') },
  { name: 'office hours (global Paris): closed at the weekend', model: timed(TIMED), call: external(caller, DID), now: T.weekend, expect: queue('2') },
  { name: 'office hours (global Paris): break', model: timed(TIMED), call: external(caller, DID), now: T.parisBreak, expect: queue('3') },
  { name: 'office hours (global Paris): holiday', model: timed(TIMED), call: external(caller, DID), now: T.parisHoliday, expect: queue('4') },
  { name: 'a break without its destination falls back to closed', model: timed(OPEN_CLOSED), call: external(caller, DID), now: T.parisBreak, expect: queue('2') },
  { name: 'a holiday without its destination falls back to closed', model: timed(OPEN_CLOSED), call: external(caller, DID), now: T.parisHoliday, expect: queue('2') },
  { name: 'a partial-day holiday: open in the morning', model: timed(TIMED), call: external(caller, DID), now: T.christmasEveMorning, expect: queue('1') },
  { name: 'a partial-day holiday: holiday in the afternoon', model: timed(TIMED), call: external(caller, DID), now: T.christmasEveAfternoon, expect: queue('4') },
  { name: 'a rule’s own New York hours: closed at New York 04:00', model: timed(TIMED, { schedule: NEW_YORK }), call: external(caller, DID), now: T.parisOpen, expect: queue('2') },
  { name: 'a rule’s own New York hours: open at New York 14:00', model: timed(TIMED, { schedule: NEW_YORK }), call: external(caller, DID), now: T.nyOpen, expect: queue('1') },
  { name: 'a rule’s own New York hours: break at New York 12:00', model: timed(TIMED, { schedule: NEW_YORK }), call: external(caller, DID), now: T.nyBreak, expect: queue('3') },
  { name: 'a rule’s own New York hours: Thanksgiving', model: timed(TIMED, { schedule: NEW_YORK }), call: external(caller, DID), now: T.thanksgiving, expect: queue('4') },
  { name: 'a rule’s own New York hours ignore the Paris holiday', model: timed(TIMED, { schedule: NEW_YORK }), call: external(caller, DID), now: Date.UTC(2026, 4, 1, 15, 0), expect: queue('1') },
  { name: 'a holiday overrides the rule’s specific office hours', model: timed(TIMED, { schedule: { ...ALWAYS_PARIS, holidays: PARIS.holidays } }), call: external(caller, DID), now: T.parisHoliday, expect: queue('4') },
  { name: 'the rule’s specific office hours beat the global ones', model: timed(TIMED, { schedule: ALWAYS_PARIS }), call: external(caller, DID), now: T.weekend, expect: queue('1') },
];

const d = (dest: TimedDestinations['open']) => rules([rule('to', DID, [], always(dest))]);
const DESTINATION_CASES: Case[] = [
  { name: 'destination: an extension rings with the caller’s number', model: d(toExt('100')), state: REG, call: external(caller, DID), expect: ring(['100'], null, caller, rej('no-answer'), rej('busy')) },
  { name: 'destination: a disabled extension → 480', model: d(toExt('102')), state: REG, call: external(caller, DID), expect: rej('disabled') },
  { name: 'destination: an unknown extension → 404', model: d(toExt('199')), state: REG, call: external(caller, DID), expect: rej('unknown-number') },
  { name: 'destination: a ring group', model: d(toGroup('600')), state: REG, call: external(caller, DID), expect: ring(['100', '101'], 20, caller, vm('600'), vm('600'), '600') },
  { name: 'destination: a queue', model: d(toQueue('8000')), call: external(caller, DID), expect: queue('8000') },
  { name: 'destination: an IVR', model: d(toIvr('7000')), call: external(caller, DID), expect: ivr('7000') },
  { name: 'destination: a voicemail box', model: d(toVm('101')), call: external(caller, DID), expect: vm('101') },
  { name: 'destination: an external number leaves with the caller’s number', model: d(toExternal('0612345678')), call: external(caller, DID), expect: out('itsp-b', '+33612345678', caller, rej('no-route'), 'national') },
  { name: 'destination: an external number no rule admits → 404', model: d(toExternal('12345')), call: external(caller, DID), expect: rej('no-outbound-rule') },
  { name: 'destination: end call', model: d(END), call: external(caller, DID), expect: rej('end-call') },
  { name: 'an internal call does not read the inbound rules', model: d(toQueue('8000')), state: REG, call: internal('101', DID), expect: rej('no-outbound-rule') },
];

runCases('inbound rules', MATCH_CASES, 23);
runCases('blacklist', BLACKLIST_CASES, 6);
runCases('inbound office hours', HOURS_CASES, 16);
runCases('inbound destinations', DESTINATION_CASES, 11);
