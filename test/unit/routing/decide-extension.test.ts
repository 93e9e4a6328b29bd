// decide() for calls to one extension: statuses, forwarding per status and caller kind, loop
// protection, exceptions, automatic status by office hours (docs/STYLE.md rule 10: a table).
import type { Extension, Forwarding, OutboundRule, RoutingModel } from '../../../src/routing/index.js';
import {
  ALWAYS_PARIS, END, NEW_YORK, T, ext, external, group, internal, ivr, model, out, queue, rej, ring, runCases, state, toExt, toExternal, toGroup, toIvr, toQueue, toVm, vm,
  type Case,
} from './decide-fixtures.js';

const MOBILE: OutboundRule = { name: 'mobile', prefixes: ['06', '07'], lengths: [10], extensions: [], departments: [], routes: [{ trunk: 'itsp-a', strip: 1, prepend: '+33' }] };
const REG = state({ registered: ['100', '101', '102', '103', '104', '105'] });

/** A model with these extensions, every DID going to extension `to` (for external callers). */
function exts(list: readonly Extension[], to = '100', more: Partial<RoutingModel> = {}): RoutingModel {
  return model({
    extensions: list,
    inbound: [{ name: 'all', did: '*', callerMasks: [], destinations: { open: toExt(to), closed: toExt(to) } }],
    outbound: [MOBILE],
    ringGroups: [group('600', ['104', '105'])],
    ...more,
  });
}

const fw = (noAnswerSeconds: number, internalTo: Forwarding['internal'], externalTo: Forwarding['external'] = internalTo): Forwarding => ({ noAnswerSeconds, internal: internalTo, external: externalTo });

const ALICE = ext('100', {
  outboundCallerId: '+33140000100',
  forwarding: {
    available: fw(20, toVm('100'), toExt('102')),
    away: fw(0, toVm('100'), toExternal('0612345678')),
    dnd: fw(0, END, toVm('100')),
    custom1: fw(25, toVm('100')),
    custom2: fw(0, toExt('103')),
  },
});
const BOB = ext('101');
const CAROL = ext('102');
const DAVE = ext('103');
const ERIN = ext('104');
const FRANK = ext('105');
const PEOPLE = [ALICE, BOB, CAROL, DAVE, ERIN, FRANK];
const status = (s: Record<string, 'available' | 'away' | 'dnd' | 'custom1' | 'custom2'>) => state({ ...REG, statuses: s });
const mobileOut = (callerId: string) => out('itsp-a', '+33612345678', callerId, rej('no-route'), 'mobile');

