/**
 * Issue 6, item 3: a real hub process on 127.0.0.1 and `sbc-agent enroll` as a process for each
 * case; every row asserts the exit code and the documented message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The program built next to this test (dist/ or any dist-NAME/). */
const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: readonly string[]): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [MAIN, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
    child.stdin?.end();
  });
}

interface Hub {
  readonly process: ChildProcess;
  readonly port: number;
  readonly stateDir: string;
  readonly dir: string;
  stop(): Promise<number | null>;
}

async function startHub(lockout: string): Promise<Hub> {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-e2e-enroll-'));
  const stateDir = join(dir, 'hub-state');
  const config = join(dir, 'hub.yaml');
  await writeFile(config, `log:\n  level: warn\nhub:\n  publicName: localhost\n  lockout:\n${lockout}`);
  const child = spawn(process.execPath, [MAIN, 'hub', '--state-dir', stateDir, '--config', config, '--listen', '127.0.0.1', '--enroll-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /hub: enrollment https:\/\/127\.0\.0\.1:(\d+)\/enroll\//.exec(out);
      if (match !== null && out.includes('hub: ready')) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`hub exited (${String(code)}) before it was ready: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    process: child,
    port,
    stateDir,
    dir,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      await rm(dir, { recursive: true, force: true });
      return code;
    },
  };
}

interface Added {
  readonly url: string;
  readonly key: string;
  readonly fingerprint: string;
  readonly name: string;
  readonly expiresAt: string;
}

async function addSbc(hub: Hub, name: string, ...extra: string[]): Promise<Added> {
  const r = await run(['hub', 'add-sbc', '--name', name, '--state-dir', hub.stateDir, '--url-host', `127.0.0.1:${hub.port}`, '--json', ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Added;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

const OTHER_KEY = 'ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345-6789';
const WRONG_FINGERPRINT = Array.from({ length: 32 }, () => 'AB').join(':');

test('enroll against a real hub: success and each failure with its exit code and message', async (t) => {
  const hub = await startHub('    maxFailures: 20\n    baseDelay: 10ms\n    maxDelay: 20ms\n');
  t.after(() => hub.stop());
  const agents = join(hub.dir, 'agents');
  const agent = (n: string) => ['--state-dir', join(agents, n)];

  const [ok, wrong, expiring, pinned, revoked, noTty, yes] = await Promise.all(
    ['branch-ok', 'branch-wrong', 'branch-expiring', 'branch-pinned', 'branch-revoked', 'branch-notty', 'branch-yes'].map((name) =>
      addSbc(hub, name, ...(name === 'branch-expiring' ? ['--expires', '1s'] : [])),
    ),
  );
  assert.ok(ok !== undefined && wrong !== undefined && expiring !== undefined && pinned !== undefined && revoked !== undefined && noTty !== undefined && yes !== undefined);
  assert.match(ok.key, /^([0-9A-Z]{4}-){7}[0-9A-Z]{4}$/);
  assert.match(ok.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.match(ok.url, new RegExp(`^https://127\\.0\\.0\\.1:${hub.port}/enroll/[a-z0-9]+$`));
  const deadPort = await closedPort();
  const expiresIn = Date.parse(expiring.expiresAt) - Date.now();

  // The revoked row: enroll, then the admin revokes.
  const first = await run(['enroll', '--url', revoked.url, '--key', revoked.key, '--fingerprint', revoked.fingerprint, ...agent('revoked')]);
  assert.equal(first.code, 0, first.stderr);
  const revoke = await run(['hub', 'revoke-sbc', 'branch-revoked', '--state-dir', hub.stateDir]);
  assert.equal(revoke.code, 0, revoke.stderr);
  // The expired row needs its one second to pass; everything above took some of it.
  if (expiresIn > 0) await new Promise((resolve) => setTimeout(resolve, expiresIn + 50));

  const table: Array<[string, string[], number, RegExp]> = [
    ['success', ['--url', ok.url, '--key', ok.key, '--fingerprint', ok.fingerprint, ...agent('ok')], 0, /^Enrolled as SBC 'branch-ok'/],
    ['key already used', ['--url', ok.url, '--key', ok.key, '--fingerprint', ok.fingerprint, ...agent('reuse')], 14, /the auth key was already used/],
    ['wrong key', ['--url', wrong.url, '--key', OTHER_KEY, '--fingerprint', wrong.fingerprint, ...agent('wrong')], 12, /the auth key is wrong for this provisioning URL/],
    ['expired key', ['--url', expiring.url, '--key', expiring.key, '--fingerprint', expiring.fingerprint, ...agent('expired')], 13, /the auth key has expired/],
    ['wrong fingerprint', ['--url', pinned.url, '--key', pinned.key, '--fingerprint', WRONG_FINGERPRINT, ...agent('pinned')], 11, /the hub's fingerprint does not match: expected AB:AB/],
    ['unreachable URL', ['--url', `https://127.0.0.1:${deadPort}/enroll/abc`, '--key', ok.key, '--fingerprint', ok.fingerprint, ...agent('down')], 10, /cannot reach the hub at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/],
    // A fresh state directory: the first one holds the identity, which enroll would refuse to replace (exit 2).
    ['revoked SBC', ['--url', revoked.url, '--key', revoked.key, '--fingerprint', revoked.fingerprint, ...agent('revoked-again')], 15, /this SBC has been revoked by the hub admin/],
    ['no terminal, no --yes', ['--url', noTty.url, '--key', noTty.key, ...agent('notty')], 17, /no terminal to ask on/],
    ['--yes trusts the shown fingerprint', ['--url', yes.url, '--key', yes.key, '--yes', ...agent('yes')], 0, /^Enrolled as SBC 'branch-yes'/],
    ['not a provisioning URL', ['--url', `http://127.0.0.1:${hub.port}/x`, '--key', ok.key, ...agent('usage')], 2, /must be a provisioning URL/],
  ];
  // The first row (success) must come before the second (reuse); the rest are independent.
  const check = async ([name, args, code, message]: (typeof table)[number]): Promise<void> => {
    const r = await run(['enroll', ...args]);
    assert.equal(r.code, code, `${name}: exit ${r.code}, stderr ${r.stderr}`);
    assert.match(code === 0 ? r.stdout : r.stderr, message, name);
  };
  const [successRow, ...others] = table;
  assert.ok(successRow !== undefined);
  await check(successRow);
  await Promise.all(others.map(check));

  // What the success left behind: owner-only identity files; status and list-sbc agree.
  for (const file of ['agent.key', 'agent.crt', 'hub-ca.crt', 'hub.json']) {
    const s = await stat(join(agents, 'ok', 'agent', file));
    assert.equal(s.mode & 0o777, 0o600, file);
  }
  assert.equal((await stat(join(agents, 'ok', 'agent'))).mode & 0o777, 0o700);
  assert.equal(await stat(join(agents, 'pinned')).catch(() => undefined), undefined, 'a refused enrollment writes nothing');
  const status = await run(['status', '--json', ...agent('ok')]);
  const agentStatus = (JSON.parse(status.stdout) as { agent: { sbc: { name: string }; hub: { fingerprint: string; tunnel: { host: string; port: number } } } }).agent;
  assert.equal(agentStatus.sbc.name, 'branch-ok');
  assert.equal(agentStatus.hub.fingerprint, ok.fingerprint);
  assert.deepEqual(agentStatus.hub.tunnel, { host: 'localhost', port: 5090 });
  const list = await run(['hub', 'list-sbc', '--json', '--state-dir', hub.stateDir]);
  const states = Object.fromEntries((JSON.parse(list.stdout) as Array<{ name: string; state: string }>).map((r) => [r.name, r.state]));
  assert.deepEqual(states, {
    'branch-ok': 'enrolled',
    'branch-wrong': 'pending',
    'branch-expiring': 'pending',
    'branch-pinned': 'pending',
    'branch-revoked': 'revoked',
    'branch-notty': 'pending',
    'branch-yes': 'enrolled',
  });
  const hubStatus = await run(['status', '--json', '--state-dir', hub.stateDir]);
  const hubPart = (JSON.parse(hubStatus.stdout) as { hub: { running: boolean; fingerprint: string; listeners: Array<{ port: number }> } }).hub;
  assert.equal(hubPart.running, true);
  assert.equal(hubPart.fingerprint, ok.fingerprint);
  assert.equal(hubPart.listeners[0]?.port, hub.port);
  assert.equal(await hub.stop(), 0, 'the hub stops cleanly on SIGTERM');
});

test('repeated wrong keys from one address: answered slowly, then locked out (exit 16) even for the right key', async (t) => {
  const hub = await startHub('    maxFailures: 3\n    baseDelay: 10ms\n    maxDelay: 40ms\n    duration: 1m\n');
  t.after(() => hub.stop());
  const target = await addSbc(hub, 'branch-target');
  const agentDir = ['--state-dir', join(hub.dir, 'agent')];
  for (let i = 1; i <= 3; i++) {
    const r = await run(['enroll', '--url', target.url, '--key', OTHER_KEY, '--fingerprint', target.fingerprint, ...agentDir]);
    assert.equal(r.code, 12, `wrong key ${i}: ${r.stderr}`);
  }
  const locked = await run(['enroll', '--url', target.url, '--key', target.key, '--fingerprint', target.fingerprint, ...agentDir]);
  assert.equal(locked.code, 16, locked.stderr);
  assert.match(locked.stderr, /too many wrong auth keys from this address; try again later \(in (59|60) s\)/);
  const list = await run(['hub', 'list-sbc', '--json', '--state-dir', hub.stateDir]);
  assert.equal((JSON.parse(list.stdout) as Array<{ state: string }>)[0]?.state, 'pending');
});
