/**
 * Voicemail boxes in the agent's state directory (`<state>/voicemail/`), one folder per box
 * (`ext-201/`, `queue-800/`) holding `index.json`, the messages `m-<id>.wav` and the greetings
 * `greeting-<status>.wav` (`greeting-default.wav` for every status without its own).
 *
 * Crash-safe as the other state files (src/platform writeFileAtomic: temporary file, fsync,
 * rename, fsync of the folder). A message is written WAV first, index second: the index is the
 * commit point, so a power cut leaves either the message listed with its WAV or a WAV nobody
 * lists, which the next use of the box removes (counted in `orphansRemoved`). Every change runs
 * one after the other (one queue), so the index on disk always matches what was answered.
 */
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { TypedEmitter, type Clock } from '../core/index.js';
import { readPromptWav } from '../media/index.js';
import { ensurePrivateDir, fsyncDir, readFileIfExists, writeFileAtomic } from '../platform/index.js';
import { EMPTY_INDEX, boxFolder, counts, hashPin, parseBoxIndex, pinMatches, type BoxId, type BoxIndex, type VoicemailMessage } from './box-index.js';
import { VoicemailError } from './errors.js';
import type { VoicemailUploadQueue } from './upload-queue.js';

export const DEFAULT_MAX_MESSAGES = 100;
const GREETING_STATUS = /^[a-z0-9-]{1,20}$/;

export interface VoicemailStoreOptions {
  /** `<state>/voicemail`. */
  readonly dir: string;
  readonly clock: Clock;
  /** Messages kept for the PBX side; absent: none are queued. */
  readonly uploads?: VoicemailUploadQueue;
  /** A full box refuses new messages (the caller hears that it is full). Default 100. */
  readonly maxMessages?: number;
  readonly durable?: boolean;
  readonly newId?: () => string;
}

export interface VoicemailStoreEvents extends Record<string, unknown> {
  /** A box's new/old counts may have changed: what the MWI notifier listens to. */
  changed: { readonly box: BoxId; readonly new: number; readonly old: number };
}

export class VoicemailStore {
  readonly dir: string;
  readonly events = new TypedEmitter<VoicemailStoreEvents>();
  readonly #o: VoicemailStoreOptions;
  readonly #swept = new Set<string>();
  #queue: Promise<unknown> = Promise.resolve();
  #orphans = 0;
  #idCounter = 0;
  #closed = false;

  private constructor(o: VoicemailStoreOptions) {
    this.dir = o.dir;
    this.#o = o;
  }

  static async open(o: VoicemailStoreOptions): Promise<VoicemailStore> {
    await ensurePrivateDir(o.dir);
    return new VoicemailStore(o);
  }

  get orphansRemoved(): number {
    return this.#orphans;
  }

  index(box: BoxId): Promise<BoxIndex> {
    return this.#serial(() => this.#load(box));
  }

  async counts(box: BoxId): Promise<{ new: number; old: number }> {
    return counts(await this.index(box));
  }

  /** Stores a recorded message (a WAV as WavRecorder writes it) as new; rejects with VoicemailError when the box is full. */
  deposit(box: BoxId, message: { readonly caller: string; readonly wav: Buffer; readonly seconds: number }): Promise<VoicemailMessage> {
    return this.#change(box, async (index, dir) => {
      if (index.messages.length >= (this.#o.maxMessages ?? DEFAULT_MAX_MESSAGES)) throw new VoicemailError(`box ${boxFolder(box)} is full`);
      const m: VoicemailMessage = { id: this.#newId(), caller: message.caller, receivedAt: this.#o.clock.wallNow(), seconds: message.seconds, status: 'new' };
      await writeFileAtomic(join(dir, `m-${m.id}.wav`), message.wav, this.#writeOptions());
      await this.#o.uploads?.enqueue(box, m, message.wav);
      return { index: { ...index, messages: [...index.messages, m] }, result: m };
    });
  }

  /** Marks a message heard; unknown ids are a VoicemailError. */
  markOld(box: BoxId, id: string): Promise<void> {
    return this.#change(box, (index) => {
      if (!index.messages.some((m) => m.id === id)) throw new VoicemailError(`no message ${id} in ${boxFolder(box)}`);
      return Promise.resolve({ index: { ...index, messages: index.messages.map((m) => (m.id === id ? { ...m, status: 'old' as const } : m)) }, result: undefined });
    });
  }

