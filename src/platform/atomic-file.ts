/**
 * State files written so that a crash or power cut leaves either the old or the new content,
 * never a partial file: write a temporary file in the same directory, fsync it, rename it over
 * the target (rename(2) is atomic within one file system), then fsync the directory so the
 * rename itself is durable. Files are owner-only (0600), directories 0700.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoCode, SbcError } from '../core/index.js';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** A state file or directory that cannot be read, written or locked. */
export class StateError extends SbcError {
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('SBC_ERR_STATE', `${path}: ${message}`, options);
    this.path = path;
  }
}

export interface AtomicWriteOptions {
  readonly mode?: number;
  /**
   * fsync the file and its directory (default true). The status file, rewritten every second,
   * turns it off: losing it in a power cut is harmless and SD cards wear out.
   */
  readonly durable?: boolean;
}


/** Creates the directory (and parents) and makes it owner-only. */
export async function ensurePrivateDir(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE });
    if (process.platform !== 'win32') await chmod(path, PRIVATE_DIR_MODE);
  } catch (error) {
    throw new StateError(path, `cannot create the state directory (${errnoCode(error) ?? String(error)})`, { cause: error });
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  // Windows cannot open a directory for fsync; NTFS journals the rename itself.
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces `path` with `data` atomically; the temporary file is removed on any failure. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const mode = options.mode ?? PRIVATE_FILE_MODE;
  const durable = options.durable ?? true;
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(data);
      // The umask may have narrowed the mode given to open(); set it exactly.
      if (process.platform !== 'win32') await handle.chmod(mode);
      if (durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    if (durable) await fsyncDir(dir);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw new StateError(path, `cannot write (${errnoCode(error) ?? String(error)})`, { cause: error });
  }
}

/** The file's bytes, or undefined when it does not exist. */
export async function readFileIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw new StateError(path, `cannot read (${errnoCode(error) ?? String(error)})`, { cause: error });
  }
}
