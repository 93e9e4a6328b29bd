// The number patterns of routing (wildcards, caller masks, number lists, prefixes), strip/prepend,
// ring order and timed destinations: tables of cases, then fast-check properties against
// reference definitions (docs/STYLE.md rule 10).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  EMPTY_ROUTING_STATE, inNumberList, matchCallerMask, matchCallerMasks, matchPrefixes, matchWildcard, ringOrder, stripPrepend, timedDestination,
  type RingGroup, type RoutingState, type ScheduleState, type TimedDestinations,
} from '../../../src/routing/index.js';

/** Runs a table: one assertion per row, and the table must not be empty. */
function table<A extends unknown[]>(name: string, rows: ReadonlyArray<[...A, boolean]>, fn: (...args: A) => boolean): void {
  test(`${name}: ${rows.length} cases`, () => {
    assert.ok(rows.length >= 5);
    for (const row of rows) {
      const expected = row[row.length - 1];
      const args = row.slice(0, -1) as A;
      assert.equal(fn(...args), expected, `${name}(${args.map((a) => JSON.stringify(a)).join(', ')})`);
    }
  });
}

table<[string, string]>('matchWildcard', [
  ['0044*', '00442071234567', true],
  ['0044*', '0044', true],
  ['0044*', '0033123', false],
  ['*', '', true],
  ['*', 'anonymous', true],
  ['123', '123', true],
  ['123', '1234', false],
  ['123', '12', false],
  ['*678', '0612345678', true],
  ['*678', '0612345679', false],
  ['06*78', '0612345678', true],
  ['06*78', '0678', true],
  ['06*78', '067', false],
  ['0*1*2', '0x1y2', true],
  ['0*1*2', '012', true],
  ['0*1*2', '0212', true],
  ['0*1*2', '0221', false],
  ['a*a', 'a', false],
  ['a*a', 'aa', true],
  ['**', 'x', true],
  ['+33*', '+33612345678', true],
  ['+33*', '0033612345678', false],
], matchWildcard);

table<[string, string]>('matchCallerMask', [
  ['0044********', '004412345678', true],
  ['0044********', '003312345678', false],
  ['0044********', '0044123456789', false],
  ['0044********', '00441234567', false],
  ['0044********', '00441234567a', false],
  ['0044********', '0044+2345678', false],
  ['***', '123', true],
  ['***', '12', false],
  ['1*3', '123', true],
  ['1*3', '1a3', false],
  ['00442012345670-00442012345680', '00442012345670', true],
  ['00442012345670-00442012345680', '00442012345680', true],
  ['00442012345670-00442012345680', '00442012345677', true],
  ['00442012345670-00442012345680', '00442012345681', false],
  ['00442012345670-00442012345680', '00442012345669', false],
  ['00442012345670-00442012345680', '0044201234567', false],
  ['00442012345670-00442012345680', '004420123456700', false],
  ['100-20', '100', false],
  ['100-200', '150', true],
  ['100-200', '15x', false],
  ['', '', true],
  ['', '1', false],
], matchCallerMask);

table<[readonly string[], string]>('matchCallerMasks', [
  [[], 'anything', true],
  [['0033********'], '004412345678', false],
  [['0033********', '0044********'], '004412345678', true],
  [['100-199'], '150', true],
  [['100-199', '2**'], '250', true],
  [['100-199', '2**'], '350', false],
], matchCallerMasks);

table<[readonly string[], string]>('inNumberList', [
  [[], '100', true],
  [['100'], '100', true],
  [['100'], '1000', false],
  [['100-120'], '100', true],
  [['100-120'], '120', true],
  [['100-120'], '115', true],
  [['100-120'], '121', false],
  [['100-120'], '99', false],
  [['100-120'], '1100', false],
  [['100-120'], 'abc', false],
  [['100-120', '200'], '200', true],
  [['100-120', '200'], '201', false],
  [['90-110'], '95', true],
  [['90-110'], '105', true],
  [['-5'], '-5', true],
  [['100-'], '100-', true],
], inNumberList);

table<[readonly string[], string]>('matchPrefixes', [
  [[], '0612345678', true],
  [['06'], '0612345678', true],
  [['06', '07'], '0712345678', true],
  [['06', '07'], '0812345678', false],
  [['00'], '0', false],
  [['+'], '+441234', true],
  [[''], '123', true],
], matchPrefixes);

test('stripPrepend: strip N digits then prepend', () => {
  const rows: Array<[string, number, string, string]> = [
    ['002345', 2, '+44', '+442345'],
    ['0612345678', 1, '+33', '+33612345678'],
    ['0612345678', 0, '', '0612345678'],
    ['0612345678', 0, '9', '90612345678'],
    ['1234', 4, '+33', '+33'],
    ['1234', 9, '', ''],
    ['9001234', 1, '', '001234'],
  ];
  for (const [number, strip, prepend, expected] of rows) assert.equal(stripPrepend(number, { strip, prepend }), expected, `${number} strip ${strip} prepend ${prepend}`);
});

