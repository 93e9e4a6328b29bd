/**
 * The local registrar's bindings on disk: `<state>/agent/registrations.json`, written atomically
 * (temporary file, fsync, rename) with mode 0600 since it names the phones' addresses. Read back
 * at start: a broken file is reported and treated as empty (phones re-register within their
 * refresh interval), never a reason not to start.
 */
import { join } from 'node:path';
import { PRIVATE_FILE_MODE, readFileIfExists, writeFileAtomic } from '../platform/index.js';
import type { BindingStore, LocalBinding } from './registrar.js';

export const REGISTRATIONS_FILE = 'registrations.json';
const FORMAT = 1;

export class RegistrationsFile implements BindingStore {
  readonly path: string;

  /** `dir`: `<state>/agent`. */
  constructor(dir: string) {
    this.path = join(dir, REGISTRATIONS_FILE);
  }

  async save(bindings: readonly LocalBinding[]): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify({ format: FORMAT, bindings }, null, 1)}\n`, { mode: PRIVATE_FILE_MODE });
  }

  /** The stored bindings; throws on a file that is not ours (the caller logs it and starts empty). */
  async load(): Promise<LocalBinding[]> {
    const data = await readFileIfExists(this.path);
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
