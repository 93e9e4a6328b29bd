/**
 * The hub's CDR store (`<hub state>/cdr/`): one JSON-lines file per UTC day of the call's start,
 * `YYYY-MM-DD.jsonl`, appended to and kept for `hub.cdr.retentionDays` (default 90).
 *
 * Appends are durable before they are acknowledged (write, fsync; the folder synced when a day
 * file is new): the agent deletes a record only after that. A crash in the middle of an append can
 * leave a torn last line; the store cuts every file back to its last newline when it opens (and
 * after a failed write), so the next append never glues onto it, and the unacknowledged records are
 * sent again by the agent. Readers (`sbc-agent hub cdr`, readCdrStore) skip a torn line.
 *
 * Dedupe by id: a record's day comes from its own start time, so a second upload of the same id
 * always meets the first in the same file. The ids of the few days touched last are kept in memory
 * (MAX_CACHED_DAYS), other days are read when a record for them comes.
 */
import { open, readdir, readFile, stat, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, type Logger } from '../core/index.js';
import { ensurePrivateDir, fsyncDir } from '../platform/index.js';
import type { CdrRecord } from '../routing/index.js';

export const DEFAULT_RETENTION_DAYS = 90;
const DAY_MS = 86_400_000;
/** Day files whose ids stay in memory for the dedupe. */
export const MAX_CACHED_DAYS = 4;
export const DAY_FILE = /^(\d{4}-\d{2}-\d{2})\.jsonl$/;

/** `2026-12-03` for a time in that UTC day. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export interface CdrStoreOptions {
  readonly dir: string;
  readonly retentionDays?: number;
  /** Wall-clock time in epoch ms (the injected clock's wallNow). */
  readonly now: () => number;
  readonly logger?: Logger;
  /** fsync appends (default true). */
  readonly durable?: boolean;
}

export interface CdrStoreResult {
  /** Appended now. */
  readonly stored: readonly string[];
  /** Already in the store: nothing written. */
  readonly duplicates: readonly string[];
  /** Started before the retention window: not kept (it would be removed at once), still acknowledged. */
  readonly expired: readonly string[];
}

export interface CdrStoreStats {
  /** Records in the day files kept; undefined while the count made at open is still running. */
  readonly stored: number | undefined;
  readonly days: number;
  /** Since the hub started: appended, duplicates, expired, torn lines cut off at open. */
  readonly appended: number;
  readonly duplicates: number;
  readonly expired: number;
  readonly tornLinesCut: number;
}

/** Counts the newline bytes of a file without holding it in memory. */
async function countLines(path: string): Promise<number> {
  const handle = await open(path, 'r');
  try {
    let n = 0;
    for await (const chunk of handle.createReadStream() as AsyncIterable<Buffer>) {
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) n++;
    }
    return n;
  } finally {
    await handle.close();
  }
}

export class CdrStore {
  readonly dir: string;
  readonly #retentionDays: number;
  readonly #now: () => number;
  readonly #log: Logger | undefined;
  readonly #durable: boolean;
  /** Day → the ids in its file (most recently used last). */
  readonly #ids = new Map<string, Set<string>>();
  /** Day files written since open, or found at open. */
  readonly #days = new Set<string>();
  #counted: number | undefined;
  #countedSince = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #appended = 0;
  #duplicates = 0;
  #expired = 0;
  #torn = 0;
  #closed = false;

  private constructor(o: CdrStoreOptions) {
    this.dir = o.dir;
    this.#retentionDays = o.retentionDays ?? DEFAULT_RETENTION_DAYS;
    this.#now = o.now;
    this.#log = o.logger;
    this.#durable = o.durable ?? true;
  }

