/**
 * "Can this process write here?", asked before something that cannot be undone (spending a
 * one-time enrollment key). Creating the directory is not proof enough: a read-only file system, a
 * full disk or a path under a regular file only show when a file is written. So the probe creates
 * the directory (owner-only, like every state directory), writes, syncs and removes a file in it,
 * and remembers which directories it created so that a later failure can leave the disk as it was.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { errnoCode } from '../core/index.js';
import { PRIVATE_DIR_MODE, StateError } from './atomic-file.js';

export interface WritableDir {
  readonly dir: string;
  /** The outermost directory the probe created (undefined: it existed already). */
  readonly created: string | undefined;
  /** Removes the directories the probe created, innermost first, as long as they are still empty. */
  undo(): Promise<void>;
}


/** Throws StateError (naming `dir`) when a file cannot be created, written and removed in `dir`. */
export async function probeWritableDir(dir: string): Promise<WritableDir> {
  let created: string | undefined;
  try {
    for (const at of await missingDirs(dir)) {
      await mkdir(at, { mode: PRIVATE_DIR_MODE });
      created ??= at;
    }
    if (process.platform !== 'win32') await chmod(dir, PRIVATE_DIR_MODE);
    const probe = join(dir, `.write-probe.${process.pid}.${randomBytes(4).toString('hex')}`);
    const handle = await open(probe, 'wx', 0o600);
    try {
      await handle.writeFile('probe\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await unlink(probe);
  } catch (error) {
    await removeCreated(dir, created);
    throw new StateError(dir, `cannot write the state directory (${errnoCode(error) ?? String(error)})`, { cause: error });
  }
  return { dir, created, undo: () => removeCreated(dir, created) };
}

/**
 * The directories mkdir -p would make, outermost first. Not `mkdir({ recursive: true })`: Node's
 * loops forever where mkdir(2) answers ENOENT under an existing parent (/proc, some FUSE mounts),
 * and does not say which directories it made when it fails halfway.
 */
async function missingDirs(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let at = resolve(dir); ; at = dirname(at)) {
    const found = await stat(at).catch((error: unknown) => {
      if ((errnoCode(error) ?? String(error)) === 'ENOENT') return undefined;
      throw error;
    });
    if (found !== undefined) {
      if (!found.isDirectory()) throw Object.assign(new Error(`${at} is not a directory`), { code: 'ENOTDIR' });
      return missing;
    }
    missing.unshift(at);
    if (dirname(at) === at) return missing;
  }
}

async function removeCreated(dir: string, created: string | undefined): Promise<void> {
  if (created === undefined) return;
  // mkdir reports the first directory it made; every directory from `dir` up to it is ours.
  for (let at = resolve(dir); ; at = dirname(at)) {
    try {
      await rmdir(at);
    } catch {
      return;
    }
    if (at === created || relative(created, at).startsWith('..')) return;
  }
}
