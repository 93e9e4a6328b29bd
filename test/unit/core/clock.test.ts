import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, TypedEmitter } from '../../../src/core/index.js';

test('ManualClock fires timers in due order at their due time', () => {
  const clock = new ManualClock(1000);
  const fired: Array<[string, number]> = [];
  clock.setTimeout(() => fired.push(['b', clock.now()]), 200);
  clock.setTimeout(() => fired.push(['a', clock.now()]), 100);
  clock.setTimeout(() => fired.push(['c', clock.now()]), 200);
  clock.advance(150);
  assert.deepEqual(fired, [['a', 1100]]);
  clock.advance(50);
  assert.deepEqual(fired, [['a', 1100], ['b', 1200], ['c', 1200]]);
  assert.equal(clock.now(), 1200);
  assert.equal(clock.pending, 0);
});

test('ManualClock: cancel, intervals, timers set from callbacks, step', () => {
  const clock = new ManualClock();
  let ticks = 0;
  const every = clock.setInterval(() => ticks++, 10);
  const cancelled = clock.setTimeout(() => assert.fail('cancelled timer fired'), 5);
  cancelled.cancel();
  const chained: number[] = [];
  clock.setTimeout(() => clock.setTimeout(() => chained.push(clock.now()), 7), 3);
  clock.advance(35);
  assert.equal(ticks, 3);
  assert.deepEqual(chained, [10]);
  every.cancel();
  every.cancel();
  clock.advance(100);
  assert.equal(ticks, 3);
  clock.setTimeout(() => chained.push(clock.now()), 1000);
  assert.equal(clock.step(), true);
  assert.deepEqual(chained, [10, 1135]);
  assert.equal(clock.step(), false);
  assert.throws(() => clock.advance(-1), RangeError);
});

test('TypedEmitter isolates a throwing listener and reports it', () => {
  const errors: string[] = [];
  const emitter = new TypedEmitter<{ ping: number }>((event, error) => errors.push(`${event}:${String(error)}`));
  const got: number[] = [];
  emitter.on('ping', () => {
    throw new Error('boom');
  });
  emitter.on('ping', (n) => got.push(n));
  emitter.once('ping', (n) => got.push(n * 10));
  emitter.emit('ping', 1);
  emitter.emit('ping', 2);
  assert.deepEqual(got, [1, 10, 2]);
  assert.deepEqual(errors, ['ping:Error: boom', 'ping:Error: boom']);
  assert.equal(emitter.listenerCount('ping'), 2);
});
