/**
 * The phone inbox on disk: `<state-dir>/phones.json`, mode 0600. Writes are atomic (temp file,
 * fsync, rename, fsync of the directory) so a crash leaves the old or the new file, never half
 * of one. The running responder and the `sbc-agent phones` command both change the file, so
 * every change is read-modify-write under a lock file (`phones.json.lock`). The lock appears with
 * its owner's pid in one step (written to a temporary file, then hard-linked to the lock's name,
 * which fails with EEXIST when it exists), so a kill -9 between create and write cannot leave an
 * empty lock. A lock whose pid names no living process is a crashed writer's and is broken at
 * once; an empty or unreadable one (an older version's) after EMPTY_STALE_LOCK_MS; any lock older
 * than STALE_LOCK_MS.
 */
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, watch, writeFileSync, writeSync, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SbcError, type Clock } from '../core/index.js';

export type PhoneState = 'pending' | 'approved' | 'rejected';

export interface PhoneRecord {
  /** The MAC (12 lower-case hex digits), or `ip:<address>` for a phone that sends none. */
  readonly id: string;
  readonly mac: string | undefined;
  readonly brand: string;
  readonly model: string | undefined;
  readonly firmware: string | undefined;
  readonly userAgent: string | undefined;
  readonly ip: string | undefined;
  /** ISO 8601 times. */
  readonly firstSeen: string | undefined;
  readonly lastSeen: string | undefined;
  readonly state: PhoneState;
  readonly extension: string | undefined;
}

export interface InboxData {
  readonly version: 1;
  readonly phones: PhoneRecord[];
}

export const INBOX_FILE_NAME = 'phones.json';
const STALE_LOCK_MS = 10_000;
const EMPTY_STALE_LOCK_MS = 1_000;
const LOCK_RETRY_MS = 10;
const LOCK_TIMEOUT_MS = 5_000;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Narrows what was read from disk; an entry that does not validate is a typed error. */
export function decodeInbox(text: string, path: string): InboxData {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SbcError('SBC_ERR_STATE', `${path}: not JSON`, { cause: error });
  }
  if (typeof raw !== 'object' || raw === null || !('phones' in raw) || !Array.isArray(raw.phones)) {
    throw new SbcError('SBC_ERR_STATE', `${path}: no phones list`);
  }
  const phones: PhoneRecord[] = [];
  for (const p of raw.phones as unknown[]) {
    if (typeof p !== 'object' || p === null) throw new SbcError('SBC_ERR_STATE', `${path}: a phone entry is not an object`);
    const r = p as Record<string, unknown>;
    const id = str(r['id']);
    const state = str(r['state']);
    if (id === undefined || (state !== 'pending' && state !== 'approved' && state !== 'rejected')) {
      throw new SbcError('SBC_ERR_STATE', `${path}: phone entry without id or with an unknown state`);
    }
    phones.push({
      id, state,
      mac: str(r['mac']), brand: str(r['brand']) ?? 'unknown', model: str(r['model']), firmware: str(r['firmware']),
      userAgent: str(r['userAgent']), ip: str(r['ip']), firstSeen: str(r['firstSeen']), lastSeen: str(r['lastSeen']),
      extension: str(r['extension']),
    });
  }
  return { version: 1, phones };
}

export class InboxFile {
  readonly path: string;
  readonly #clock: Clock;
  #tempCounter = 0;

  constructor(stateDir: string, clock: Clock) {
    this.path = join(stateDir, INBOX_FILE_NAME);
    this.#clock = clock;
  }

  /** The file's content; an empty inbox when there is no file yet. */
  read(): InboxData {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, phones: [] };
      throw error;
    }
    return decodeInbox(text, this.path);
  }

  /** Read, change and write back under the lock; resolves with what was written. */
  async update(change: (data: InboxData) => InboxData): Promise<InboxData> {
    await this.#lock();
    try {
      const next = change(this.read());
      this.#writeAtomic(`${JSON.stringify(next, null, 2)}\n`);
      return next;
    } finally {
      rmSync(this.#lockPath, { force: true });
    }
  }

  /**
   * Calls `onChange` when another process replaces the file (inotify on the directory, since a
   * rename gives the file a new inode). Returns a function that stops watching.
   */
  watch(onChange: () => void): () => void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const name = basename(this.path);
    let watcher: FSWatcher | undefined = watch(dirname(this.path), { persistent: false }, (_event, file) => {
      if (file === name) onChange();
    });
    watcher.on('error', () => undefined);
    return () => {
      watcher?.close();
      watcher = undefined;
    };
  }

  get #lockPath(): string {
    return `${this.path}.lock`;
  }

  async #lock(): Promise<void> {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const started = this.#clock.now();
    for (;;) {
      if (this.#tryLock()) return;
      try {
        if (this.#lockIsStale()) {
          rmSync(this.#lockPath, { force: true });
          continue;
        }
      } catch {
        // The holder released it between our open and our stat: try again.
      }
      if (this.#clock.now() - started > LOCK_TIMEOUT_MS) throw new SbcError('SBC_ERR_STATE', `${this.#lockPath}: held by another process`);
      await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, LOCK_RETRY_MS));
    }
  }

  /** Creates the lock with our pid already in it; false when another holds it. */
  #tryLock(): boolean {
    const temp = `${this.#lockPath}.${process.pid}.${this.#tempCounter++}.new`;
    try {
      writeFileSync(temp, `${process.pid}\n`, { mode: 0o600, flag: 'wx' });
      linkSync(temp, this.#lockPath);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      rmSync(temp, { force: true });
    }
  }

  #lockIsStale(): boolean {
    const age = this.#clock.wallNow() - statSync(this.#lockPath).mtimeMs;
    if (age > STALE_LOCK_MS) return true;
    const pid = Number.parseInt(readFileSync(this.#lockPath, 'utf8').trim(), 10);
    if (!Number.isInteger(pid) || pid <= 0) return age > EMPTY_STALE_LOCK_MS;
    if (pid === process.pid) return false;
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      // EPERM: the process exists but belongs to someone else.
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }

  #writeAtomic(text: string): void {
    const temp = `${this.path}.${process.pid}.${this.#tempCounter++}.tmp`;
    const fd = openSync(temp, 'w', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.path);
    // The rename itself is durable only once the directory entry is on disk.
    const dir = openSync(dirname(this.path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
}
