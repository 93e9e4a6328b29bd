/**
 * A cross-process lock on a state file: `<file>.lock` holding the owner's pid. The hub process and
 * the `hub add-sbc`/`revoke-sbc` commands both update the SBC list; each update is lock → read →
 * change → atomic write → unlock, so none is lost.
 *
 * The lock appears with its content in one step: the pid is written to a temporary file first,
 * which is then hard-linked to the lock's name (link(2) fails with EEXIST when the lock exists, and
 * is atomic), so a crash can never leave an empty lock behind. A lock is stale, and taken over,
 * when its pid names no living process, or when it is empty or unreadable and older than
 * EMPTY_STALE_MS (a lock written by an older version that crashed between create and write).
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { errnoCode } from '../core/index.js';
import { StateError } from './atomic-file.js';

export interface FileLockOptions {
  /** Give up after this long (default 10 s). */
  readonly timeoutMs?: number;
  /** Poll interval while another process holds the lock (default 20 ms). */
  readonly retryMs?: number;
}

/** An empty lock older than this is a crash's leftover, not a lock being written. */
export const EMPTY_STALE_MS = 1000;


function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return errnoCode(error) === 'EPERM';
  }
}

function uniqueName(lockPath: string, what: string): string {
  return `${lockPath}.${what}.${process.pid}.${randomBytes(6).toString('hex')}`;
}

async function tryAcquire(lockPath: string): Promise<boolean> {
  const temp = uniqueName(lockPath, 'new');
  try {
    await writeFile(temp, `${process.pid}\n`, { mode: 0o600, flag: 'wx' });
    await link(temp, lockPath);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return false;
    throw new StateError(lockPath, `cannot create the lock (${errnoCode(error) ?? String(error)})`, { cause: error });
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** Why the lock at `lockPath` is stale, or undefined when its owner may still hold it. */
async function staleReason(lockPath: string, now: number): Promise<{ reason: string; ino: number } | undefined> {
  const info = await stat(lockPath).catch(() => undefined);
  if (info === undefined) return undefined;
  const text = await readFile(lockPath, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const pid = Number.parseInt(text.trim(), 10);
  if (Number.isInteger(pid) && pid > 0) {
    return pid !== process.pid && !processAlive(pid) ? { reason: `its owner, pid ${pid}, is gone`, ino: info.ino } : undefined;
  }
  return now - info.mtimeMs > EMPTY_STALE_MS ? { reason: 'it names no owner', ino: info.ino } : undefined;
}

/**
 * Moves a stale lock away. Renaming first (rather than unlinking) lets us check that what we moved
 * is the file we judged, not a fresh lock another process took in between; that one goes back.
 */
async function removeIfStale(lockPath: string): Promise<void> {
  const stale = await staleReason(lockPath, Date.now());
  if (stale === undefined) return;
  const aside = uniqueName(lockPath, 'stale');
  try {
    await rename(lockPath, aside);
  } catch {
    return;
  }
  const moved = await stat(aside).catch(() => undefined);
  if (moved !== undefined && moved.ino !== stale.ino) await link(aside, lockPath).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

/** Runs `fn` while holding `lockPath`; the lock is released however `fn` ends. */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retryMs = options.retryMs ?? 20;
  const started = performance.now();
  while (!(await tryAcquire(lockPath))) {
    await removeIfStale(lockPath);
    if (performance.now() - started > timeoutMs) {
      const owner = (await readFile(lockPath, 'utf8').catch(() => '')).trim();
      throw new StateError(lockPath, `still locked by another process${owner === '' ? '' : ` (pid ${owner})`} after ${timeoutMs} ms; if no sbc-agent command is running, delete the file`);
    }
    await sleep(retryMs);
  }
  try {
    return await fn();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}