const STATUS_CASES: Case[] = [
  { name: 'available without forwarding rings until the caller hangs up', model: exts([BOB, CAROL]), state: REG, call: internal('102', '101'), expect: ring(['101'], null, '102', rej('no-answer'), rej('busy')) },
  { name: 'available rings for noAnswerSeconds, then the internal target', model: exts(PEOPLE), state: REG, call: internal('101', '100'), expect: ring(['100'], 20, '101', vm('100')) },
  { name: 'available, external caller: rings, then the external target (another extension)', model: exts(PEOPLE), state: REG, call: external('0155555555', '0140000100'), expect: ring(['100'], 20, '0155555555', ring(['102'], null, '0155555555', rej('no-answer'), rej('busy'))) },
  { name: 'custom 1 rings like available, with its own timeout', model: exts(PEOPLE), state: status({ '100': 'custom1' }), call: internal('101', '100'), expect: ring(['100'], 25, '101', vm('100')) },
  { name: 'away forwards at once (internal caller → voicemail)', model: exts(PEOPLE), state: status({ '100': 'away' }), call: internal('101', '100'), expect: vm('100') },
  { name: 'away forwards at once (external caller → mobile with the extension caller ID)', model: exts(PEOPLE), state: status({ '100': 'away' }), call: external('0155555555', '0140000100'), expect: mobileOut('+33140000100') },
  { name: 'dnd, internal caller: end call', model: exts(PEOPLE), state: status({ '100': 'dnd' }), call: internal('101', '100'), expect: rej('end-call') },
  { name: 'dnd, external caller: voicemail', model: exts(PEOPLE), state: status({ '100': 'dnd' }), call: external('0155555555', '0140000100'), expect: vm('100') },
  { name: 'custom 2 forwards at once to another extension', model: exts(PEOPLE), state: status({ '100': 'custom2' }), call: internal('101', '100'), expect: ring(['103'], null, '101', rej('no-answer'), rej('busy')) },
  { name: 'dnd without forwarding: 486', model: exts(PEOPLE), state: status({ '101': 'dnd' }), call: internal('102', '101'), expect: rej('dnd') },
  { name: 'away without forwarding: 480', model: exts(PEOPLE), state: status({ '101': 'away' }), call: internal('102', '101'), expect: rej('unavailable') },
  { name: 'custom 2 without forwarding: 480', model: exts(PEOPLE), state: status({ '101': 'custom2' }), call: internal('102', '101'), expect: rej('unavailable') },
  { name: 'custom 1 without forwarding rings until hang-up', model: exts(PEOPLE), state: status({ '101': 'custom1' }), call: internal('102', '101'), expect: ring(['101'], null, '102', rej('no-answer'), rej('busy')) },
  { name: 'a disabled extension: 480', model: exts([BOB, ext('109', { enabled: false })]), state: REG, call: internal('101', '109'), expect: rej('disabled') },
  { name: 'a disabled extension is 480 even with forwarding', model: exts([BOB, { ...ALICE, enabled: false }]), state: REG, call: internal('101', '100'), expect: rej('disabled') },
  { name: 'an unknown internal number without an outbound rule: 404', model: exts(PEOPLE, '100', { outbound: [] }), state: REG, call: internal('101', '199'), expect: rej('no-outbound-rule') },
  { name: 'not registered, no forwarding: 480', model: exts(PEOPLE), state: state(), call: internal('102', '101'), expect: rej('not-registered') },
  { name: 'not registered forwards at once', model: exts(PEOPLE), state: state({ registered: ['101'] }), call: internal('101', '100'), expect: vm('100') },
  { name: 'busy forwards at once', model: exts(PEOPLE), state: state({ ...REG, busy: ['100'] }), call: internal('101', '100'), expect: vm('100') },
  { name: 'busy without forwarding: 486', model: exts(PEOPLE), state: state({ ...REG, busy: ['101'] }), call: internal('102', '101'), expect: rej('busy') },
  { name: 'busy matters only to ringing statuses: away still forwards', model: exts(PEOPLE), state: state({ ...REG, busy: ['100'], statuses: { '100': 'away' } }), call: internal('101', '100'), expect: vm('100') },
  { name: 'an internal caller that is a disabled extension: 403', model: exts([BOB, ext('109', { enabled: false })]), state: REG, call: internal('109', '101'), expect: rej('caller-disabled') },
  { name: 'an internal caller on the blacklist: 603', model: exts(PEOPLE, '100', { blacklist: ['101'] }), state: REG, call: internal('101', '100'), expect: rej('blacklisted') },
  { name: 'calling oneself rings oneself', model: exts([BOB]), state: REG, call: internal('101', '101'), expect: ring(['101'], null, '101', rej('no-answer'), rej('busy')) },
];

