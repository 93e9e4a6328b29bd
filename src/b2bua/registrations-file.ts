/**
 * The local registrar's bindings on disk: `<state>/agent/registrations.json`, so a restart keeps
 * the phones reachable. The file is reached through `RegistrationsFileIo`, which the composition
 * root builds from src/platform (atomic writes: temporary file, fsync, rename; mode 0600, since it
 * names the phones' addresses): protocol folders do not touch the file system
 * (docs/ARCHITECTURE.md). A file that is not ours is refused on load (the caller logs it and
 * starts empty: phones register again within their refresh interval).
 */
import type { BindingStore, LocalBinding } from './registrar.js';

export const REGISTRATIONS_FILE = 'registrations.json';
const FORMAT = 1;

/**
 * The file, as the agent wires it:
 * `{ path, read: () => readFileIfExists(path), write: (text) => writeFileAtomic(path, text, { mode: 0o600 }) }`.
 */
export interface RegistrationsFileIo {
  /** For messages. */
  readonly path: string;
  /** The bytes, or undefined when the file does not exist. */
  read(): Promise<Buffer | undefined>;
  /** Replaces the file atomically, owner-only. */
  write(text: string): Promise<void>;
}

export class RegistrationsFile implements BindingStore {
  readonly path: string;
  readonly #io: RegistrationsFileIo;

  constructor(io: RegistrationsFileIo) {
    this.#io = io;
    this.path = io.path;
  }

  async save(bindings: readonly LocalBinding[]): Promise<void> {
    await this.#io.write(`${JSON.stringify({ format: FORMAT, bindings }, null, 1)}\n`);
  }

  /** The stored bindings (entries that are not bindings dropped); throws on a file that is not ours. */
  async load(): Promise<LocalBinding[]> {
    const data = await this.#io.read();
    if (data === undefined) return [];
    const doc: unknown = JSON.parse(data.toString('utf8'));
    if (!isObject(doc) || doc['format'] !== FORMAT || !Array.isArray(doc['bindings'])) throw new Error(`${this.path}: not a registrations file of format ${FORMAT}`);
    return doc['bindings'].filter(isBinding);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBinding(value: unknown): value is LocalBinding {
  if (!isObject(value) || !isObject(value['target'])) return false;
  const t = value['target'];
  return typeof value['extension'] === 'string' && typeof value['uri'] === 'string' && typeof value['expiresAt'] === 'number'
    && typeof value['callId'] === 'string' && typeof value['cseq'] === 'number'
    && (t['transport'] === 'UDP' || t['transport'] === 'TCP' || t['transport'] === 'TLS') && typeof t['host'] === 'string' && typeof t['port'] === 'number'
    && (value['userAgent'] === undefined || typeof value['userAgent'] === 'string');
}
