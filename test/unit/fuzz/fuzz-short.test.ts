/**
 * The short fuzz run of the suite (issue 17: 10,000 inputs per target; `npm run fuzz` runs the long
 * ones): no target may throw anything but its own typed decode error. The runner itself is checked
 * to report what it must: an untyped error, another family's error, and the same input again for
 * the same seed and index.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SbcError } from '../../../src/core/index.js';
import { fuzzTarget, inputAt } from '../../../bench/fuzz/runner.js';
import { TARGETS, TARGET_NAMES, type FuzzTarget } from '../../../bench/fuzz/targets.js';

for (const name of TARGET_NAMES) {
  test(`fuzz ${name}: 10,000 inputs, only typed decode errors`, () => {
    const result = fuzzTarget(TARGETS[name], { iterations: 10_000, seed: 20261203 });
    assert.deepEqual(result.findings.map((f) => `${f.kind} at ${f.index}: ${f.error.split('\n')[0] ?? ''} (input ${f.input.slice(0, 120)})`), []);
    assert.equal(result.accepted + result.refused, 10_000);
    // Mutations must reach past the first check: some inputs decode, some are refused.
    assert.ok(result.accepted > 0, `${name}: no input was accepted`);
    assert.ok(result.refused > 0 || name === 'pnp', `${name}: no input was refused`);
  });
}

const SIP = TARGETS.sip;

const BROKEN: readonly [string, FuzzTarget['run'], RegExp][] = [
  ['a TypeError', (input) => {
    if (input.length % 3 === 0) throw new TypeError('cannot read properties of undefined');
  }, /TypeError/],
  ['another family’s typed error', (input) => {
    if (input.length % 3 === 0) throw new SbcError('SBC_ERR_CONFIG', 'not this decoder’s error');
  }, /SBC_ERR_CONFIG|not this decoder/],
  ['a RangeError from a buffer read', (input) => {
    if (input.length > 0) input.readUInt32BE(input.length);
  }, /RangeError|ERR_OUT_OF_RANGE|out of range/],
];

for (const [what, run, pattern] of BROKEN) {
  test(`the fuzz runner reports ${what} as a finding, with its input`, () => {
    const broken: FuzzTarget = { ...SIP, run };
    const result = fuzzTarget(broken, { iterations: 500, seed: 7 });
    assert.ok(result.findings.length > 0, 'no finding');
    const first = result.findings[0];
    assert.ok(first !== undefined);
    assert.match(first.error, pattern);
    assert.equal(first.input, inputAt(broken, 7, first.index).toString('hex'), 'the input can be replayed from the seed and index');
  });
}

test('the fuzz runner counts a slow input as a finding', () => {
  const slow: FuzzTarget = { ...SIP, run: () => {
    const until = Date.now() + 5;
    while (Date.now() < until) { /* busy: slower than slowMs */ }
  } };
  const result = fuzzTarget(slow, { iterations: 3, seed: 1, slowMs: 1 });
  assert.deepEqual(result.findings.map((f) => f.kind), ['slow', 'slow', 'slow']);
});
