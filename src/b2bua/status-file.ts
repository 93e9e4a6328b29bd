/**
 * The manual extension statuses (dial codes `*30`…) kept in a file, so a restart of the agent
 * does not forget who set Do Not Disturb: `{ "101": "dnd", ... }`, written atomically (temp file,
 * fsync, rename) after each change, owner-only. Reads are from memory; writes are queued so they
 * land in order.
 */
import { EXTENSION_STATUSES, type ExtensionStatus } from '../routing/index.js';
import { readFileIfExists, writeFileAtomic } from '../platform/index.js';
import type { StatusStore } from './types.js';

const KNOWN: ReadonlySet<string> = new Set(EXTENSION_STATUSES);

export class FileStatusStore implements StatusStore {
  readonly path: string;
  #statuses: Record<string, ExtensionStatus>;
  readonly #onError: (error: unknown) => void;
  #writing: Promise<void> = Promise.resolve();

  private constructor(path: string, statuses: Record<string, ExtensionStatus>, onError: (error: unknown) => void) {
    this.path = path;
    this.#statuses = statuses;
    this.#onError = onError;
  }

  /**
   * Reads the file (absent: no status set). Entries that are not a known status are dropped.
   * `onError` hears of a write that failed (a StateError naming the file); memory keeps the status.
   */
  static async open(path: string, onError: (error: unknown) => void = () => {}): Promise<FileStatusStore> {
    const data = await readFileIfExists(path);
    const statuses: Record<string, ExtensionStatus> = {};
    if (data !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(data.toString('utf8'));
      } catch {
        parsed = undefined;
      }
      if (typeof parsed === 'object' && parsed !== null) {
        for (const [extension, status] of Object.entries(parsed)) {
          if (typeof status === 'string' && KNOWN.has(status)) statuses[extension] = status as ExtensionStatus;
        }
      }
    }
    return new FileStatusStore(path, statuses, onError);
  }

  all(): Readonly<Record<string, ExtensionStatus>> {
    return { ...this.#statuses };
  }

  /** `available` removes the entry (absent means available). */
  set(extension: string, status: ExtensionStatus): void {
    const next = { ...this.#statuses };
    if (status === 'available') delete next[extension];
    else next[extension] = status;
    this.#statuses = next;
    const text = `${JSON.stringify(next, null, 2)}\n`;
    this.#writing = this.#writing.then(() => writeFileAtomic(this.path, text)).catch((error: unknown) => this.#onError(error));
  }

  /** Resolves when every change so far is on disk. */
  flush(): Promise<void> {
    return this.#writing;
  }
}
