/**
 * The inbox file's lock after a crash: a writer killed with SIGKILL leaves `phones.json.lock`
 * behind; the next update must not wait for it when its owner is gone (the crash loop of issue 17
 * found `phones approve` refused for 10 s after such a kill), and must wait for a living owner.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SbcError } from '../../../src/core/index.js';
import { commandClock } from '../../../src/cli/phones.js';
import { InboxFile, decide } from '../../../src/pnp/index.js';

/** The pid of a process that has ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

const leftovers: Array<{ name: string; content: string; ageMs: number }> = [
  { name: 'a dead owner\'s pid', content: `${deadPid()}\n`, ageMs: 0 },
  { name: 'an empty lock older than 1 s', content: '', ageMs: 2_000 },
  { name: 'garbage older than 1 s', content: 'x\u0000y', ageMs: 2_000 },
  { name: 'any lock older than 10 s', content: `${process.ppid}\n`, ageMs: 11_000 },
];

for (const leftover of leftovers) {
  test(`an update takes over a lock left behind: ${leftover.name}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pnp-inbox-lock-'));
    try {
      const file = new InboxFile(dir, commandClock);
      const lock = `${file.path}.lock`;
      writeFileSync(lock, leftover.content);
      const seconds = (Date.now() - leftover.ageMs) / 1000;
      utimesSync(lock, seconds, seconds);
      const started = performance.now();
      await file.update((d) => decide(d, '001565000001', 'approved', '100'));
      assert.ok(performance.now() - started < 2_000, 'taken over without waiting for the timeout');
      assert.equal(file.read().phones.length, 1);
      assert.deepEqual(readdirSync(dir).sort(), ['phones.json'], 'no lock or temporary file left');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a lock whose owner is alive is respected, and the lock holds the writer\'s pid while held', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pnp-inbox-lock-'));
  try {
    const file = new InboxFile(dir, commandClock);
    const lock = `${file.path}.lock`;
    let seen = '';
    await file.update((d) => {
      seen = readFileSync(lock, 'utf8');
      return d;
    });
    assert.equal(seen, `${process.pid}\n`);
    writeFileSync(lock, `${process.ppid}\n`);
    await assert.rejects(
      file.update((d) => decide(d, '001565000002', 'approved', '100')),
      (e: unknown) => e instanceof SbcError && e.code === 'SBC_ERR_STATE' && /held by another process/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
