/**
 * Where the tests find the repository and the RFC test data in test/vectors/data. Works from dist/
 * or any other build folder (dist-NAME): it walks up to the package.json of sbc-agent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
/** Public RFC test data kept in the repository, byte-identical (test/vectors/data/README files). */
export const VECTORS_DIR = join(REPO_ROOT, 'test', 'vectors', 'data');
export const SIP_TORTURE_DIR = join(VECTORS_DIR, 'sip-torture');
export const STUN_VECTORS_DIR = join(VECTORS_DIR, 'stun-rfc5769');
export const SRTP_VECTORS_DIR = join(VECTORS_DIR, 'srtp-rfc3711');
