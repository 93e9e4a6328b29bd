/**
 * The agent's on-disk CDR buffer (`<state>/agent/cdr/`): records wait here until the hub has
 * acknowledged them, across restarts and power cuts.
 *
 * Layout: one small file per batch of appends, `b-<12-digit sequence>.jsonl`, one record per line,
 * written whole with writeFileAtomic (temporary file, fsync, rename, fsync of the folder). After a
 * power cut a batch is therefore either all there or absent; what a cut can leave is a temporary
 * file (`.b-….tmp`), removed at the next open. A line that does not parse or fails the record
 * checks (a disk that returned garbage, a hand edit) is dropped and counted (`unreadable`), and the
 * file rewritten without it, so the count is not made again at every start.
 *
 * Bounded: at most `maxRecords` (default 50,000) and `maxBytes` (default 20 MiB) of records; beyond
 * that the oldest are dropped first, counted (`dropped`) and logged: a branch cut off from its hub
 * for weeks keeps its latest calls, and the disk never fills.
 *
 * Removal happens only in ack() (the hub confirmed) and in the bound: an acknowledged record is
 * gone from disk (file removed or rewritten, folder synced) before ack() resolves, so a restart can
 * neither lose an unacknowledged record nor bring back an acknowledged one. Every change runs one
 * after the other (one queue), so the files always match the in-memory index.
 */
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, type Logger } from '../core/index.js';
import { ensurePrivateDir, fsyncDir, writeFileAtomic } from '../platform/index.js';
import type { CdrRecord } from '../routing/index.js';
import { CdrError, MAX_BATCH_RECORDS, cdrRecordProblem, readCdrLines } from './messages.js';

export const DEFAULT_MAX_RECORDS = 50_000;
export const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;
/** While the buffer stays full, a log line per this many records dropped. */
export const DROP_LOG_EVERY = 100;

const BATCH_FILE = /^b-(\d{12})\.jsonl$/;

export interface CdrBufferOptions {
  /** The buffer's own folder, created owner-only. */
  readonly dir: string;
  readonly maxRecords?: number;
  readonly maxBytes?: number;
  readonly logger?: Logger;
  /**
   * fsync each write (default true). Tests that replay thousands of operations turn it off; the
   * rename still makes each batch all-or-nothing for a process crash, only a power cut differs.
   */
  readonly durable?: boolean;
}

export interface CdrBufferStats {
  /** Records waiting for the hub's acknowledgement. */
  readonly pending: number;
  /** Their size on disk, in bytes. */
  readonly bytes: number;
  /** Dropped by the bound (the oldest first) since this buffer was opened. */
  readonly dropped: number;
  /** Lines found unreadable at open, and temporary files a cut write left. */
  readonly unreadable: number;
  readonly leftoverTempFiles: number;
  /** Appends of an id already waiting: ignored. */
  readonly duplicates: number;
}

interface Entry {
  readonly id: string;
  /** The line's bytes, newline included. */
  readonly bytes: number;
}

interface Batch {
  readonly seq: number;
  readonly path: string;
  entries: Entry[];
}

function batchName(seq: number): string {
  return `b-${String(seq).padStart(12, '0')}.jsonl`;
}

function lineOf(record: CdrRecord): string {
  return `${JSON.stringify(record)}\n`;
}

export class CdrBuffer {
  readonly dir: string;
  readonly #maxRecords: number;
  readonly #maxBytes: number;
  readonly #log: Logger | undefined;
  readonly #durable: boolean;
  readonly #batches: Batch[] = [];
  readonly #byId = new Map<string, Batch>();
  /** Appends not yet written: flushed together into the next batch file. */
  #waiting: { record: CdrRecord; done: (stored: boolean) => void; fail: (error: unknown) => void }[] = [];
  #flushQueued = false;
  #queue: Promise<unknown> = Promise.resolve();
  #nextSeq = 1;
  #bytes = 0;
  #dropped = 0;
  #unreadable = 0;
  #leftovers = 0;
  #duplicates = 0;
  #closed = false;

  private constructor(o: CdrBufferOptions) {
    this.dir = o.dir;
    this.#maxRecords = o.maxRecords ?? DEFAULT_MAX_RECORDS;
    this.#maxBytes = o.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#log = o.logger;
    this.#durable = o.durable ?? true;
  }

