import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../../src/core/index.js';
import { DEFAULT_TIMER_CONFIG, TransactionLayer, timerValues } from '../../../../src/sip/transaction/index.js';

// RFC 3261 Table 4 and §17.1.1.2, RFC 6026 §8.11 (L, M), with T1 = 500, T2 = 4000, T4 = 5000.
const EXPECTED = {
  UDP: { T2: 4000, A: 500, B: 32_000, C: 180_000, D: 32_000, E: 500, F: 32_000, G: 500, H: 32_000, I: 5000, J: 32_000, K: 5000, L: 32_000, M: 32_000, trying: 200 },
  TCP: { T2: 4000, A: undefined, B: 32_000, C: 180_000, D: 0, E: undefined, F: 32_000, G: undefined, H: 32_000, I: 0, J: 0, K: 0, L: 32_000, M: 32_000, trying: 200 },
};

for (const [transport, expected] of Object.entries(EXPECTED)) {
  test(`timer values over ${transport}`, () => {
    assert.deepEqual(timerValues(DEFAULT_TIMER_CONFIG, transport === 'TCP'), expected);
  });
}

test('timers scale with T1 and T4 from configuration', () => {
  const v = timerValues({ ...DEFAULT_TIMER_CONFIG, T1: 100, T2: 1000, T4: 2000 }, false);
  assert.deepEqual([v.A, v.B, v.E, v.F, v.G, v.H, v.I, v.J, v.K, v.L, v.M], [100, 6400, 100, 6400, 100, 6400, 2000, 6400, 2000, 6400, 6400]);
});

const BAD_CONFIGS: Array<[string, Record<string, number>]> = [
  ['T1 = 0', { T1: 0 }],
  ['negative T4', { T4: -1 }],
  ['T2 below T1', { T1: 5000, T2: 4000 }],
  ['NaN C', { C: Number.NaN }],
];

for (const [name, timers] of BAD_CONFIGS) {
  test(`the transaction layer refuses timer configuration with ${name}`, () => {
    const clock = new ManualClock();
    assert.throws(() => new TransactionLayer({ clock, timers, transport: { send: () => {} }, user: { onRequest: () => {} } }), RangeError);
  });
}
