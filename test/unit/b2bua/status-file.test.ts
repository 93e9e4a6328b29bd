/**
 * FileStatusStore: statuses survive a reopen, `available` removes the entry, a damaged or unknown
 * entry is dropped on read, the file is owner-only, and a write that fails is reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStatusStore, type StatusFileIo } from '../../../src/b2bua/index.js';
import { readFileIfExists, writeFileAtomic } from '../../../src/platform/index.js';

/** The wiring the agent uses: src/platform's atomic, owner-only files. */
const fileIo = (path: string): StatusFileIo => ({ path, read: () => readFileIfExists(path), write: (text) => writeFileAtomic(path, text) });

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'b2bua-status-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('set, flush, reopen: the statuses come back; available removes the entry; 0600', async (t) => {
  const path = join(await tempDir(t), 'statuses.json');
  const store = await FileStatusStore.open(fileIo(path));
  assert.deepEqual(store.all(), {});
  store.set('101', 'dnd');
  store.set('102', 'custom1');
  store.set('102', 'available');
  await store.flush();
  assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { '101': 'dnd' });
  if (process.platform !== 'win32') assert.equal((await stat(path)).mode & 0o777, 0o600);
  const again = await FileStatusStore.open(fileIo(path));
  assert.deepEqual(again.all(), { '101': 'dnd' });
});

test('read table: damaged file or unknown values → only the valid entries', async (t) => {
  const dir = await tempDir(t);
  const rows: Array<[string, string, Record<string, string>]> = [
    ['not JSON', '{"101": "dnd"', {}],
    ['an array', '["dnd"]', {}],
    ['unknown status', '{"101": "lunch", "102": "away"}', { '102': 'away' }],
    ['not a string', '{"101": 3, "102": "custom2"}', { '102': 'custom2' }],
  ];
  for (const [name, text, expected] of rows) {
    const path = join(dir, `${name.replace(/ /g, '-')}.json`);
    await writeFile(path, text);
    assert.deepEqual((await FileStatusStore.open(fileIo(path))).all(), expected, name);
  }
});

test('a write that fails is reported with the state error; memory keeps the status', async (t) => {
  const dir = await tempDir(t);
  const errors: unknown[] = [];
  const store = await FileStatusStore.open(fileIo(join(dir, 'missing-dir', 'statuses.json')), (e) => errors.push(e));
  store.set('101', 'away');
  await store.flush();
  assert.equal(errors.length, 1);
  assert.equal((errors[0] as { code?: string }).code, 'SBC_ERR_STATE');
  assert.deepEqual(store.all(), { '101': 'away' });
});