  /** Opens (creating it when missing) the buffer and reads back what a previous run left. */
  static async open(o: CdrBufferOptions): Promise<CdrBuffer> {
    const buffer = new CdrBuffer(o);
    await ensurePrivateDir(o.dir);
    await buffer.#load();
    return buffer;
  }

  stats(): CdrBufferStats {
    return { pending: this.#byId.size, bytes: this.#bytes, dropped: this.#dropped, unreadable: this.#unreadable, leftoverTempFiles: this.#leftovers, duplicates: this.#duplicates };
  }

  /** Whether `id` waits for its acknowledgement (written, or being written). */
  has(id: string): boolean {
    return this.#byId.has(id) || this.#waiting.some((w) => w.record.id === id);
  }

  /**
   * Adds a record; resolves true once it is on disk, false when its id already waits (a second
   * append is harmless). A record that fails the checks rejects with a CdrError at once.
   */
  append(record: CdrRecord): Promise<boolean> {
    if (this.#closed) return Promise.reject(new CdrError('the CDR buffer is closed'));
    const problem = cdrRecordProblem(record);
    if (problem !== undefined) return Promise.reject(new CdrError(`CDR refused: ${problem}`));
    if (this.has(record.id)) {
      this.#duplicates++;
      return Promise.resolve(false);
    }
    return new Promise((done, fail) => {
      this.#waiting.push({ record, done, fail });
      if (!this.#flushQueued) {
        this.#flushQueued = true;
        void this.#serial(() => this.#flush());
      }
    });
  }

  /** The oldest waiting records, at most `max`, in the order they were appended. */
  peek(max = MAX_BATCH_RECORDS): Promise<CdrRecord[]> {
    return this.#serial(async () => {
      const out: CdrRecord[] = [];
      for (const batch of this.#batches) {
        if (out.length >= max) break;
        for (const record of await this.#read(batch)) {
          if (out.length >= max) break;
          out.push(record);
        }
      }
      return out;
    });
  }

