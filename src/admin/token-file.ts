/**
 * The admin token: 32 random bytes as base64url in `<state-dir>/admin-token`, created owner-only
 * (0600) by `sbc-agent setup` or at the first start of `run` or `hub`, whichever comes first. The
 * file is created with O_EXCL, so two processes starting at once end up with the same token. Made by
 * root (`setup`) in a state directory the service user owns, it is given to that user, as the
 * identity files are (src/platform/file-set.ts), so the service can read it.
 */
import { randomBytes } from 'node:crypto';
import { chown, mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SbcError } from '../core/index.js';

export const ADMIN_TOKEN_FILE = 'admin-token';

export function adminTokenPath(stateDir: string): string {
  return join(stateDir, ADMIN_TOKEN_FILE);
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

async function readToken(path: string): Promise<string> {
  const token = (await readFile(path, 'utf8')).trim();
  if (token.length < 16) throw new SbcError('SBC_ERR_STATE', `the admin token in ${path} is shorter than 16 characters; remove the file to get a new one`);
  return token;
}

/** Reads the token file, or creates it (0600) with a new token; returns the token and whether it is new. */
export async function loadOrCreateAdminToken(path: string): Promise<{ token: string; created: boolean }> {
  try {
    return { token: await readToken(path), created: false };
  } catch (error) {
    if (!isCode(error, 'ENOENT')) throw error;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  try {
    const handle = await open(path, 'wx', 0o600);
    try {
      await handle.writeFile(`${token}\n`);
      await handle.sync();
      if (process.getuid?.() === 0) {
        const owner = await stat(dirname(path));
        if (owner.uid !== 0) await chown(path, owner.uid, owner.gid);
      }
    } finally {
      await handle.close();
    }
    return { token, created: true };
  } catch (error) {
    if (isCode(error, 'EEXIST')) return { token: await readToken(path), created: false };
    throw error;
  }
}
