/**
 * Every shell script of the repository (scripts/, images/, packaging/) passes shellcheck, and the
 * first-boot unit passes `systemd-analyze verify`. Both tools come from scripts/install-test-deps.sh;
 * a machine without them fails here rather than skipping the check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../../support/paths.js';

const ROOTS = ['scripts', 'images', 'packaging'];

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await files(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** A .sh file, or any file whose first line is a sh/bash shebang. */
async function isShellScript(path: string): Promise<boolean> {
  if (path.endsWith('.sh')) return true;
  if ((await stat(path)).size === 0) return false;
  const head = (await readFile(path)).subarray(0, 64).toString('latin1');
  return /^#!\s*\/(usr\/)?bin\/(env\s+)?(ba|da)?sh\b/.test(head);
}

async function shellScripts(): Promise<string[]> {
  const all = (await Promise.all(ROOTS.map((root) => files(join(REPO_ROOT, root))))).flat();
  const scripts: string[] = [];
  for (const path of all) if (await isShellScript(path)) scripts.push(path);
  return scripts.sort();
}

test('every shell script passes shellcheck', async () => {
  const scripts = await shellScripts();
  const names = scripts.map((s) => relative(REPO_ROOT, s));
  for (const expected of ['images/firstboot/sbc-agent-firstboot.sh', 'images/container/entrypoint.sh', 'images/pi-gen/stage-sbc-agent/prerun.sh', 'images/pi-gen/stage-sbc-agent/00-install-package/00-run.sh', 'scripts/install-test-deps.sh']) {
    assert.ok(names.includes(expected), `${expected} is among the scripts checked: ${names.join(', ')}`);
  }
  const r = spawnSync('shellcheck', ['--format=gcc', '--external-sources', ...scripts], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(r.error, undefined, 'shellcheck must be installed (scripts/install-test-deps.sh)');
  assert.equal(r.stdout + r.stderr, '', 'no findings');
  assert.equal(r.status, 0);
});

test('shellcheck finds what it should (the check is not vacuous)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-shellcheck-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.sh');
  await writeFile(bad, '#!/bin/sh\nrm -rf $1/*\n');
  const r = spawnSync('shellcheck', ['--format=gcc', bad], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stdout, /SC2086/);
});

test('the first-boot unit passes systemd-analyze verify', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-unit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const unit = await readFile(join(REPO_ROOT, 'images', 'firstboot', 'sbc-agent-firstboot.service'), 'utf8');
  assert.match(unit, /^ExecStart=\/usr\/lib\/sbc-agent\/sbc-agent-firstboot\.sh$/m);
  // verify wants the ExecStart program to exist: point it at the script in the repository.
  const script = join(REPO_ROOT, 'images', 'firstboot', 'sbc-agent-firstboot.sh');
  const cases: Array<[string, string, boolean]> = [
    ['as shipped', unit, true],
    ['with a typo (the check is not vacuous)', unit.replace('RestartSec=30', 'RestartSec=thirty'), false],
  ];
  for (const [name, text, clean] of cases) {
    const path = join(dir, 'sbc-agent-firstboot.service');
    await writeFile(path, text.replace(/^ExecStart=.*$/m, `ExecStart=${script}`));
    const r = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
    assert.equal(r.error, undefined, 'systemd-analyze must be installed (scripts/install-test-deps.sh)');
    const said = r.stderr.split('\n').filter((line) => line.includes(path)).join('\n');
    assert.equal(said === '', clean, `${name}: ${r.stderr}`);
  }
});
