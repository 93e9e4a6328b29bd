#!/usr/bin/env node
// Runs the compiled test files with node:test. Arguments name suites under dist/test
// (unit, property, vectors, e2e); with none, every suite runs. Node 20's --test takes
// files, not globs, so the list is collected here.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../dist/test/', import.meta.url).pathname;
const suites = process.argv.slice(2);
const wanted = suites.length > 0 ? suites : ['unit', 'property', 'vectors', 'e2e'];

function collect(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const files = wanted.flatMap((suite) => collect(join(root, suite)));
if (files.length === 0) {
  console.error(`run-tests: no test files found for ${wanted.join(', ')}`);
  process.exit(1);
}
// One file at a time: end-to-end files start real peers and network namespaces, and the
// machine has two cores. A file that hangs is cut after ten minutes instead of stalling CI: the
// runner applies --test-timeout to each file as a whole too, and a file with a 4-minute WAN outage
// among its tests (survival-model-transitions) runs about 8.5 minutes. Each test keeps its own,
// shorter timeout.
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=1', '--test-timeout=600000', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
