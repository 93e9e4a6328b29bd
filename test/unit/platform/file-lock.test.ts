import { strict as assert } from 'node:assert';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { StateError, readFileIfExists, withFileLock } from '../../../src/platform/index.js';

async function lockIn(t: { after(fn: () => Promise<void>): void }): Promise<{ dir: string; lock: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'file-lock-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return { dir, lock: join(dir, 'sbcs.json.lock') };
}

test('a lock held by this process names its pid, and leaves no file behind when released', async (t) => {
  const { dir, lock } = await lockIn(t);
  const seen = await withFileLock(lock, async () => (await readFileIfExists(lock))?.toString('utf8'));
  assert.equal(seen, `${process.pid}\n`);
  assert.deepEqual(await readdir(dir), [], 'neither the lock nor its temporary file is left');
});

test('an empty lock (a crash between create and write) is taken over once it is older than a second', async (t) => {
  const { lock } = await lockIn(t);
  await writeFile(lock, '');
  const old = new Date(Date.now() - 5000);
  await utimes(lock, old, old);
  assert.equal(await withFileLock(lock, () => Promise.resolve('taken over'), { timeoutMs: 2000 }), 'taken over');
  assert.equal(await readFileIfExists(lock), undefined);
});

test('a fresh empty lock may be one being written: it is waited for, and the error names the file', async (t) => {
  const { lock } = await lockIn(t);
  await writeFile(lock, '');
  await assert.rejects(withFileLock(lock, () => Promise.resolve(1), { timeoutMs: 100, retryMs: 10 }), (error: unknown) => {
    assert.ok(error instanceof StateError);
    assert.equal(error.path, lock);
    assert.match(error.message, /still locked/);
    return true;
  });
});

test('garbage in a lock older than a second counts as no owner', async (t) => {
  const { lock } = await lockIn(t);
  await writeFile(lock, 'not a pid');
  const old = new Date(Date.now() - 5000);
  await utimes(lock, old, old);
  assert.equal(await withFileLock(lock, () => Promise.resolve(2), { timeoutMs: 2000 }), 2);
});