  /** Removes the records the hub acknowledged (ids not waiting are ignored); resolves once on disk. */
  ack(ids: Iterable<string>): Promise<number> {
    const wanted = [...ids];
    return this.#serial(async () => {
      const hit = new Map<Batch, Set<string>>();
      for (const id of wanted) {
        const batch = this.#byId.get(id);
        if (batch === undefined) continue;
        const set = hit.get(batch) ?? new Set<string>();
        set.add(id);
        hit.set(batch, set);
      }
      let removed = 0;
      for (const [batch, set] of hit) removed += await this.#remove(batch, (e) => set.has(e.id));
      if (hit.size > 0) await this.#syncDir();
      return removed;
    });
  }

  /** Lets the writes under way finish; later appends are refused. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue.catch(() => undefined);
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #flush(): Promise<void> {
    this.#flushQueued = false;
    while (this.#waiting.length > 0) {
      const taken = this.#waiting.splice(0, MAX_BATCH_RECORDS);
      const lines = taken.map((w) => lineOf(w.record));
      const seq = this.#nextSeq++;
      const batch: Batch = { seq, path: join(this.dir, batchName(seq)), entries: [] };
      try {
        await writeFileAtomic(batch.path, lines.join(''), { durable: this.#durable });
      } catch (error) {
        for (const w of taken) w.fail(error);
        continue;
      }
      batch.entries = taken.map((w, i) => ({ id: w.record.id, bytes: Buffer.byteLength(lines[i] ?? '') }));
      this.#add(batch);
      // The records are safe; a bound that cannot be applied now is applied at the next append or start.
      await this.#bound().catch((error: unknown) => this.#log?.error({ err: describeError(error), dir: this.dir }, 'CDR buffer: cannot drop the oldest records'));
      for (const w of taken) w.done(true);
    }
  }

  #add(batch: Batch): void {
    this.#batches.push(batch);
    for (const e of batch.entries) {
      this.#byId.set(e.id, batch);
      this.#bytes += e.bytes;
    }
  }

  /** Drops the oldest records while the buffer is above a bound. */
  async #bound(): Promise<void> {
    let dropped = 0;
    while (this.#byId.size > this.#maxRecords || this.#bytes > this.#maxBytes) {
      const oldest = this.#batches[0];
      if (oldest === undefined) break;
      let excessRecords = this.#byId.size - this.#maxRecords;
      let excessBytes = this.#bytes - this.#maxBytes;
      const drop = new Set<Entry>();
      for (const e of oldest.entries) {
        if (excessRecords <= 0 && excessBytes <= 0) break;
        drop.add(e);
        excessRecords--;
        excessBytes -= e.bytes;
      }
      dropped += await this.#remove(oldest, (e) => drop.has(e));
    }
    if (dropped === 0) return;
    await this.#syncDir();
    const before = this.#dropped;
    this.#dropped += dropped;
    // A full buffer drops at every append: the first drop is logged, then one line per 100.
    if (before === 0 || Math.floor(before / DROP_LOG_EVERY) !== Math.floor(this.#dropped / DROP_LOG_EVERY)) {
      this.#log?.warn({ dropped, totalDropped: this.#dropped, maxRecords: this.#maxRecords, maxBytes: this.#maxBytes }, 'CDR buffer full: the oldest records were dropped');
    }
  }

  /** Removes the entries `which` selects from a batch: the file goes when none is left, else it is rewritten. */
  async #remove(batch: Batch, which: (e: Entry) => boolean): Promise<number> {
    const gone = batch.entries.filter(which);
    if (gone.length === 0) return 0;
    const kept = batch.entries.filter((e) => !which(e));
    if (kept.length === 0) {
      await unlink(batch.path).catch((error: unknown) => {
        if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
      });
      this.#batches.splice(this.#batches.indexOf(batch), 1);
    } else {
      const keep = new Set(kept.map((e) => e.id));
      const records = (await this.#read(batch)).filter((r) => keep.has(r.id));
      await writeFileAtomic(batch.path, records.map(lineOf).join(''), { durable: this.#durable });
    }
    batch.entries = kept;
    for (const e of gone) {
      this.#byId.delete(e.id);
      this.#bytes -= e.bytes;
    }
    return gone.length;
  }

  async #read(batch: Batch): Promise<CdrRecord[]> {
    const text = await readFile(batch.path, 'utf8');
    const ids = new Set(batch.entries.map((e) => e.id));
    return text.split('\n').flatMap((line) => {
      if (line === '') return [];
      const record = JSON.parse(line) as CdrRecord;
      return ids.has(record.id) ? [record] : [];
    });
  }

  async #syncDir(): Promise<void> {
    if (this.#durable) await fsyncDir(this.dir);
  }

  async #load(): Promise<void> {
    const names = (await readdir(this.dir)).sort();
    for (const name of names) {
      if (name.startsWith('.') && name.endsWith('.tmp')) {
        // A write a crash cut before its rename: that batch was never acknowledged to the caller.
        await unlink(join(this.dir, name)).catch(() => undefined);
        this.#leftovers++;
        continue;
      }
      const match = BATCH_FILE.exec(name);
      if (match === null) continue;
      const seq = Number(match[1]);
      this.#nextSeq = Math.max(this.#nextSeq, seq + 1);
      await this.#loadBatch({ seq, path: join(this.dir, name), entries: [] });
    }
    if (this.#leftovers > 0 || this.#unreadable > 0) {
      this.#log?.warn({ unreadableLines: this.#unreadable, leftoverTempFiles: this.#leftovers, dir: this.dir }, 'CDR buffer: what a cut write left was dropped');
    }
    await this.#bound();
  }

  async #loadBatch(batch: Batch): Promise<void> {
    const read = readCdrLines(await readFile(batch.path, 'utf8'));
    const good: string[] = [];
    const ids = new Set<string>();
    let bad = read.unreadable;
    for (const record of read.records) {
      if (this.#byId.has(record.id) || ids.has(record.id)) {
        bad++;
        continue;
      }
      ids.add(record.id);
      const kept = lineOf(record);
      good.push(kept.slice(0, -1));
      batch.entries.push({ id: record.id, bytes: Buffer.byteLength(kept) });
    }
    if (bad > 0) {
      this.#unreadable += bad;
      try {
        if (good.length === 0) await unlink(batch.path);
        else await writeFileAtomic(batch.path, good.map((l) => `${l}\n`).join(''), { durable: this.#durable });
      } catch (error) {
        this.#log?.warn({ path: batch.path, err: describeError(error) }, 'CDR buffer: cannot rewrite a batch without its unreadable lines');
      }
    }
    if (batch.entries.length > 0) this.#add(batch);
  }
}
