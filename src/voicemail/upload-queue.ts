/**
 * Messages kept for the PBX side (`<state>/voicemail/upload/`): each message recorded while the
 * agent answered calls itself waits here until the hub has taken it, across restarts and power
 * cuts, as the CDR buffer does for call records (src/cdr/buffer.ts): one entry per file pair,
 * `u-<12-digit sequence>.wav` written first, then `u-<sequence>.json` (the commit point); both
 * with writeFileAtomic. A WAV without its JSON (a cut between the two) is removed at open. The
 * entry holds its own copy of the WAV, so a message the owner deletes on the phone still
 * reaches the PBX. Bounded (default 500 entries): beyond it the oldest is dropped and counted.
 */
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir, fsyncDir, readFileIfExists, writeFileAtomic } from '../platform/index.js';
import { checkBoxId, type BoxId, type VoicemailMessage } from './box-index.js';
import { VoicemailError } from './errors.js';

export const DEFAULT_MAX_UPLOADS = 500;
const ENTRY = /^u-(\d{12})\.json$/;

export interface UploadEntry {
  readonly seq: number;
  readonly box: BoxId;
  readonly message: VoicemailMessage;
}

export interface VoicemailUploadQueueOptions {
  readonly dir: string;
  readonly maxEntries?: number;
  readonly durable?: boolean;
}

const name = (seq: number, ext: 'json' | 'wav'): string => `u-${String(seq).padStart(12, '0')}.${ext}`;

export class VoicemailUploadQueue {
  readonly dir: string;
  readonly #o: VoicemailUploadQueueOptions;
  #entries: UploadEntry[] = [];
  #nextSeq = 1;
  #dropped = 0;
  #unreadable = 0;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(o: VoicemailUploadQueueOptions) {
    this.dir = o.dir;
    this.#o = o;
  }

  static async open(o: VoicemailUploadQueueOptions): Promise<VoicemailUploadQueue> {
    const q = new VoicemailUploadQueue(o);
    await ensurePrivateDir(o.dir);
    await q.#load();
    return q;
  }

  stats(): { pending: number; dropped: number; unreadable: number } {
    return { pending: this.#entries.length, dropped: this.#dropped, unreadable: this.#unreadable };
  }

  enqueue(box: BoxId, message: VoicemailMessage, wav: Buffer): Promise<UploadEntry> {
    checkBoxId(box);
    return this.#serial(async () => {
      const entry: UploadEntry = { seq: this.#nextSeq++, box, message };
      await writeFileAtomic(join(this.dir, name(entry.seq, 'wav')), wav, { durable: this.#o.durable ?? true });
      await writeFileAtomic(join(this.dir, name(entry.seq, 'json')), `${JSON.stringify(entry)}\n`, { durable: this.#o.durable ?? true });
      this.#entries.push(entry);
      while (this.#entries.length > (this.#o.maxEntries ?? DEFAULT_MAX_UPLOADS)) {
        const oldest = this.#entries.shift();
        if (oldest !== undefined) await this.#delete(oldest.seq);
        this.#dropped++;
      }
      return entry;
    });
  }

  /** The oldest entries waiting, at most `max`, in the order they were queued. */
  peek(max = 10): UploadEntry[] {
    return this.#entries.slice(0, max);
  }

  async readWav(entry: UploadEntry): Promise<Buffer> {
    const wav = await readFileIfExists(join(this.dir, name(entry.seq, 'wav')));
    if (wav === undefined) throw new VoicemailError(`upload entry ${entry.seq} has no WAV`);
    return wav;
  }

  /** The PBX side has the message: its entry is gone from disk before this resolves. */
  ack(seq: number): Promise<boolean> {
    return this.#serial(async () => {
      const at = this.#entries.findIndex((e) => e.seq === seq);
      if (at < 0) return false;
      this.#entries.splice(at, 1);
      await this.#delete(seq);
      return true;
    });
  }

  async close(): Promise<void> {
    await this.#queue.catch(() => undefined);
  }

  async #delete(seq: number): Promise<void> {
    await unlink(join(this.dir, name(seq, 'json'))).catch(() => undefined);
    await unlink(join(this.dir, name(seq, 'wav'))).catch(() => undefined);
    if (this.#o.durable ?? true) await fsyncDir(this.dir);
  }

  async #load(): Promise<void> {
    const files = await readdir(this.dir);
    const committed = new Set<number>();
    for (const f of files) {
      const m = ENTRY.exec(f);
      if (m?.[1] === undefined) continue;
      const seq = Number(m[1]);
      const text = (await readFileIfExists(join(this.dir, f)))?.toString('utf8') ?? '';
      try {
        const e = JSON.parse(text) as UploadEntry;
        checkBoxId(e.box);
        if (e.seq !== seq || typeof e.message?.id !== 'string') throw new VoicemailError('entry fields');
        this.#entries.push(e);
        committed.add(seq);
      } catch {
        this.#unreadable++;
        await this.#delete(seq);
      }
    }
    for (const f of files) {
      const m = /^u-(\d{12})\.wav$/.exec(f);
      if ((m?.[1] !== undefined && !committed.has(Number(m[1]))) || f.endsWith('.tmp')) await unlink(join(this.dir, f)).catch(() => undefined);
    }
    this.#entries.sort((a, b) => a.seq - b.seq);
    this.#nextSeq = (this.#entries.at(-1)?.seq ?? 0) + 1;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
