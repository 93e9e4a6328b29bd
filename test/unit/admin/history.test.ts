import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { History, SampleRing } from '../../../src/admin/index.js';

const T0 = Date.UTC(2026, 0, 1);

test('SampleRing keeps the last `capacity` samples, oldest first, as uPlot columns in Unix seconds', () => {
  const ring = new SampleRing(3, ['rttMs', 'calls']);
  for (let i = 0; i < 5; i++) ring.push(T0 + i * 10_000, { rttMs: 10 + i, calls: i });
  const s = ring.series(10_000);
  assert.equal(ring.size, 3);
  assert.deepEqual(s.t, [T0 / 1000 + 20, T0 / 1000 + 30, T0 / 1000 + 40]);
  assert.deepEqual(s.fields['rttMs'], [12, 13, 14]);
  assert.deepEqual(s.fields['calls'], [2, 3, 4]);
});

test('SampleRing: a missing or non-finite value is null (a gap in the plot)', () => {
  const ring = new SampleRing(4, ['rttMs']);
  const cases: ReadonlyArray<Record<string, number | null>> = [{}, { rttMs: null }, { rttMs: Number.NaN }, { rttMs: Infinity }];
  for (const [i, c] of cases.entries()) ring.push(T0 + i * 1000, c);
  assert.deepEqual(ring.series(1000).fields['rttMs'], [null, null, null, null]);
});

test('SampleRing: a field first seen later has nulls for the samples before it', () => {
  const ring = new SampleRing(3);
  ring.push(T0, { 'branch-1': 1 });
  ring.push(T0 + 10_000, { 'branch-1': 2, 'branch-lyon': 0 });
  assert.deepEqual(ring.series(10_000).fields, { 'branch-1': [1, 2], 'branch-lyon': [null, 0] });
});

test('SampleRing refuses a capacity that holds nothing', () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => new SampleRing(bad, ['x']), RangeError, String(bad));
});

test('History samples at start and every interval on the clock, holds one window, stops at close', async () => {
  const clock = new ManualClock(0, T0);
  let calls = 0;
  const history = new History({ clock, intervalMs: 10_000, windowMs: 60_000, fields: ['calls'], sample: () => ({ calls: calls++ }) });
  history.start();
  await Promise.resolve();
  assert.deepEqual(history.series().fields['calls'], [0]);
  for (let i = 0; i < 9; i++) {
    clock.advance(10_000);
    await Promise.resolve();
  }
  const s = history.series();
  assert.equal(s.t.length, 6, 'one hour at 10 s would be 360; here 60 s / 10 s');
  assert.deepEqual(s.fields['calls'], [4, 5, 6, 7, 8, 9]);
  assert.equal(s.t[5]! - s.t[0]!, 50);
  history.close();
  history.close();
  clock.advance(30_000);
  await Promise.resolve();
  assert.deepEqual(history.series().fields['calls'], [4, 5, 6, 7, 8, 9], 'no sample after close');
});

test('History skips a sample whose reading fails', async () => {
  const clock = new ManualClock(0, T0);
  let n = 0;
  const history = new History({ clock, intervalMs: 1000, windowMs: 10_000, fields: ['v'], sample: () => {
    n++;
    if (n === 2) throw new Error('status unreadable');
    return { v: n };
  } });
  history.start();
  for (let i = 0; i < 2; i++) {
    clock.advance(1000);
    await Promise.resolve();
  }
  assert.deepEqual(history.series().fields['v'], [1, 3]);
  history.close();
});
