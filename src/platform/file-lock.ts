/**
 * A cross-process lock on a state file: `<file>.lock` created with O_CREAT|O_EXCL and holding
 * the owner's pid. The hub process and the `hub add-sbc`/`revoke-sbc` commands both update the
 * SBC list; each update is lock → read → change → atomic write → unlock, so none is lost.
 * A lock left by a process that no longer exists is taken over.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { StateError } from './atomic-file.js';

export interface FileLockOptions {
  /** Give up after this long (default 10 s). */
  readonly timeoutMs?: number;
  /** Poll interval while another process holds the lock (default 20 ms). */
  readonly retryMs?: number;
}

function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return errnoCode(error) === 'EPERM';
  }
}

async function tryAcquire(lockPath: string): Promise<boolean> {
  try {
    const handle = await open(lockPath, 'wx', 0o600);
    try {
      await handle.writeFile(`${process.pid}\n`);
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw new StateError(lockPath, `cannot create the lock (${errnoCode(error) ?? String(error)})`, { cause: error });
    return false;
  }
}

async function removeIfStale(lockPath: string): Promise<void> {
  const text = await readFile(lockPath, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  const pid = Number.parseInt(text.trim(), 10);
  // An empty lock file is one being written right now: not stale.
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid)) {
    await unlink(lockPath).catch(() => undefined);
  }
}

/** Runs `fn` while holding `lockPath`; the lock is released however `fn` ends. */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retryMs = options.retryMs ?? 20;
  const started = performance.now();
  while (!(await tryAcquire(lockPath))) {
    await removeIfStale(lockPath);
    if (performance.now() - started > timeoutMs) {
      throw new StateError(lockPath, `still locked by another process after ${timeoutMs} ms`);
    }
    await sleep(retryMs);
  }
  try {
    return await fn();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}
