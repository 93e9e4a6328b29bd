/**
 * Rewriting a file that is not ours to own, such as the setup file on the Raspberry Pi's FAT boot
 * partition: atomically (temporary file beside it, fsync, rename, fsync of the directory) like
 * writeFileAtomic, but keeping the file's mode instead of forcing 0600, since FAT has no modes and
 * refuses chmod.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoCode } from '../core/index.js';
import { StateError } from './atomic-file.js';


/** Replaces the content of the existing file `path` with `data`, whole or not at all. */
export async function rewriteFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const { mode } = await stat(path);
    const handle = await open(temp, 'wx', mode & 0o777);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    if (process.platform !== 'win32') {
      const dirHandle = await open(dir, 'r');
      try {
        await dirHandle.sync();
      } finally {
        await dirHandle.close();
      }
    }
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw new StateError(path, `cannot rewrite (${errnoCode(error) ?? String(error)})`, { cause: error });
  }
}
