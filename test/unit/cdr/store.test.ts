/**
 * The hub's CDR store (src/cdr/store.ts) and its read-only reader (src/cdr/query.ts) on a real
 * folder: day files, dedupe by id across restarts, retention, a torn tail, and the `cdr/1`
 * messages' negative cases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CdrStore, MAX_BATCH_BYTES, decodeCdrAck, decodeCdrBatch, encodeCdrBatch, parseSince, readCdrStore } from '../../../src/cdr/index.js';
import { T0, cdr } from '../../support/cdr-records.js';

const DAY = 86_400_000;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-cdr-store-'));
  try {
    await fn(join(dir, 'cdr'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function stored(store: CdrStore): Promise<number | undefined> {
  // The count made at open runs in the store's queue; a no-op store() waits for it.
  await store.store([]);
  return store.stats().stored;
}

test('records go to the file of their UTC start day; a second upload of an id is stored once, also after a restart', async () => {
  await withDir(async (dir) => {
    let now = T0 + DAY;
    const store = await CdrStore.open({ dir, now: () => now });
    const late = cdr(1, { id: 'late', startedAt: T0 - 3_600_000 * 11, endedAt: T0 - 3_600_000 * 11 + 1000, answeredAt: T0 - 3_600_000 * 11 + 500, talkSeconds: 0 });
    const first = await store.store([cdr(1), cdr(2), late, cdr(1)]);
    assert.deepEqual(first, { stored: [cdr(1).id, cdr(2).id, 'late'], duplicates: [cdr(1).id], expired: [] });
    assert.deepEqual((await readdir(dir)).sort(), ['2026-12-02.jsonl', '2026-12-03.jsonl']);
    assert.equal(await stored(store), 3);
    await store.close();

    now += 1000;
    const again = await CdrStore.open({ dir, now: () => now });
    assert.equal(await stored(again), 3, 'the count is made from the files at open');
    const second = await again.store([cdr(2), late, cdr(3)]);
    assert.deepEqual(second, { stored: [cdr(3).id], duplicates: [cdr(2).id, 'late'], expired: [] });
    assert.equal(again.stats().stored, 4);
    const lines = (await readFile(join(dir, '2026-12-03.jsonl'), 'utf8')).trim().split('\n');
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as { id: string }).id), [cdr(1).id, cdr(2).id, cdr(3).id]);
    await again.close();
  });
});

test('retention: day files before the window go at open and at prune(); a record that started before it is acknowledged but not kept', async () => {
  await withDir(async (dir) => {
    let now = T0;
    const store = await CdrStore.open({ dir, now: () => now, retentionDays: 2 });
    await store.store([cdr(0), cdr(1, { id: 'two-days-ago', startedAt: T0 - 2 * DAY, endedAt: T0 - 2 * DAY + 1000 })]);
    const old = await store.store([cdr(2, { id: 'too-old', startedAt: T0 - 3 * DAY, endedAt: T0 - 3 * DAY + 1000 })]);
    assert.deepEqual(old, { stored: [], duplicates: [], expired: ['too-old'] });
    assert.deepEqual((await readdir(dir)).sort(), ['2026-12-01.jsonl', '2026-12-03.jsonl']);
    now = T0 + DAY;
    assert.equal(await store.prune(), 1);
    assert.deepEqual(await readdir(dir), ['2026-12-03.jsonl']);
    assert.equal(store.stats().stored, 1);
    await store.close();
    now = T0 + 3 * DAY;
    const later = await CdrStore.open({ dir, now: () => now, retentionDays: 2 });
    assert.deepEqual(await readdir(dir), [], 'an open past the window removes the rest');
    await later.close();
  });
});

test('a torn last line (a crash during an append) is cut at open, so the next append starts a line of its own', async () => {
  await withDir(async (dir) => {
    const now = (): number => T0;
    const store = await CdrStore.open({ dir, now });
    await store.store([cdr(0)]);
    await store.close();
    const file = join(dir, '2026-12-03.jsonl');
    await appendFile(file, JSON.stringify(cdr(1)).slice(0, 50));
    const read = await readCdrStore(dir);
    assert.deepEqual([read.records.map((r) => r.id), read.unreadable], [[cdr(0).id], 1], 'the reader skips the torn line without touching the file');
    const reopened = await CdrStore.open({ dir, now });
    assert.equal(reopened.stats().tornLinesCut, 1);
    assert.deepEqual(await reopened.store([cdr(1)]), { stored: [cdr(1).id], duplicates: [], expired: [] });
    await reopened.close();
    const after = await readCdrStore(dir);
    assert.deepEqual([after.records.map((r) => r.id), after.unreadable], [[cdr(0).id, cdr(1).id], 0]);
  });
});

test('the reader filters by start time, SBC and count, oldest first, and shows a record found twice once', async () => {
  await withDir(async (dir) => {
    const store = await CdrStore.open({ dir, now: () => T0 + DAY });
    await store.store([cdr(0), cdr(1, { agent: 'branch-paris' }), cdr(2), cdr(3, { agent: 'branch-paris' }), cdr(4)]);
    await store.close();
    // A repeated line, as a crash between the write and the acknowledgement could leave it.
    await appendFile(join(dir, '2026-12-03.jsonl'), `${JSON.stringify(cdr(2))}\n`);
    const all = await readCdrStore(dir);
    assert.deepEqual(all.records.map((r) => r.id), [0, 1, 2, 3, 4].map((n) => cdr(n).id));
    assert.deepEqual((await readCdrStore(dir, { since: cdr(2).startedAt })).records.map((r) => r.id), [2, 3, 4].map((n) => cdr(n).id));
    assert.deepEqual((await readCdrStore(dir, { sbc: 'branch-paris' })).records.map((r) => r.id), [cdr(1).id, cdr(3).id]);
    assert.deepEqual((await readCdrStore(dir, { limit: 2 })).records.map((r) => r.id), [cdr(3).id, cdr(4).id]);
    assert.deepEqual(await readCdrStore(join(dir, 'absent')), { records: [], unreadable: 0 });
  });
});

test('--since accepts durations back from now and ISO-8601 dates and times (UTC without a zone)', () => {
  const now = T0;
  const rows: readonly [string, number | undefined][] = [
    ['2h', T0 - 7_200_000],
    ['90s', T0 - 90_000],
    ['7d', T0 - 7 * DAY],
    ['2026-12-01', Date.UTC(2026, 11, 1)],
    ['2026-12-01T08:30', Date.UTC(2026, 11, 1, 8, 30)],
    ['2026-12-01T08:30:15Z', Date.UTC(2026, 11, 1, 8, 30, 15)],
    ['2026-12-01T08:30:15+01:00', Date.UTC(2026, 11, 1, 7, 30, 15)],
    ['yesterday', undefined],
    ['2h30m', undefined],
    ['-2h', undefined],
    ['2026-13-45', undefined],
    ['12/01/2026', undefined],
    ['', undefined],
  ];
  for (const [text, want] of rows) assert.equal(parseSince(text, now), want, text);
});

const BAD_BATCHES: readonly [string, Buffer][] = [
  ['not JSON', Buffer.from('{"records":[')],
  ['a list, not an object', Buffer.from('[]')],
  ['no records list', Buffer.from('{"recs":[]}')],
  ['an empty batch', Buffer.from('{"records":[]}')],
  ['201 records', Buffer.from(JSON.stringify({ records: Array.from({ length: 201 }, (_, i) => cdr(i)) }))],
  ['above the size bound', Buffer.alloc(MAX_BATCH_BYTES + 1, 0x20)],
];

test('malformed batches and acknowledgements are CdrErrors', () => {
  for (const [name, data] of BAD_BATCHES) assert.throws(() => decodeCdrBatch(data), { code: 'SBC_ERR_CDR' }, name);
  assert.throws(() => encodeCdrBatch([]), { code: 'SBC_ERR_CDR' });
  assert.deepEqual(decodeCdrBatch(encodeCdrBatch([cdr(1)])).records, [cdr(1)]);
  for (const bad of ['{"acked":"a"}', '{"acked":[1]}', '{"rejected":{}}', 'null', '']) {
    assert.throws(() => decodeCdrAck(Buffer.from(bad)), { code: 'SBC_ERR_CDR' }, bad);
  }
  assert.deepEqual(decodeCdrAck(Buffer.from('{"acked":["a"]}')), { acked: ['a'], rejected: [] });
});

test('a store folder with a file that is not a day file keeps it', async () => {
  await withDir(async (dir) => {
    const store = await CdrStore.open({ dir, now: () => T0 });
    await writeFile(join(dir, 'README'), 'kept');
    await store.prune();
    assert.deepEqual(await readdir(dir), ['README']);
    await store.close();
  });
});
