/**
 * The manual extension statuses (dial codes `*30`…) kept in a file, so a restart of the agent
 * does not forget who set Do Not Disturb: `{ "101": "dnd", ... }`, rewritten after each change.
 * Reads are from memory; writes are queued so they land in order. The file itself is reached
 * through `StatusFileIo`, which the composition root builds from src/platform (atomic, owner-only
 * writes): protocol folders do not touch the file system (docs/ARCHITECTURE.md).
 */
import { EXTENSION_STATUSES, type ExtensionStatus } from '../routing/index.js';
import type { StatusStore } from './types.js';

/**
 * The file, as the agent wires it:
 * `{ path, read: () => readFileIfExists(path), write: (text) => writeFileAtomic(path, text) }`.
 */
export interface StatusFileIo {
  /** For messages. */
  readonly path: string;
  /** The bytes, or undefined when the file does not exist. */
  read(): Promise<Buffer | undefined>;
  /** Replaces the file atomically. */
  write(text: string): Promise<void>;
}

const KNOWN: ReadonlySet<string> = new Set(EXTENSION_STATUSES);

export class FileStatusStore implements StatusStore {
  readonly #io: StatusFileIo;
  #statuses: Record<string, ExtensionStatus>;
  readonly #onError: (error: unknown) => void;
  #writing: Promise<void> = Promise.resolve();
  readonly path: string;

  private constructor(io: StatusFileIo, statuses: Record<string, ExtensionStatus>, onError: (error: unknown) => void) {
    this.#io = io;
    this.path = io.path;
    this.#statuses = statuses;
    this.#onError = onError;
  }

  /**
   * Reads the file (absent: no status set). Entries that are not a known status are dropped.
   * `onError` hears of a write that failed (the error of `io.write`); memory keeps the status.
   */
  static async open(io: StatusFileIo, onError: (error: unknown) => void = () => {}): Promise<FileStatusStore> {
    const data = await io.read();
    const statuses: Record<string, ExtensionStatus> = {};
    if (data !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(data.toString('utf8'));
      } catch {
        parsed = undefined;
      }
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        for (const [extension, status] of Object.entries(parsed)) {
          if (typeof status === 'string' && KNOWN.has(status)) statuses[extension] = status as ExtensionStatus;
        }
      }
    }
    return new FileStatusStore(io, statuses, onError);
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
    this.#writing = this.#writing.then(() => this.#io.write(text)).catch((error: unknown) => this.#onError(error));
  }

  /** Resolves when every change so far is on disk. */
  flush(): Promise<void> {
    return this.#writing;
  }
}
