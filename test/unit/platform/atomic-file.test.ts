import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateError, ensurePrivateDir, readFileIfExists, withFileLock, writeFileAtomic } from '../../../src/platform/index.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sbc-platform-'));
}

test('writeFileAtomic writes owner-only files in owner-only directories and replaces content whole', async (t) => {
  const dir = await tempDir();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const state = join(dir, 'state', 'hub');
  await ensurePrivateDir(state);
  const file = join(state, 'sbcs.json');
  await writeFileAtomic(file, 'first');
  await writeFileAtomic(file, 'second');
  assert.equal(await readFile(file, 'utf8'), 'second');
  if (process.platform !== 'win32') {
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(state)).mode & 0o777, 0o700);
  }
  assert.deepEqual(await readdir(state), ['sbcs.json'], 'no temporary file is left behind');
  assert.equal(await readFileIfExists(join(state, 'absent')), undefined);
});

test('a failed write leaves the old content and no partial or temporary file', async (t) => {
  const dir = await tempDir();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const target = join(dir, 'target');
  await mkdir(target);
  await writeFile(join(target, 'inside'), 'x');
  // rename(2) of a file over a non-empty directory fails after the data was written and synced.
  await assert.rejects(writeFileAtomic(target, 'new content'), (e: unknown) => e instanceof StateError && e.path === target);
  assert.deepEqual((await readdir(dir)).sort(), ['target']);
  await assert.rejects(writeFileAtomic(join(dir, 'missing-dir', 'f'), 'x'), StateError);
  assert.deepEqual((await readdir(dir)).sort(), ['target']);
});

test('a reader running alongside writers only ever sees a complete old or new content', async (t) => {
  const dir = await tempDir();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'big');
  const contents = ['a', 'b', 'c'].map((c) => c.repeat(512 * 1024));
  await writeFileAtomic(file, contents[0] ?? '');
  let writing = true;
  const seen = new Set<string>();
  const reader = (async () => {
    while (writing) {
      const text = await readFile(file, 'utf8');
      assert.ok(contents.includes(text), `partial content of ${text.length} bytes`);
      seen.add(text.slice(0, 1));
    }
  })();
  for (let i = 0; i < 30; i++) await writeFileAtomic(file, contents[i % 3] ?? '', { durable: i % 2 === 0 });
  writing = false;
  await reader;
  assert.ok(seen.size >= 1);
});

test('withFileLock serializes read-modify-write across callers and takes over a dead owner\'s lock', async (t) => {
  const dir = await tempDir();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'counter');
  const lock = `${file}.lock`;
  await writeFile(file, '0');
  await Promise.all(
    Array.from({ length: 15 }, () =>
      withFileLock(lock, async () => {
        const n = Number(await readFile(file, 'utf8'));
        await new Promise((resolve) => setImmediate(resolve));
        await writeFile(file, String(n + 1));
      }),
    ),
  );
  assert.equal(await readFile(file, 'utf8'), '15');
  assert.equal(await readFileIfExists(lock), undefined, 'the lock is released');
  // A process that has exited cannot hold a lock.
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  await writeFile(lock, `${dead}\n`);
  assert.equal(await withFileLock(lock, () => Promise.resolve('taken over'), { timeoutMs: 2000 }), 'taken over');
  // A live owner (this process, as another caller) keeps it until the timeout.
  await writeFile(lock, `${process.pid}\n`);
  await assert.rejects(withFileLock(lock, () => Promise.resolve(1), { timeoutMs: 50, retryMs: 10 }), /still locked/);
  await assert.rejects(withFileLock(lock, () => Promise.resolve(1), { timeoutMs: 0 }), StateError);
});
