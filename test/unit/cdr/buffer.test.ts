/**
 * The agent's CDR buffer (src/cdr/buffer.ts) on a real folder: restart, acknowledgement, dedupe,
 * the two bounds (oldest dropped first, counted, logged), what a cut write leaves, bad records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/core/index.js';
import { CdrBuffer, DROP_LOG_EVERY, MAX_RECORD_BYTES } from '../../../src/cdr/index.js';
import type { CdrRecord } from '../../../src/routing/index.js';
import { cdr } from '../../support/cdr-records.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-cdr-buffer-'));
  try {
    await fn(join(dir, 'cdr'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const ids = (records: readonly CdrRecord[]): string[] => records.map((r) => r.id);

test('appended records survive a restart, in order; an ack removes them for good, also from a batch file shared with others', async () => {
  await withDir(async (dir) => {
    const first = await CdrBuffer.open({ dir });
    // Appended together: written as one batch file.
    assert.deepEqual(await Promise.all([0, 1, 2, 3].map((n) => first.append(cdr(n)))), [true, true, true, true]);
    assert.equal(await first.append(cdr(4)), true);
    await first.close();
    assert.equal((await readdir(dir)).filter((n) => n.endsWith('.jsonl')).length, 2);

    const second = await CdrBuffer.open({ dir });
    assert.deepEqual(ids(await second.peek()), ids([0, 1, 2, 3, 4].map((n) => cdr(n))));
    assert.deepEqual(await second.peek(2), [cdr(0), cdr(1)], 'records come back as they were appended');
    assert.equal(await second.ack([cdr(1).id, cdr(4).id, 'never-sent']), 2);
    assert.deepEqual(second.stats().pending, 3);
    await second.close();

    const third = await CdrBuffer.open({ dir });
    assert.deepEqual(ids(await third.peek()), [cdr(0).id, cdr(2).id, cdr(3).id], 'acknowledged records do not come back');
    await third.ack([cdr(0).id, cdr(2).id, cdr(3).id]);
    assert.deepEqual(await readdir(dir), [], 'no file is left once every record is acknowledged');
    assert.deepEqual(third.stats(), { pending: 0, bytes: 0, dropped: 0, unreadable: 0, leftoverTempFiles: 0, duplicates: 0 });
    await third.close();
  });
});

test('an id already waiting is not appended twice, before or after a restart', async () => {
  await withDir(async (dir) => {
    const b = await CdrBuffer.open({ dir });
    const [a, twin] = await Promise.all([b.append(cdr(7)), b.append(cdr(7))]);
    assert.deepEqual([a, twin], [true, false]);
    await b.close();
    const again = await CdrBuffer.open({ dir });
    assert.equal(await again.append(cdr(7, { caller: '999' })), false);
    assert.deepEqual(await again.peek(), [cdr(7)]);
    assert.equal(again.stats().duplicates, 1);
    await again.ack([cdr(7).id]);
    assert.equal(await again.append(cdr(7)), true, 'once acknowledged, the id may come again (the hub dedupes)');
    await again.close();
  });
});

test('the record bound drops the oldest first, counts and logs it', async () => {
  await withDir(async (dir) => {
    const logs: Record<string, unknown>[] = [];
    const logger = createLogger({ level: 'warn', destination: new Writable({ write: (c: Buffer, _e, done) => { logs.push(JSON.parse(c.toString()) as Record<string, unknown>); done(); } }) });
    const b = await CdrBuffer.open({ dir, maxRecords: 5, logger });
    for (let n = 0; n < 8; n++) await b.append(cdr(n));
    assert.deepEqual(ids(await b.peek()), ids([3, 4, 5, 6, 7].map((n) => cdr(n))));
    assert.equal(b.stats().pending, 5);
    assert.equal(b.stats().dropped, 3);
    const warned = logs.filter((l) => l['msg'] === 'CDR buffer full: the oldest records were dropped');
    assert.deepEqual(warned.map((l) => [l['dropped'], l['totalDropped']]), [[1, 1]], 'the first drop is logged, the next ones counted');
    for (let n = 8; n < 8 + DROP_LOG_EVERY; n++) await b.append(cdr(n));
    assert.equal(b.stats().dropped, 3 + DROP_LOG_EVERY);
    assert.deepEqual(logs.filter((l) => l['msg'] === 'CDR buffer full: the oldest records were dropped').map((l) => l['totalDropped']), [1, DROP_LOG_EVERY]);
    await b.close();
    // A lower bound at the next start applies at once.
    const last = 7 + DROP_LOG_EVERY;
    const smaller = await CdrBuffer.open({ dir, maxRecords: 2 });
    assert.deepEqual(ids(await smaller.peek()), [cdr(last - 1).id, cdr(last).id]);
    assert.equal(smaller.stats().dropped, 3);
    await smaller.close();
  });
});

test('the byte bound drops the oldest first, even out of a batch written together', async () => {
  await withDir(async (dir) => {
    const line = Buffer.byteLength(`${JSON.stringify(cdr(0))}\n`);
    const b = await CdrBuffer.open({ dir, maxBytes: line * 3 + 10 });
    await Promise.all([0, 1, 2, 3, 4].map((n) => b.append(cdr(n))));
    assert.deepEqual(ids(await b.peek()), ids([2, 3, 4].map((n) => cdr(n))));
    assert.ok(b.stats().bytes <= line * 3 + 10);
    assert.equal(b.stats().dropped, 2);
    await b.close();
    const reopened = await CdrBuffer.open({ dir });
    assert.deepEqual(ids(await reopened.peek()), ids([2, 3, 4].map((n) => cdr(n))), 'the drop is on disk too');
    await reopened.close();
  });
});

test('what a cut write leaves is dropped and counted once: a temporary file, a torn line, a line of garbage', async () => {
  await withDir(async (dir) => {
    const b = await CdrBuffer.open({ dir });
    await Promise.all([0, 1].map((n) => b.append(cdr(n))));
    await b.append(cdr(2));
    await b.close();
    const files = (await readdir(dir)).sort();
    assert.equal(files.length, 2);
    const second = join(dir, files[1] ?? '');
    const full = `${JSON.stringify(cdr(3))}\n`;
    await writeFile(second, `${await readFile(second, 'utf8')}${full.slice(0, 40)}`);
    await writeFile(join(dir, 'b-000000000007.jsonl'), `not json\n${JSON.stringify({ id: 'x' })}\n${full}`);
    await writeFile(join(dir, `.b-000000000008.jsonl.${process.pid}.0a1b2c.tmp`), full.slice(0, 20));
    await writeFile(join(dir, 'notes.txt'), 'someone else\'s file stays');

    const reopened = await CdrBuffer.open({ dir });
    assert.deepEqual(ids(await reopened.peek()), ids([0, 1, 2, 3].map((n) => cdr(n))));
    assert.deepEqual({ ...reopened.stats(), bytes: 0 }, { pending: 4, bytes: 0, dropped: 0, unreadable: 3, leftoverTempFiles: 1, duplicates: 0 });
    await reopened.close();
    assert.ok(!(await readdir(dir)).some((n) => n.endsWith('.tmp')));
    assert.ok((await readdir(dir)).includes('notes.txt'));

    const clean = await CdrBuffer.open({ dir });
    assert.equal(clean.stats().unreadable, 0, 'the files were rewritten without the bad lines');
    assert.equal(clean.stats().pending, 4);
    // New batches continue after the highest sequence seen.
    await clean.append(cdr(9));
    assert.ok((await readdir(dir)).includes('b-000000000008.jsonl'));
    await clean.close();
  });
});

const BAD: readonly { name: string; record: unknown }[] = [
  { name: 'an empty id', record: cdr(1, { id: '' }) },
  { name: 'an id of 129 characters', record: cdr(1, { id: 'x'.repeat(129) }) },
  { name: 'an unknown direction', record: cdr(1, { direction: 'sideways' as CdrRecord['direction'] }) },
  { name: 'an unknown endedBy', record: cdr(1, { endedBy: 'nobody' as CdrRecord['endedBy'] }) },
  { name: 'a start time in seconds', record: cdr(1, { startedAt: 1_764_000_000, endedAt: 1_764_000_060 }) },
  { name: 'an end before the start', record: cdr(1, { endedAt: cdr(1).startedAt - 1 }) },
  { name: 'an answer time that is not a time', record: cdr(1, { answeredAt: Number.NaN }) },
  { name: 'a negative talk time', record: cdr(1, { talkSeconds: -1 }) },
  { name: 'a fractional talk time', record: cdr(1, { talkSeconds: 1.5 }) },
  { name: 'a record above 4 KiB', record: cdr(1, { finalDestination: 'x'.repeat(MAX_RECORD_BYTES) }) },
  { name: 'a missing field', record: { ...cdr(1), survival: undefined } },
  { name: 'not an object', record: 'cdr' },
];

test('bad records are refused at append with SBC_ERR_CDR and leave nothing on disk', async () => {
  await withDir(async (dir) => {
    const b = await CdrBuffer.open({ dir });
    for (const row of BAD) {
      await assert.rejects(b.append(row.record as CdrRecord), { code: 'SBC_ERR_CDR' }, row.name);
    }
    assert.equal(b.stats().pending, 0);
    assert.deepEqual(await readdir(dir), []);
    await b.close();
    await assert.rejects(b.append(cdr(1)), { code: 'SBC_ERR_CDR' }, 'a closed buffer takes nothing');
  });
});
