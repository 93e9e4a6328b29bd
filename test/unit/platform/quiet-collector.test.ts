import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ManualClock } from '../../../src/core/index.js';
import { QuietCollector, eventLoopLoad, fullCollection, readHeap, type HeapReading } from '../../../src/platform/index.js';

const MiB = 1024 * 1024;

test('a heap that grew during a load and then stays quiet is collected once, not at every interval', () => {
  const clock = new ManualClock();
  let heap: HeapReading = { used: 15 * MiB, total: 20 * MiB };
  let collections = 0;
  const collector = new QuietCollector({
    clock,
    loopLoad: () => 0.01,
    read: () => heap,
    collect: () => {
      collections++;
      heap = { used: 18 * MiB, total: 24 * MiB };
    },
  });
  collector.start();
  // The load: heap use climbs by megabytes per interval (no collection while busy).
  for (const used of [30, 45, 60]) {
    heap = { used: used * MiB, total: 80 * MiB };
    clock.advance(5_000);
  }
  assert.equal(collections, 0);
  // The load ends: heap use stays put for one interval, the committed heap is 60 MiB above the start.
  clock.advance(5_000);
  assert.equal(collections, 1);
  assert.equal(collector.collections, 1);
  // Quiet afterwards: the heap is within the slack of what the collection left, nothing more to do.
  for (let i = 0; i < 20; i++) clock.advance(5_000);
  assert.equal(collections, 1);
  collector.close();
});

test('V8 giving pages back over several collections: collected again at most once per spacing, until nothing more comes back', () => {
  const clock = new ManualClock();
  let heap: HeapReading = { used: 15 * MiB, total: 20 * MiB };
  // What each collection leaves: 60 → 45 → 38 → 38 MiB committed (live data grew: 30 MiB used).
  const steps = [45, 38, 38, 38];
  const times: number[] = [];
  const collector = new QuietCollector({
    clock,
    loopLoad: () => 0.01,
    read: () => heap,
    collect: () => {
      times.push(clock.now());
      heap = { used: 30 * MiB, total: (steps.shift() ?? 38) * MiB };
    },
  });
  collector.start();
  heap = { used: 50 * MiB, total: 60 * MiB };
  clock.advance(5_000);
  for (let i = 0; i < 60; i++) clock.advance(5_000);
  // 60 → 45 (given back), 45 → 38 (given back), 38 → 38 (nothing: 38 MiB is the idle figure now).
  assert.equal(times.length, 3);
  assert.ok((times[1] ?? 0) - (times[0] ?? 0) >= 20_000 && (times[2] ?? 0) - (times[1] ?? 0) >= 20_000, '20 s apart at least');
  collector.close();
});

test('pages V8 releases only after the collection count as given back: the next busy spell is collected too', () => {
  const clock = new ManualClock();
  let heap: HeapReading = { used: 15 * MiB, total: 20 * MiB };
  let collections = 0;
  const collector = new QuietCollector({
    clock,
    loopLoad: () => 0.01,
    read: () => heap,
    collect: () => {
      collections++;
      // Right after the collection the committed size has not moved; a second later it has.
      heap = { used: 18 * MiB, total: 60 * MiB };
      clock.setTimeout(() => (heap = { used: 18 * MiB, total: 24 * MiB }), 1_000);
    },
  });
  collector.start();
  for (let spell = 1; spell <= 2; spell++) {
    heap = { used: 40 * MiB, total: 60 * MiB };
    clock.advance(5_000);
    for (let i = 0; i < 12; i++) clock.advance(5_000);
    assert.equal(collections, spell, `spell ${spell}`);
  }
  collector.close();
});

test('no collection while the process allocates, nor when the heap never grew past the slack', () => {
  const table: Array<{ name: string; load: number; readings: Array<[used: number, total: number]> }> = [
    // Heap use rising by 2 MiB an interval: busy.
    { name: 'busy', load: 0.01, readings: [[20, 80], [22, 80], [24, 80], [26, 80], [28, 80]] },
    // Heap use fell: a collection of V8's own ran, so the process allocated.
    { name: 'collected by V8 meanwhile', load: 0.01, readings: [[40, 80], [20, 80], [10, 80]] },
    // Quiet, but committed only 6 MiB above the start (slack 8 MiB).
    { name: 'quiet, small heap', load: 0.01, readings: [[16, 26], [16, 26], [16, 26], [16, 26]] },
    // The heap reads as quiet (a reading right after each of V8's own collections) but the event loop works: calls are up.
    { name: 'event loop busy', load: 0.3, readings: [[40, 80], [40, 80], [40, 80], [40, 80]] },
  ];
  for (const row of table) {
    const clock = new ManualClock();
    let heap: HeapReading = { used: 15 * MiB, total: 20 * MiB };
    let collections = 0;
    const collector = new QuietCollector({ clock, loopLoad: () => row.load, read: () => heap, collect: () => collections++ });
    collector.start();
    for (const [used, total] of row.readings) {
      heap = { used: used * MiB, total: total * MiB };
      clock.advance(5_000);
    }
    assert.equal(collections, 0, row.name);
    collector.close();
  }
});

test('close() stops the readings and may be called twice; start() after close() does nothing', () => {
  const clock = new ManualClock();
  let reads = 0;
  const collector = new QuietCollector({ clock, loopLoad: () => 0, read: () => (reads++, { used: MiB, total: MiB }), collect: () => {} });
  collector.start();
  clock.advance(5_000);
  const seen = reads;
  collector.close();
  collector.close();
  collector.start();
  clock.advance(60_000);
  assert.equal(reads, seen);
});

test('eventLoopLoad() reads a share between 0 and 1 of the time since its last call', () => {
  const load = eventLoopLoad();
  const until = Date.now() + 50;
  while (Date.now() < until) {
    // The loop is busy for 50 ms.
  }
  const share = load();
  assert.ok(share > 0.5 && share <= 1, `busy share ${share}`);
});

test('fullCollection() collects garbage in this process without --expose-gc', () => {
  let garbage: unknown[] | undefined = Array.from({ length: 200_000 }, (_, i) => ({ i, text: `garbage ${i}` }));
  const withGarbage = readHeap().used;
  garbage = undefined;
  fullCollection();
  assert.equal(garbage, undefined);
  assert.ok(readHeap().used < withGarbage - 5 * MiB, 'heap use fell by the garbage dropped');
});
