import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { matchCallerMask, masksOverlap, parseCallerMask, type CallerMask } from '../../../src/routing/index.js';

function mask(text: string): CallerMask {
  const m = parseCallerMask(text);
  assert.ok(typeof m !== 'string', `${text}: ${String(m)}`);
  return m;
}

/** Matches by definition, written independently of the code under test. */
function matches(m: CallerMask, n: string): boolean {
  if (m.kind === 'range') return n.length === m.low.length && BigInt(n) >= BigInt(m.low) && BigInt(n) <= BigInt(m.high);
  return n.length === m.pattern.length && [...m.pattern].every((c, i) => c === '*' || c === n[i]);
}

test('caller masks that are not masks are refused with a reason', () => {
  const table = ['', 'abc', '0044*a', '+0044*', '100-1000', '200-100', '1-2-3', '-100', '100-', '**-**'];
  for (const text of table) assert.equal(typeof parseCallerMask(text), 'string', text);
});

test('masksOverlap: a table of overlapping and disjoint pairs', () => {
  const table: Array<[string, string, boolean]> = [
    ['0044********', '0033********', false],
    ['0044**********', '00442012345670-00442012345680', true],
    ['0044********', '00442012345670-00442012345680', false],
    ['00442012345681', '00442012345670-00442012345680', false],
    ['00442012345680', '00442012345670-00442012345680', true],
    ['*9', '10-18', false],
    ['*9', '10-19', true],
    ['9*', '10-89', false],
    ['**', '00-00', true],
    ['1*3', '1*4', false],
    ['1*3', '*23', true],
    ['100-199', '199-250', true],
    ['100-198', '199-250', false],
  ];
  for (const [a, b, expected] of table) {
    assert.equal(masksOverlap(mask(a), mask(b)), expected, `${a} / ${b}`);
    assert.equal(masksOverlap(mask(b), mask(a)), expected, `${b} / ${a}`);
  }
});

const digitsOf = (length: number): fc.Arbitrary<string> => fc.array(fc.constantFrom(...'0123456789'), { minLength: length, maxLength: length }).map((d) => d.join(''));
const maskOf = (length: number): fc.Arbitrary<CallerMask> =>
  fc.oneof(
    fc.array(fc.constantFrom(...'0123456789****'), { minLength: length, maxLength: length }).map((c) => mask(c.join(''))),
    fc.tuple(digitsOf(length), digitsOf(length)).map(([x, y]) => mask(x <= y ? `${x}-${y}` : `${y}-${x}`)),
  );

test('property: masksOverlap agrees with trying every number of up to three digits', () => {
  const all = (length: number): string[] => Array.from({ length: 10 ** length }, (_, i) => String(i).padStart(length, '0'));
  // Mostly equal lengths, where the answer is not simply "no".
  const pair = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 })).chain(([la, d]) => fc.tuple(maskOf(la), maskOf(d === 0 ? (la % 3) + 1 : la)));
  let overlapping = 0;
  fc.assert(
    fc.property(pair, ([a, b]) => {
      const length = a.kind === 'range' ? a.low.length : a.pattern.length;
      const text = (m: CallerMask): string => (m.kind === 'pattern' ? m.pattern : `${m.low}-${m.high}`);
      // The definition used here is the one decide() applies to calls (matchCallerMask).
      for (const n of all(length)) assert.equal(matches(a, n), matchCallerMask(text(a), n), `${text(a)} ${n}`);
      const brute = all(length).some((n) => matches(a, n) && matches(b, n));
      if (brute) overlapping++;
      assert.equal(masksOverlap(a, b), brute);
      assert.equal(masksOverlap(b, a), brute);
    }),
    { numRuns: 1000 },
  );
  assert.ok(overlapping > 100 && overlapping < 900, `${overlapping} of 1000 pairs overlap: both answers are exercised`);
});