const away = (number: string, to: Forwarding): Extension => ext(number, { forwarding: { away: to } });
const CHAIN_CASES: Case[] = [
  { name: 'chain: away → away → voicemail of the last', model: exts([away('100', fw(0, toExt('101'))), away('101', fw(0, toExt('102'))), away('102', fw(0, toVm('102')))]), state: status({ '100': 'away', '101': 'away', '102': 'away' }), call: internal('103', '100'), expect: vm('102') },
  { name: 'chain: away → available rings the second', model: exts([away('100', fw(0, toExt('101'))), BOB]), state: status({ '100': 'away' }), call: internal('103', '100'), expect: ring(['101'], null, '103', rej('no-answer'), rej('busy')) },
  { name: 'loop of two ends the call', model: exts([away('100', fw(0, toExt('101'))), away('101', fw(0, toExt('100')))]), state: status({ '100': 'away', '101': 'away' }), call: internal('103', '100'), expect: rej('forward-loop') },
  { name: 'a forward to oneself is a loop', model: exts([away('100', fw(0, toExt('100')))]), state: status({ '100': 'away' }), call: internal('103', '100'), expect: rej('forward-loop') },
  { name: 'loop of three ends the call', model: exts([away('100', fw(0, toExt('101'))), away('101', fw(0, toExt('102'))), away('102', fw(0, toExt('100')))]), state: status({ '100': 'away', '101': 'away', '102': 'away' }), call: internal('103', '100'), expect: rej('forward-loop') },
  {
    name: 'no-answer chain that comes back: ring 100, ring 101, then end',
    model: exts([ext('100', { forwarding: { available: fw(20, toExt('101')) } }), ext('101', { forwarding: { available: fw(15, toExt('100')) } })]),
    state: REG, call: internal('103', '100'),
    expect: ring(['100'], 20, '103', ring(['101'], 15, '103', rej('forward-loop'))),
  },
  { name: 'forward to a ring group', model: exts([away('100', fw(0, toGroup('600'))), ERIN, FRANK]), state: status({ '100': 'away' }), call: internal('103', '100'), expect: ring(['104', '105'], 20, '103', vm('600'), vm('600'), '600') },
  { name: 'forward to a group that forwards back is cut at the extension', model: exts([away('100', fw(0, toGroup('600'))), ERIN, FRANK], '100', { ringGroups: [group('600', ['104'], { noAnswer: toExt('100') })] }), state: status({ '100': 'away' }), call: internal('103', '100'), expect: ring(['104'], 20, '103', rej('forward-loop'), rej('forward-loop'), '600') },
  { name: 'forward to a queue', model: exts([away('100', fw(0, toQueue('8000')))]), state: status({ '100': 'away' }), call: internal('103', '100'), expect: queue('8000') },
  { name: 'forward to an IVR', model: exts([away('100', fw(0, toIvr('7000')))]), state: status({ '100': 'away' }), call: internal('103', '100'), expect: ivr('7000') },
  { name: 'forward to another extension’s voicemail', model: exts([away('100', fw(0, toVm('101'))), BOB]), state: status({ '100': 'away' }), call: internal('103', '100'), expect: vm('101') },
  { name: 'forward to an unknown extension: 404', model: exts([away('100', fw(0, toExt('177')))]), state: status({ '100': 'away' }), call: internal('103', '100'), expect: rej('unknown-number') },
  { name: 'forward to an unknown ring group: 404', model: exts([away('100', fw(0, toGroup('677')))]), state: status({ '100': 'away' }), call: internal('103', '100'), expect: rej('unknown-number') },
  { name: 'forward to a disabled extension: 480', model: exts([away('100', fw(0, toExt('109'))), ext('109', { enabled: false })]), state: status({ '100': 'away' }), call: internal('103', '100'), expect: rej('disabled') },
  { name: 'forward to an external number without outboundCallerId shows the caller', model: exts([away('100', fw(0, toExternal('0612345678')))]), state: status({ '100': 'away' }), call: internal('103', '100'), expect: mobileOut('103') },
  { name: 'forward to an external number no rule admits: 404', model: exts([away('100', fw(0, toExternal('0912345678')))]), state: status({ '100': 'away' }), call: internal('103', '100'), expect: rej('no-outbound-rule') },
  {
    name: 'forward to an external number uses the forwarding extension as the calling extension',
    model: exts([away('100', fw(0, toExternal('0612345678'))), ext('101', { outboundCallerId: '+33100000101' })], '100', { outbound: [{ ...MOBILE, extensions: ['100-100'] }] }),
    state: status({ '100': 'away' }), call: internal('101', '100'),
    expect: out('itsp-a', '+33612345678', '101', rej('no-route'), 'mobile'),
  },
  { name: 'the external leg of a chain keeps the external target', model: exts([away('100', fw(0, toExt('101'), toExt('102'))), away('102', fw(0, toVm('1'), toVm('102')))]), state: status({ '100': 'away', '102': 'away' }), call: external('0155555555', '0140000100'), expect: vm('102') },
];

