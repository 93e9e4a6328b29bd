/**
 * Where the tests find the repository and the shared test data. Works from dist/ or any other
 * build folder (dist-NAME): it walks up to the package.json of sbc-agent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg: unknown = JSON.parse(readFileSync(candidate, 'utf8'));
      if (typeof pkg === 'object' && pkg !== null && 'name' in pkg && pkg.name === 'sbc-agent') return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('sbc-agent package.json not found above the test file');
    dir = up;
  }
}

export const REPO_ROOT = findRepoRoot();
/** ../shared beside the repository (read-only test data: torture messages, STUN vectors, docs). */
export const SHARED_DIR = resolve(REPO_ROOT, '..', 'shared');
export const SIP_TORTURE_DIR = join(SHARED_DIR, 'sip-torture');
export const STUN_VECTORS_DIR = join(SHARED_DIR, 'stun-rfc5769');
