/**
 * The RFC test data kept in the repository is byte-identical to the published archives: every file
 * named in each SHA256SUMS has that checksum, and no data file is missing from the list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SIP_TORTURE_DIR, SRTP_VECTORS_DIR, STUN_VECTORS_DIR } from '../support/paths.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

for (const dir of [SIP_TORTURE_DIR, STUN_VECTORS_DIR, SRTP_VECTORS_DIR]) {
  test(`${relative(join(dir, '..'), dir)}: every file matches SHA256SUMS and every data file is listed`, () => {
    const listed = new Map<string, string>();
    for (const line of readFileSync(join(dir, 'SHA256SUMS'), 'utf8').split('\n').filter((l) => l.trim() !== '')) {
      const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
      assert.ok(m?.[1] !== undefined && m[2] !== undefined, `a SHA256SUMS line: ${line}`);
      listed.set(m[2], m[1]);
    }
    for (const [name, sum] of listed) assert.equal(createHash('sha256').update(readFileSync(join(dir, name))).digest('hex'), sum, name);
    const data = files(dir).map((f) => relative(dir, f)).filter((f) => f !== 'SHA256SUMS' && f !== 'README.md');
    assert.deepEqual(data.sort(), [...listed.keys()].sort());
    assert.ok(listed.size >= 2);
  });
}
