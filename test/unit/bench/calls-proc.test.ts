/**
 * bench:calls' /proc counters: the process tree of a system (Kamailio's children, ours), its CPU
 * seconds and its memory. Checked against processes this test starts and ends itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpuSeconds, memoryBytes, processTree, rssBytes } from '../../../bench/calls-proc.js';

test('processTree holds the root and a child it started; a gone process counts 0 CPU and 0 memory', async () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => child.once('spawn', resolve));
    const tree = processTree(process.pid);
    assert.equal(tree[0], process.pid);
    assert.ok(tree.includes(child.pid ?? -1), `child ${child.pid} in ${tree.join(',')}`);
    assert.equal(processTree(child.pid ?? -1).length, 1, 'a process without children is its own tree');
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  assert.equal(cpuSeconds([child.pid ?? -1]), 0);
  assert.equal(memoryBytes([child.pid ?? -1]), 0);
  assert.equal(rssBytes(child.pid ?? -1), 0);
});

test('cpuSeconds grows with work done; memory of this process is its resident size, roughly', () => {
  const before = cpuSeconds([process.pid]);
  const until = Date.now() + 300;
  let spin = 0;
  while (Date.now() < until) spin++;
  assert.ok(spin > 0);
  assert.ok(cpuSeconds([process.pid]) > before, 'utime + stime advanced');
  const pss = memoryBytes([process.pid]);
  const rss = rssBytes(process.pid);
  assert.ok(rss > 10 * 2 ** 20, `RSS ${rss}`);
  assert.ok(pss > 0 && pss <= rss, `PSS ${pss} within RSS ${rss}`);
});