const wildcard = (caller: string, destination: Extension['exceptions'][number]['destination'], when?: Extension['exceptions'][number]['when']) => (when === undefined ? { caller, destination } : { caller, destination, when });
const MORNING = [{ days: [1, 2, 3, 4, 5], from: 8 * 60, to: 11 * 60 }];

const EXCEPTION_CASES: Case[] = [
  { name: 'an exception with a wildcard beats the status rule', model: exts([{ ...ALICE, exceptions: [wildcard('0044*', toVm('100'))] }]), state: REG, call: external('00442071234567', '0140000100'), expect: vm('100') },
  { name: 'an exception that does not match leaves the status rule', model: exts([{ ...ALICE, exceptions: [wildcard('0044*', toVm('100'))] }, CAROL]), state: REG, call: external('0033155555555', '0140000100'), expect: ring(['100'], 20, '0033155555555', ring(['102'], null, '0033155555555', rej('no-answer'), rej('busy'))) },
  { name: 'exceptions are read top to bottom: the first match wins', model: exts([{ ...ALICE, exceptions: [wildcard('06*', toExt('101')), wildcard('0612*', toVm('100'))] }, BOB]), state: REG, call: external('0612345678', '0140000100'), expect: ring(['101'], null, '0612345678', rej('no-answer'), rej('busy')) },
  { name: 'a later exception matches when the first does not', model: exts([{ ...ALICE, exceptions: [wildcard('07*', toExt('101')), wildcard('0612*', toQueue('8000'))] }]), state: REG, call: external('0612345678', '0140000100'), expect: queue('8000') },
  { name: 'an exception inside its time window (global Paris hours)', model: exts([{ ...ALICE, exceptions: [wildcard('*', toVm('100'), MORNING)] }]), state: REG, call: internal('101', '100'), now: T.parisOpen, expect: vm('100') },
  { name: 'an exception outside its time window is skipped', model: exts([{ ...ALICE, exceptions: [wildcard('*', toVm('100'), MORNING)] }]), state: REG, call: internal('101', '100'), now: T.bothOpen, expect: ring(['100'], 20, '101', vm('100')) },
  { name: 'an exception window read in the department’s zone (New York 04:00: outside)', model: exts([{ ...ALICE, department: 'ny', exceptions: [wildcard('*', toQueue('8000'), MORNING)] }]), state: REG, call: internal('101', '100'), now: T.parisOpen, expect: ring(['100'], 20, '101', vm('100')) },
  { name: 'an exception window read in the department’s zone (New York 10:00: inside)', model: exts([{ ...ALICE, department: 'ny', exceptions: [wildcard('*', toQueue('8000'), [{ days: [1], from: 9 * 60, to: 11 * 60 }])] }]), state: REG, call: internal('101', '100'), now: T.bothOpen, expect: queue('8000') },
  { name: 'an exception window read in the extension’s own zone before the department’s', model: exts([{ ...ALICE, department: 'ny', schedule: { ...ALWAYS_PARIS }, exceptions: [wildcard('*', toQueue('8000'), MORNING)] }]), state: REG, call: internal('101', '100'), now: T.parisOpen, expect: queue('8000') },
  { name: 'an exception beats do not disturb', model: exts([{ ...ALICE, exceptions: [wildcard('101', toExt('102'))] }, CAROL]), state: status({ '100': 'dnd' }), call: internal('101', '100'), expect: ring(['102'], null, '101', rej('no-answer'), rej('busy')) },
  { name: 'an exception to an external number leaves with the extension caller ID', model: exts([{ ...ALICE, exceptions: [wildcard('0155*', toExternal('0612345678'))] }]), state: REG, call: external('0155555555', '0140000100'), expect: mobileOut('+33140000100') },
  { name: 'an exception does not revive a disabled extension', model: exts([{ ...ALICE, enabled: false, exceptions: [wildcard('*', toVm('100'))] }]), state: REG, call: internal('101', '100'), expect: rej('disabled') },
  { name: 'an exception `*` matches every caller', model: exts([{ ...ALICE, exceptions: [wildcard('*', END)] }]), state: REG, call: internal('101', '100'), expect: rej('end-call') },
  { name: 'an exception with a wildcard in the middle', model: exts([{ ...ALICE, exceptions: [wildcard('06*78', toIvr('7000'))] }]), state: REG, call: external('0612345678', '0140000100'), expect: ivr('7000') },
  { name: 'an exception applies even when the phone is not registered', model: exts([{ ...ALICE, exceptions: [wildcard('101', toQueue('8000'))] }]), state: state(), call: internal('101', '100'), expect: queue('8000') },
  { name: 'an exception that forwards back to itself is a loop', model: exts([{ ...ALICE, exceptions: [wildcard('101', toExt('100'))] }]), state: REG, call: internal('101', '100'), expect: rej('forward-loop') },
];

