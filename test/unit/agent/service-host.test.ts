/**
 * The Windows service's exit policy (service-exit.ts) as a table, and service-host.js as a process
 * around the real program: final exits become a logged clean stop, others pass through, signals
 * reach the agent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT } from '../../../src/cli/index.js';
import { serviceExit } from '../../../src/service-exit.js';

const HOST = fileURLToPath(new URL('../../../src/service-host.js', import.meta.url));

test('which exits the service restarts after', () => {
  const table: Array<[number | null, number, boolean, RegExp | undefined]> = [
    [EXIT.OK, 0, false, undefined],
    [EXIT.INTERNAL, 1, true, undefined],
    [EXIT.USAGE, 0, false, /exited 2 \(the command line is wrong\); not restarting/],
    [EXIT.CONFIG, 0, false, /exited 3 \(the configuration is invalid\)/],
    [EXIT.IO, 4, true, undefined],
    [EXIT.TIMEOUT, 5, true, undefined],
    [EXIT.ENROLL_REVOKED, 0, false, /exited 15 \(this SBC was revoked/],
    [EXIT.NOT_ENROLLED, 0, false, /exited 18 \(this agent is not enrolled/],
    [19, 19, true, undefined],
    [EXIT.IDENTITY_REPLACED, 21, true, undefined],
    [null, 1, true, /ended by SIGKILL; restarting/],
  ];
  for (const [code, exit, restart, note] of table) {
    const r = serviceExit(code, code === null ? 'SIGKILL' : null);
    assert.equal(r.code, exit, String(code));
    assert.equal(r.restart, restart, String(code));
    if (note === undefined) assert.equal(r.note, undefined, String(code));
    else assert.match(r.note ?? '', note, String(code));
    assert.equal(r.restart, r.code !== 0, `${String(code)}: WinSW restarts exactly the non-zero exits`);
  }
});

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function host(args: readonly string[], whileRunning?: (child: ReturnType<typeof spawn>, out: () => string) => Promise<void>): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HOST, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    whileRunning?.(child, () => stdout).catch(reject);
  });
}

test('service-host.js around the real program', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-service-host-'));
  t.after(() => rm(dir, { recursive: true, force: true }));

  const notEnrolled = await host(['agent', '--state-dir', join(dir, 'empty')]);
  assert.equal(notEnrolled.code, 0, 'not enrolled: a clean stop, so the service is not restarted in a loop');
  assert.match(notEnrolled.stderr, /sbc-agent agent: this agent is not enrolled/);
  assert.match(notEnrolled.stderr, /sbc-agent service: sbc-agent exited 18 \(this agent is not enrolled: run 'sbc-agent setup'\); not restarting/);

  const ioError = await host(['sip-check', join(dir, 'absent.sip')]);
  assert.equal(ioError.code, EXIT.IO, 'other failures pass through: the service manager restarts');
  assert.doesNotMatch(ioError.stderr, /sbc-agent service:/);

  const version = await host(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+/);

  // SIGTERM to the host reaches the agent, which stops cleanly.
  const stopped = await host(['stun-server', '--listen', '127.0.0.1:0'], async (child, out) => {
    const deadline = Date.now() + 15_000;
    while (!/listening|127\.0\.0\.1/.test(out()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGTERM');
  });
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stdout, /127\.0\.0\.1/);
});