test('timedDestination: break and holiday fall back to closed', () => {
  const q = (n: string) => ({ kind: 'queue', number: n }) as const;
  const full: TimedDestinations = { open: q('1'), closed: q('2'), break: q('3'), holiday: q('4') };
  const bare: TimedDestinations = { open: q('1'), closed: q('2') };
  const rows: Array<[TimedDestinations, ScheduleState, string]> = [
    [full, 'open', '1'], [full, 'closed', '2'], [full, 'break', '3'], [full, 'holiday', '4'],
    [bare, 'open', '1'], [bare, 'closed', '2'], [bare, 'break', '2'], [bare, 'holiday', '2'],
  ];
  for (const [d, s, n] of rows) assert.deepEqual(timedDestination(d, s), q(n), s);
});

test('ringOrder by strategy and state', () => {
  const g = (strategy: RingGroup['strategy']): RingGroup => ({ number: '600', name: 'g', strategy, members: ['1', '2', '3', '4'], ringSeconds: 20, noAnswer: { kind: 'end-call' } });
  const s = (more: Partial<RoutingState>): RoutingState => ({ ...EMPTY_ROUTING_STATE, ...more });
  const rows: Array<[RingGroup['strategy'], RoutingState, string[]]> = [
    ['ring-all', s({ lastRung: { '600': '2' } }), ['1', '2', '3', '4']],
    ['prioritized-hunt', s({ answered: { '600': { '1': 9 } } }), ['1', '2', '3', '4']],
    ['cyclic-hunt', s({}), ['1', '2', '3', '4']],
    ['cyclic-hunt', s({ lastRung: { '600': '1' } }), ['2', '3', '4', '1']],
    ['cyclic-hunt', s({ lastRung: { '600': '3' } }), ['4', '1', '2', '3']],
    ['cyclic-hunt', s({ lastRung: { '600': '4' } }), ['1', '2', '3', '4']],
    ['cyclic-hunt', s({ lastRung: { '600': '9' } }), ['1', '2', '3', '4']],
    ['least-worked-hunt', s({}), ['1', '2', '3', '4']],
    ['least-worked-hunt', s({ answered: { '600': { '1': 3, '2': 2, '3': 1, '4': 0 } } }), ['4', '3', '2', '1']],
    ['least-worked-hunt', s({ answered: { '600': { '1': 1, '3': 1 } } }), ['2', '4', '1', '3']],
    ['least-worked-hunt', s({ answered: { '601': { '1': 5 } } }), ['1', '2', '3', '4']],
  ];
  for (const [strategy, state, expected] of rows) assert.deepEqual(ringOrder(g(strategy), state), expected, `${strategy} ${JSON.stringify(state)}`);
});

// Reference definitions the properties compare against.
const wildcardRegex = (p: string) => new RegExp(`^${p.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
const text = fc.string({ unit: fc.constantFrom('0', '1', '2', '*', '+', 'a'), maxLength: 10 });
const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: min, maxLength: max });

test('property: matchWildcard agrees with the regular expression `*` → `.*`', () => {
  fc.assert(fc.property(text, fc.string({ unit: fc.constantFrom('0', '1', '2', '+', 'a', '*'), maxLength: 12 }), (p, v) => {
    assert.equal(matchWildcard(p, v), wildcardRegex(p).test(v));
  }), { numRuns: 2000 });
});

test('property: a mask made from a number by hiding digits matches it, and nothing of another length', () => {
  fc.assert(fc.property(digits(1, 16), fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }), digits(0, 16), (n, hide, other) => {
    const mask = [...n].map((c, i) => (hide[i] === true ? '*' : c)).join('');
    assert.equal(matchCallerMask(mask, n), true);
    if (other.length !== n.length) assert.equal(matchCallerMask(mask, other), false);
  }));
});

test('property: an equal-length range admits exactly the numbers between its ends', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 12 }).chain((len) => fc.tuple(digits(len, len), digits(len, len), digits(len, len))), ([a, b, x]) => {
    const [low, high] = a <= b ? [a, b] : [b, a];
    assert.equal(matchCallerMask(`${low}-${high}`, x), BigInt(x) >= BigInt(low) && BigInt(x) <= BigInt(high));
  }));
});

test('property: inNumberList with one range agrees with integer comparison', () => {
  fc.assert(fc.property(fc.nat(2000), fc.nat(2000), fc.nat(2500), (a, b, x) => {
    const [low, high] = a <= b ? [a, b] : [b, a];
    assert.equal(inNumberList([`${low}-${high}`], String(x)), x >= low && x <= high);
  }));
});

test('property: stripPrepend keeps the tail of the number after the prefix', () => {
  fc.assert(fc.property(digits(0, 15), fc.nat(20), fc.string({ maxLength: 5 }), (n, strip, prepend) => {
    const r = stripPrepend(n, { strip, prepend });
    assert.ok(r.startsWith(prepend));
    assert.equal(r.length, prepend.length + Math.max(0, n.length - strip));
    assert.ok(n.endsWith(r.slice(prepend.length)));
  }));
});

test('property: matchPrefixes holds exactly when some prefix starts the number', () => {
  fc.assert(fc.property(fc.array(digits(0, 4), { maxLength: 4 }), digits(0, 10), (prefixes, n) => {
    assert.equal(matchPrefixes(prefixes, n), prefixes.length === 0 || prefixes.some((p) => n.slice(0, p.length) === p));
  }));
});
