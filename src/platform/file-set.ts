/**
 * Replacing files that only make sense together (the agent's key, certificate, hub CA and hub
 * record) as one unit. rename(2) is atomic for one file, not for four, so the set goes through a
 * staging folder with a manifest as its commit point (a redo log):
 *
 *   1. stage   every file is written (atomically, synced) into `<dir>/.incoming/`, then
 *              `.incoming/COMMIT` names them in order. Until COMMIT exists nothing in `<dir>` changed.
 *   2. apply   each staged file is renamed over its target in manifest order, the directory synced,
 *              COMMIT removed, the staging folder removed.
 *
 * A crash before COMMIT leaves the old set whole (the staging folder is thrown away later); a crash
 * after it is rolled forward by `completeFileSet` (renaming what is still staged: a file already
 * moved is simply absent), so the result is always the old set or the new one. Readers list the
 * file they check the others against last (the agent's hub.json), so a reader that looks in the
 * middle of step 2 sees either the old record or one that all files already match. Other files in
 * `<dir>` (status.json, calls.json) are left alone; the new files keep the directory's owner.
 */
import { chown, mkdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { errnoCode } from '../core/index.js';
import { PRIVATE_DIR_MODE, StateError, fsyncDir, writeFileAtomic } from './atomic-file.js';
import { withFileLock } from './file-lock.js';

export const STAGING_DIR = '.incoming';
const MANIFEST = 'COMMIT';

export interface FileSetEntry {
  /** A plain file name inside the directory (no separators). */
  readonly name: string;
  readonly data: string | Uint8Array;
}



function parseManifest(text: string): string[] {
  return text.split('\n').filter((name) => name !== '' && name === basename(name) && name !== MANIFEST);
}

async function applyStaged(dir: string): Promise<boolean> {
  const staging = join(dir, STAGING_DIR);
  const manifest = await readFile(join(staging, MANIFEST), 'utf8').catch((error: unknown) => {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return undefined;
    throw new StateError(join(staging, MANIFEST), `cannot read (${errnoCode(error) ?? String(error)})`, { cause: error });
  });
  if (manifest === undefined) {
    // Never committed: the old files were not touched; the half-written stage goes.
    await rm(staging, { recursive: true, force: true });
    return false;
  }
  for (const name of parseManifest(manifest)) {
    try {
      await rename(join(staging, name), join(dir, name));
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw new StateError(join(dir, name), `cannot move the new file into place (${errnoCode(error) ?? String(error)})`, { cause: error });
    }
  }
  try {
    await fsyncDir(dir);
    await unlink(join(staging, MANIFEST)).catch(() => undefined);
    await rm(staging, { recursive: true, force: true });
  } catch (error) {
    throw new StateError(dir, `cannot finish replacing the files (${errnoCode(error) ?? String(error)})`, { cause: error });
  }
  return true;
}

/**
 * Finishes (or throws away) a replacement a crash interrupted. Returns whether a committed set was
 * rolled forward. Cheap when there is nothing to do; call it before loading the set.
 */
export async function completeFileSet(dir: string): Promise<boolean> {
  const staging = join(dir, STAGING_DIR);
  try {
    await stat(staging);
  } catch {
    return false;
  }
  // The lock: a replacement that is staging right now must not have its stage thrown away.
  return withFileLock(join(dir, `${STAGING_DIR}.lock`), () => applyStaged(dir));
}

/**
 * Root replacing the files of a directory another user owns (`sudo sbc-agent enroll --force` under
 * a service that runs as its own user) gives them to that owner, or the service could not read them.
 */
async function ownerToKeep(dir: string): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const { uid, gid } = await stat(dir);
  return uid === 0 && gid === 0 ? undefined : { uid, gid };
}

/** Replaces the files in `dir` (created owner-only if missing) as one unit, in the order given. */
export async function replaceFileSet(dir: string, files: readonly FileSetEntry[]): Promise<void> {
  for (const file of files) {
    if (file.name !== basename(file.name) || file.name === '' || file.name === MANIFEST) throw new StateError(join(dir, file.name), 'not a plain file name');
  }
  try {
    await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  } catch (error) {
    throw new StateError(dir, `cannot create the directory (${errnoCode(error) ?? String(error)})`, { cause: error });
  }
  await withFileLock(join(dir, `${STAGING_DIR}.lock`), async () => {
    // A stage a crash left behind is finished first, so it cannot be mixed with this one.
    await applyStaged(dir);
    const staging = join(dir, STAGING_DIR);
    try {
      await mkdir(staging, { mode: PRIVATE_DIR_MODE });
    } catch (error) {
      throw new StateError(staging, `cannot create the staging folder (${errnoCode(error) ?? String(error)})`, { cause: error });
    }
    try {
      const owner = await ownerToKeep(dir);
      for (const file of files) {
        await writeFileAtomic(join(staging, file.name), file.data);
        if (owner !== undefined) await chown(join(staging, file.name), owner.uid, owner.gid);
      }
      await writeFileAtomic(join(staging, MANIFEST), `${files.map((f) => f.name).join('\n')}\n`);
    } catch (error) {
      await rm(staging, { recursive: true, force: true }).catch(() => undefined);
      throw error;
    }
    await applyStaged(dir);
  });
}