  /** Opens (creating) the store, cuts torn tails, removes expired days; the stored count follows in the background. */
  static async open(o: CdrStoreOptions): Promise<CdrStore> {
    const store = new CdrStore(o);
    await ensurePrivateDir(o.dir);
    await store.prune();
    for (const day of store.#days) await store.#cutTornTail(day);
    if (store.#torn > 0) store.#log?.warn({ tornLines: store.#torn, dir: o.dir }, 'CDR store: a torn last line (a write cut by a crash) was cut off');
    // In the queue: appends wait for the count, so it is exact (a hub start, once).
    void store.#serial(() => store.#countAll());
    return store;
  }

  stats(): CdrStoreStats {
    return {
      stored: this.#counted === undefined ? undefined : this.#counted + this.#countedSince,
      days: this.#days.size,
      appended: this.#appended,
      duplicates: this.#duplicates,
      expired: this.#expired,
      tornLinesCut: this.#torn,
    };
  }

  /** The first day kept: files of earlier days are removed. */
  firstDayKept(): string {
    return utcDay(this.#now() - this.#retentionDays * DAY_MS);
  }

  /** Appends the records not stored yet; resolves once they are on disk. */
  store(records: readonly CdrRecord[]): Promise<CdrStoreResult> {
    return this.#serial(async () => {
      const stored: string[] = [];
      const duplicates: string[] = [];
      const expired: string[] = [];
      const first = this.firstDayKept();
      const byDay = new Map<string, CdrRecord[]>();
      for (const r of records) {
        const day = utcDay(r.startedAt);
        if (day < first) {
          expired.push(r.id);
          continue;
        }
        const ids = await this.#idsOf(day);
        const pending = byDay.get(day) ?? [];
        if (ids.has(r.id) || pending.some((p) => p.id === r.id)) {
          duplicates.push(r.id);
          continue;
        }
        pending.push(r);
        byDay.set(day, pending);
      }
      for (const [day, list] of byDay) {
        await this.#append(day, list);
        const ids = await this.#idsOf(day);
        for (const r of list) {
          ids.add(r.id);
          stored.push(r.id);
        }
      }
      this.#appended += stored.length;
      this.#duplicates += duplicates.length;
      this.#expired += expired.length;
      this.#countedSince += stored.length;
      return { stored, duplicates, expired };
    });
  }

  /** Removes the day files older than the retention; returns how many went. */
  prune(): Promise<number> {
    return this.#serial(async () => {
      const first = this.firstDayKept();
      let removed = 0;
      for (const name of await readdir(this.dir)) {
        const day = DAY_FILE.exec(name)?.[1];
        if (day === undefined) continue;
        if (day >= first) {
          this.#days.add(day);
          continue;
        }
        const path = join(this.dir, name);
        const lines = this.#counted === undefined ? 0 : await countLines(path).catch(() => 0);
        await unlink(path);
        this.#countedSince -= lines;
        this.#days.delete(day);
        this.#ids.delete(day);
        removed++;
      }
      if (removed > 0) {
        if (this.#durable) await fsyncDir(this.dir);
        this.#log?.info({ removed, before: first }, 'CDR store: day files past the retention removed');
      }
      return removed;
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue.catch(() => undefined);
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('the CDR store is closed'));
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #path(day: string): string {
    return join(this.dir, `${day}.jsonl`);
  }

  async #append(day: string, records: readonly CdrRecord[]): Promise<void> {
    const path = this.#path(day);
    const isNew = !this.#days.has(day);
    const handle = await open(path, 'a', 0o600);
    try {
      await handle.writeFile(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
      if (this.#durable) await handle.sync();
    } catch (error) {
      await handle.close().catch(() => undefined);
      // A part of the lines may be there: cut it, so the next append starts on a line of its own.
      await this.#cutTornTail(day).catch(() => undefined);
      throw error;
    }
    await handle.close();
    this.#days.add(day);
    if (isNew && this.#durable) await fsyncDir(this.dir);
  }

  /** The day file's ids, read when the day is not cached; the least recently used day leaves the cache. */
  async #idsOf(day: string): Promise<Set<string>> {
    const cached = this.#ids.get(day);
    if (cached !== undefined) {
      this.#ids.delete(day);
      this.#ids.set(day, cached);
      return cached;
    }
    const ids = new Set<string>();
    if (this.#days.has(day)) {
      const text = await readFile(this.#path(day), 'utf8');
      for (const line of text.split('\n')) {
        if (line === '') continue;
        try {
          const id = (JSON.parse(line) as { id?: unknown }).id;
          if (typeof id === 'string') ids.add(id);
        } catch {
          // A torn line holds no record we acknowledged.
        }
      }
    }
    this.#ids.set(day, ids);
    while (this.#ids.size > MAX_CACHED_DAYS) {
      const oldest = this.#ids.keys().next().value;
      if (oldest === undefined) break;
      this.#ids.delete(oldest);
    }
    return ids;
  }

  async #cutTornTail(day: string): Promise<void> {
    const path = this.#path(day);
    const size = (await stat(path)).size;
    if (size === 0) return;
    const handle = await open(path, 'r');
    let keep = size;
    try {
      // Read backwards to the last newline: a torn line is at most a few KiB.
      const chunk = Buffer.alloc(Math.min(size, 64 * 1024));
      const start = size - chunk.length;
      await handle.read(chunk, 0, chunk.length, start);
      if (chunk[chunk.length - 1] === 10) return;
      const nl = chunk.lastIndexOf(10);
      keep = nl < 0 ? (start === 0 ? 0 : size) : start + nl + 1;
    } finally {
      await handle.close();
    }
    if (keep === size) return;
    await truncate(path, keep);
    this.#torn++;
    this.#ids.delete(day);
  }

  async #countAll(): Promise<void> {
    let n = 0;
    try {
      for (const day of [...this.#days]) n += await countLines(this.#path(day)).catch(() => 0);
      this.#counted = n;
      this.#countedSince = 0;
    } catch (error) {
      this.#log?.warn({ err: describeError(error) }, 'CDR store: cannot count the stored records');
    }
  }
}
