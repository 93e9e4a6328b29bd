import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chown, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STAGING_DIR, StateError, completeFileSet, probeWritableDir, replaceFileSet } from '../../../src/platform/index.js';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-fileset-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function contents(dir: string): Promise<Record<string, string>> {
  const names = (await readdir(dir)).sort();
  const out: Record<string, string> = {};
  for (const name of names) out[name] = (await stat(join(dir, name))).isDirectory() ? '<dir>' : await readFile(join(dir, name), 'utf8');
  return out;
}

test('replaceFileSet writes a new set, then replaces it whole and leaves other files alone', async (t) => {
  const dir = join(await tempDir(t), 'agent');
  await replaceFileSet(dir, [
    { name: 'a.key', data: 'key 1' },
    { name: 'hub.json', data: 'record 1' },
  ]);
  assert.deepEqual(await contents(dir), { 'a.key': 'key 1', 'hub.json': 'record 1' });
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  assert.equal((await stat(join(dir, 'a.key'))).mode & 0o777, 0o600);
  await writeFile(join(dir, 'status.json'), 'running');
  await replaceFileSet(dir, [
    { name: 'a.key', data: 'key 2' },
    { name: 'hub.json', data: 'record 2' },
  ]);
  assert.deepEqual(await contents(dir), { 'a.key': 'key 2', 'hub.json': 'record 2', 'status.json': 'running' }, 'no stage, no lock left; status.json untouched');
});

test('a replacement cut after its commit point is rolled forward; one cut before it is thrown away', async (t) => {
  const base = await tempDir(t);
  const cases: Array<[string, Record<string, string>, Record<string, string>]> = [
    // staged files (COMMIT last) → what the directory holds after completeFileSet
    ['committed, nothing moved yet', { 'a.key': 'new key', 'hub.json': 'new record', COMMIT: 'a.key\nhub.json\n' }, { 'a.key': 'new key', 'hub.json': 'new record' }],
    ['committed, a.key already moved', { 'hub.json': 'new record', COMMIT: 'a.key\nhub.json\n' }, { 'a.key': 'old key', 'hub.json': 'new record' }],
    ['not committed', { 'a.key': 'new key', 'hub.json': 'new record' }, { 'a.key': 'old key', 'hub.json': 'old record' }],
    ['an empty stage', {}, { 'a.key': 'old key', 'hub.json': 'old record' }],
  ];
  for (const [name, staged, expected] of cases) {
    const dir = join(base, name.replace(/\W+/g, '-'));
    await mkdir(join(dir, STAGING_DIR), { recursive: true });
    await writeFile(join(dir, 'a.key'), 'old key');
    await writeFile(join(dir, 'hub.json'), 'old record');
    for (const [file, data] of Object.entries(staged)) await writeFile(join(dir, STAGING_DIR, file), data);
    assert.equal(await completeFileSet(dir), 'COMMIT' in staged, name);
    assert.deepEqual(await contents(dir), expected, name);
  }
  assert.equal(await completeFileSet(join(base, 'never-made')), false, 'no directory: nothing to do');
});

test('replaceFileSet refuses names that are not plain file names', async (t) => {
  const dir = await tempDir(t);
  for (const name of ['../escape', 'sub/file', '', 'COMMIT']) {
    await assert.rejects(replaceFileSet(dir, [{ name, data: 'x' }]), StateError, JSON.stringify(name));
  }
  assert.deepEqual(await readdir(dir), []);
});

test('probeWritableDir: a directory that takes a file passes and undo removes only what it made', async (t) => {
  const base = await tempDir(t);
  const fresh = join(base, 'state', 'agent');
  const made = await probeWritableDir(fresh);
  assert.equal(made.created, join(base, 'state'));
  assert.deepEqual(await readdir(fresh), [], 'the probe file is gone');
  assert.equal((await stat(fresh)).mode & 0o777, 0o700);
  await made.undo();
  assert.deepEqual(await readdir(base), [], 'both directories it made are removed');

  const existing = await probeWritableDir(base);
  assert.equal(existing.created, undefined);
  await existing.undo();
  assert.ok((await stat(base)).isDirectory(), 'a directory that was there stays');
});

test('probeWritableDir: unwritable places fail with a StateError naming the directory', async (t) => {
  const base = await tempDir(t);
  await writeFile(join(base, 'a-file'), 'not a directory');
  // Tests run as root: modes do not stop root, a regular file in the path does.
  const cases: Array<[string, string, RegExp]> = [
    ['parent is a regular file', join(base, 'a-file', 'agent'), /ENOTDIR|EEXIST/],
    ['grandparent is a regular file', join(base, 'a-file', 'state', 'agent'), /ENOTDIR|EEXIST/],
    ['the path is a regular file', join(base, 'a-file'), /EEXIST|ENOTDIR/],
    ['under /proc', '/proc/sbc-agent-probe', /E[A-Z]+/],
  ];
  for (const [name, dir, code] of cases) {
    await assert.rejects(
      probeWritableDir(dir),
      (e: unknown) => e instanceof StateError && e.path === dir && /cannot write the state directory/.test(e.message) && code.test(e.message),
      name,
    );
  }
  assert.deepEqual((await readdir(base)).sort(), ['a-file'], 'nothing was left behind');
});

test('root replacing the set in a directory another user owns gives the new files to that user', async (t) => {
  const dir = join(await tempDir(t), 'agent');
  await mkdir(dir, { mode: 0o700 });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await chown(dir, 4321, 4322);
  await replaceFileSet(dir, [{ name: 'hub.json', data: 'record' }]);
  const s = await stat(join(dir, 'hub.json'));
  // The suite runs as root (install-test-deps, CI); as another user the files are simply that user's.
  assert.deepEqual([s.uid, s.gid], asRoot ? [4321, 4322] : [process.getuid?.(), process.getgid?.()]);
});