const AUTO = (more: Partial<Extension> = {}): Extension => ({ ...ALICE, autoStatus: true, ...more });
const AUTO_CASES: Case[] = [
  { name: 'auto status in office hours: available, rings', model: exts([AUTO()]), state: REG, call: internal('101', '100'), now: T.parisOpen, expect: ring(['100'], 20, '101', vm('100')) },
  { name: 'auto status at the weekend: away, forwards at once', model: exts([AUTO()]), state: REG, call: internal('101', '100'), now: T.weekend, expect: vm('100') },
  { name: 'auto status in a break: away', model: exts([AUTO()]), state: REG, call: external('0155555555', '0140000100'), now: T.parisBreak, expect: mobileOut('+33140000100') },
  { name: 'auto status on a holiday: away', model: exts([AUTO()]), state: REG, call: internal('101', '100'), now: T.parisHoliday, expect: vm('100') },
  { name: 'auto status switches a manual away back to available in office hours', model: exts([AUTO()]), state: status({ '100': 'away' }), call: internal('101', '100'), now: T.parisOpen, expect: ring(['100'], 20, '101', vm('100')) },
  { name: 'Custom 2 is not switched by office hours', model: exts([AUTO(), DAVE]), state: status({ '100': 'custom2' }), call: internal('101', '100'), now: T.parisOpen, expect: ring(['103'], null, '101', rej('no-answer'), rej('busy')) },
  { name: 'Custom 1 is not switched outside office hours', model: exts([AUTO()]), state: status({ '100': 'custom1' }), call: internal('101', '100'), now: T.weekend, expect: ring(['100'], 25, '101', vm('100')) },
  { name: 'do not disturb is not switched by office hours', model: exts([AUTO()]), state: status({ '100': 'dnd' }), call: internal('101', '100'), now: T.parisOpen, expect: rej('end-call') },
  { name: 'without autoStatus the weekend changes nothing', model: exts([ALICE]), state: REG, call: internal('101', '100'), now: T.weekend, expect: ring(['100'], 20, '101', vm('100')) },
  { name: 'auto status by the department’s hours (New York 04:00: away)', model: exts([AUTO({ department: 'ny' })]), state: REG, call: internal('101', '100'), now: T.parisOpen, expect: vm('100') },
  { name: 'auto status by the department’s hours (New York 14:00: available)', model: exts([AUTO({ department: 'ny' })]), state: REG, call: internal('101', '100'), now: T.nyOpen, expect: ring(['100'], 20, '101', vm('100')) },
  { name: 'auto status by the department’s holiday (Thanksgiving: away)', model: exts([AUTO({ department: 'ny' })]), state: REG, call: internal('101', '100'), now: T.thanksgiving, expect: vm('100') },
  { name: 'auto status: an unknown department falls back to the global hours', model: exts([AUTO({ department: 'nowhere' })]), state: REG, call: internal('101', '100'), now: T.parisOpen, expect: ring(['100'], 20, '101', vm('100')) },
  { name: 'auto status by the extension’s own hours beats the department’s', model: exts([AUTO({ department: 'ny', schedule: ALWAYS_PARIS })]), state: REG, call: internal('101', '100'), now: T.weekend, expect: ring(['100'], 20, '101', vm('100')) },
  { name: 'auto status: morning of a partial-day holiday is available', model: exts([AUTO()]), state: REG, call: internal('101', '100'), now: T.christmasEveMorning, expect: ring(['100'], 20, '101', vm('100')) },
  { name: 'auto status: afternoon of a partial-day holiday is away', model: exts([AUTO()]), state: REG, call: internal('101', '100'), now: T.christmasEveAfternoon, expect: vm('100') },
  { name: 'auto status with New York hours held by the extension itself', model: exts([AUTO({ schedule: NEW_YORK })]), state: REG, call: internal('101', '100'), now: T.nyBreak, expect: vm('100') },
];