  /** Deletes a message: out of the index first (the commit point), then its WAV. */
  remove(box: BoxId, id: string): Promise<void> {
    return this.#change(box, (index, dir) => {
      if (!index.messages.some((m) => m.id === id)) throw new VoicemailError(`no message ${id} in ${boxFolder(box)}`);
      return Promise.resolve({ index: { ...index, messages: index.messages.filter((m) => m.id !== id) }, result: undefined, after: () => unlink(join(dir, `m-${id}.wav`)).catch(() => undefined) });
    });
  }

  async readMessage(box: BoxId, id: string): Promise<Buffer> {
    const index = await this.index(box);
    if (!index.messages.some((m) => m.id === id)) throw new VoicemailError(`no message ${id} in ${boxFolder(box)}`);
    return readFile(join(this.dir, boxFolder(box), `m-${id}.wav`));
  }

  /** A greeting for one status (`default` for all others); must be a playable prompt (8 kHz 16-bit mono PCM). */
  async setGreeting(box: BoxId, status: string, wav: Buffer): Promise<void> {
    if (!GREETING_STATUS.test(status)) throw new VoicemailError(`greeting status '${status}'`);
    readPromptWav(wav, `greeting-${status}.wav`);
    return this.#serial(async () => {
      const dir = await this.#boxDir(box);
      await writeFileAtomic(join(dir, `greeting-${status}.wav`), wav, this.#writeOptions());
    });
  }

  /** The greeting of `status`, else the default one, else undefined (the caller hears the built-in prompt). */
  async greeting(box: BoxId, status: string): Promise<Buffer | undefined> {
    if (!GREETING_STATUS.test(status)) throw new VoicemailError(`greeting status '${status}'`);
    const dir = join(this.dir, boxFolder(box));
    return (await readFileIfExists(join(dir, `greeting-${status}.wav`))) ?? (await readFileIfExists(join(dir, 'greeting-default.wav')));
  }

  async setPin(box: BoxId, pin: string): Promise<void> {
    const stored = hashPin(pin);
    return this.#change(box, (index) => Promise.resolve({ index: { ...index, pin: stored }, result: undefined, quiet: true }));
  }

  async checkPin(box: BoxId, pin: string): Promise<boolean> {
    return pinMatches((await this.index(box)).pin, pin);
  }

  /** Lets the changes under way finish; later ones are refused. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue.catch(() => undefined);
  }

  #newId(): string {
    if (this.#o.newId !== undefined) return this.#o.newId();
    this.#idCounter = (this.#idCounter + 1) % 1000;
    return `${this.#o.clock.wallNow().toString(36)}-${String(this.#idCounter).padStart(3, '0')}`;
  }

  #writeOptions(): { durable: boolean } {
    return { durable: this.#o.durable ?? true };
  }

  #change<T>(box: BoxId, fn: (index: BoxIndex, dir: string) => Promise<{ index: BoxIndex; result: T; after?: () => Promise<unknown>; quiet?: boolean }>): Promise<T> {
    if (this.#closed) return Promise.reject(new VoicemailError('the voicemail store is closed'));
    return this.#serial(async () => {
      const index = await this.#load(box);
      const dir = join(this.dir, boxFolder(box));
      const { index: next, result, after, quiet } = await fn(index, dir);
      await writeFileAtomic(join(dir, 'index.json'), `${JSON.stringify(next, null, 1)}\n`, this.#writeOptions());
      await after?.();
      if (quiet !== true) this.events.emit('changed', { box, ...counts(next) });
      return result;
    });
  }

  async #boxDir(box: BoxId): Promise<string> {
    const dir = join(this.dir, boxFolder(box));
    await ensurePrivateDir(dir);
    return dir;
  }

  /** Reads the index; at a box's first use also removes what a cut write left (unlisted WAVs, temporary files). */
  async #load(box: BoxId): Promise<BoxIndex> {
    const dir = await this.#boxDir(box);
    const path = join(dir, 'index.json');
    const bytes = await readFileIfExists(path);
    const index = bytes === undefined ? EMPTY_INDEX : parseBoxIndex(bytes.toString('utf8'), path);
    if (!this.#swept.has(dir)) {
      this.#swept.add(dir);
      const listed = new Set(index.messages.map((m) => `m-${m.id}.wav`));
      const leftovers = (await readdir(dir)).filter((f) => (f.startsWith('m-') && !listed.has(f)) || f.endsWith('.tmp'));
      for (const f of leftovers) await unlink(join(dir, f)).catch(() => undefined);
      this.#orphans += leftovers.length;
      if (leftovers.length > 0) await fsyncDir(dir);
    }
    return index;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