const setStatus = (extension: string, s: 'available' | 'away' | 'dnd' | 'custom1' | 'custom2') => ({ kind: 'set-status', extension, status: s }) as const;
const CODE_CASES: Case[] = [
  { name: '*30 sets the caller available', model: exts(PEOPLE), state: status({ '101': 'dnd' }), call: internal('101', '*30'), expect: setStatus('101', 'available') },
  { name: '*31 sets the caller away', model: exts(PEOPLE), state: REG, call: internal('101', '*31'), expect: setStatus('101', 'away') },
  { name: '*32 sets the caller to do not disturb', model: exts(PEOPLE), state: REG, call: internal('102', '*32'), expect: setStatus('102', 'dnd') },
  { name: 'a status code from a disabled extension: 403', model: exts([ext('109', { enabled: false })]), state: REG, call: internal('109', '*31'), expect: rej('caller-disabled') },
  { name: 'a status code from a caller that is no extension is an ordinary number', model: exts(PEOPLE), state: REG, call: internal('lobby', '*31'), expect: rej('no-outbound-rule') },
  { name: 'an unknown star code is an ordinary number', model: exts(PEOPLE), state: REG, call: internal('101', '*39'), expect: rej('no-outbound-rule') },
  { name: '*33 and *34 set Custom 1 and Custom 2 by default', model: exts(PEOPLE), state: REG, call: internal('101', '*34'), expect: setStatus('101', 'custom2') },
  { name: 'a configured code sets Custom 1', model: exts(PEOPLE, '100', { dialCodes: { custom1: '#71' } }), state: REG, call: internal('101', '#71'), expect: setStatus('101', 'custom1') },
  { name: 'the default code a configured one replaced is an ordinary number', model: exts(PEOPLE, '100', { dialCodes: { custom1: '#71' } }), state: REG, call: internal('101', '*33'), expect: rej('no-outbound-rule') },
  { name: 'Available moved to *40: *40 sets it, *30 is an ordinary number', model: exts(PEOPLE, '100', { dialCodes: { available: '*40' } }), state: status({ '101': 'dnd' }), call: internal('101', '*40'), expect: setStatus('101', 'available') },
  { name: 'codes not changed keep their defaults beside a changed one', model: exts(PEOPLE, '100', { dialCodes: { available: '*40' } }), state: REG, call: internal('102', '*32'), expect: setStatus('102', 'dnd') },
  { name: 'a status code from an external caller is an ordinary DID', model: exts(PEOPLE), state: REG, call: external('0155555555', '*31'), expect: ring(['100'], 20, '0155555555', ring(['102'], null, '0155555555', rej('no-answer'), rej('busy'))) },
];

runCases('extension statuses', STATUS_CASES, 24);
runCases('status dial codes', CODE_CASES, 12);
runCases('forwarding chains', CHAIN_CASES, 18);
runCases('forwarding exceptions', EXCEPTION_CASES, 16);
runCases('automatic status', AUTO_CASES, 17);
