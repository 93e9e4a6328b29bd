/**
 * Issue 10: enrollment that is safe to script and to rerun. A real `sbc-agent hub` process and the
 * real `enroll`, `setup` and `agent` commands as processes:
 * - a state directory that cannot be written fails with exit 4 before the key is spent (the same
 *   key then enrolls);
 * - an existing identity is refused without --force (naming its SBC) and replaced with it;
 * - a running `sbc-agent agent` exits 21 when its identity is replaced under it;
 * - `setup --from FILE --yes --no-service` enrolls and blanks the key; a wrong key exits 12 and
 *   leaves the file and the state directory untouched.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCliHub, type CliHub } from '../support/cli-hub.js';
import { CliProcess, runCli } from '../support/integ-process.js';

const TLS_PORT = 21390;
const WSS_PORT = 21643;
const OTHER_KEY = 'ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345-6789';

let dir: string;
let hubState: string;
let hub: CliHub;
let enrollPort: number;
const processes: CliProcess[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sbc-e2e-replace-'));
  hub = await startCliHub({ dir, yaml: `log:\n  level: warn\nhub:\n  tunnel:\n    port: ${TLS_PORT}\n  wss:\n    port: ${WSS_PORT}\n` });
  hubState = hub.state;
  enrollPort = Number(hub.enrollment.split(':').at(-1));
});

after(async () => {
  for (const p of processes) await p.stop();
  await hub.process.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Added {
  readonly url: string;
  readonly key: string;
  readonly fingerprint: string;
}

async function addSbc(name: string): Promise<Added> {
  const r = await runCli(['hub', 'add-sbc', '--name', name, '--state-dir', hubState, '--url-host', `127.0.0.1:${enrollPort}`, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Added;
}

const enrollArgs = (k: Added, stateDir: string, ...extra: string[]): string[] => ['enroll', '--url', k.url, '--key', k.key, '--fingerprint', k.fingerprint, '--state-dir', stateDir, ...extra];

async function sbcStates(): Promise<Record<string, string>> {
  const list = await runCli(['hub', 'list-sbc', '--json', '--state-dir', hubState]);
  return Object.fromEntries((JSON.parse(list.stdout) as Array<{ name: string; state: string }>).map((r) => [r.name, r.state]));
}

test('an unwritable state directory fails with exit 4 before the key is spent', async () => {
  const k = await addSbc('branch-unwritable');
  const blocker = join(dir, 'not-a-directory');
  await writeFile(blocker, 'a regular file where the state directory should go');
  // Tests run as root, which modes do not stop; a path through a regular file stops everyone.
  const cases: Array<[string, string]> = [
    ['parent is a file', join(blocker, 'state')],
    ['grandparent is a file', join(blocker, 'deep', 'state')],
  ];
  for (const [name, stateDir] of cases) {
    const r = await runCli(enrollArgs(k, stateDir));
    assert.equal(r.code, 4, `${name}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`cannot write the state directory ${join(stateDir, 'agent').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(ENOTDIR\\); nothing was sent to the hub, so the auth key is still unused`), name);
  }
  assert.equal((await sbcStates())['branch-unwritable'], 'pending', 'the key was not used');
  const good = join(dir, 'unwritable-then-ok');
  const r = await runCli(enrollArgs(k, good));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Enrolled as SBC 'branch-unwritable'/);
  assert.equal((await sbcStates())['branch-unwritable'], 'enrolled');
});

test('an existing identity is refused without --force and replaced with it', async () => {
  const first = await addSbc('branch-first');
  const second = await addSbc('branch-second');
  const stateDir = join(dir, 'replace');
  assert.equal((await runCli(enrollArgs(first, stateDir))).code, 0);
  const before = await readFile(join(stateDir, 'agent', 'agent.crt'), 'utf8');

  const refused = await runCli(enrollArgs(second, stateDir));
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /this agent is already enrolled as SBC 'branch-first' \(id [a-z0-9]+\) in \S+; nothing was sent to the hub\. 'sbc-agent enroll --force' replaces that identity/);
  assert.equal(await readFile(join(stateDir, 'agent', 'agent.crt'), 'utf8'), before, 'the identity is untouched');
  assert.equal((await sbcStates())['branch-second'], 'pending', 'the refused key is still unused');

  const forced = await runCli(enrollArgs(second, stateDir, '--force', '--json'));
  assert.equal(forced.code, 0, forced.stderr);
  const result = JSON.parse(forced.stdout) as { sbc: { name: string }; replaced: { name: string } };
  assert.equal(result.sbc.name, 'branch-second');
  assert.equal(result.replaced.name, 'branch-first');
  assert.notEqual(await readFile(join(stateDir, 'agent', 'agent.crt'), 'utf8'), before);
  assert.deepEqual((await readdir(join(stateDir, 'agent'))).sort(), ['agent.crt', 'agent.key', 'hub-ca.crt', 'hub.json'], 'no stage or lock left behind');
  const status = await runCli(['status', '--json', '--state-dir', stateDir]);
  assert.equal((JSON.parse(status.stdout) as { agent: { sbc: { name: string } } }).agent.sbc.name, 'branch-second', 'the new identity loads whole');
});

test('a running agent exits 21 when enroll --force replaces its identity', async () => {
  const k = await addSbc('branch-running');
  const stateDir = join(dir, 'running');
  assert.equal((await runCli(enrollArgs(k, stateDir))).code, 0);
  const agent = new CliProcess(['agent', '--state-dir', stateDir, '--hub-tls', `127.0.0.1:${TLS_PORT}`, '--hub-wss', 'none']);
  processes.push(agent);
  await agent.waitForOutput(/agent: tunnel up over TLS\n/, 30_000);

  const rekey = await runCli(['hub', 'rekey-sbc', 'branch-running', '--state-dir', hubState, '--url-host', `127.0.0.1:${enrollPort}`, '--json']);
  assert.equal(rekey.code, 0, rekey.stderr);
  const again = JSON.parse(rekey.stdout) as Added;
  const forced = await runCli(enrollArgs(again, stateDir, '--force'));
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /replacing the identity of SBC 'branch-running'/);
  assert.equal(await agent.exitWithin(15_000), 21, agent.stderr);
  assert.match(agent.stderr, /sbc-agent agent: the identity in \S+ was replaced \(now SBC 'branch-running', id [a-z0-9]+\); restart to use it/);

  // Started again (as the service manager would), it runs with the new identity.
  const restarted = new CliProcess(['agent', '--state-dir', stateDir, '--hub-tls', `127.0.0.1:${TLS_PORT}`, '--hub-wss', 'none']);
  processes.push(restarted);
  await restarted.waitForOutput(/agent: tunnel up over TLS\n/, 30_000);
  assert.equal(await restarted.stop(), 0);
});

test('setup --from FILE --yes --no-service enrolls and blanks the key; a wrong key exits 12 and changes nothing', async () => {
  const k = await addSbc('branch-setup');
  const file = join(dir, 'sbc-agent.txt');
  const stateDir = join(dir, 'setup-state');
  const config = join(dir, 'agent.yaml');
  await writeFile(config, 'log:\n  level: warn\n');
  const common = ['--yes', '--no-service', '--state-dir', stateDir, '--config', config];

  const wrongText = `# wrong key\nurl=${k.url}\nkey=${OTHER_KEY}\n`;
  await writeFile(file, wrongText);
  const wrong = await runCli(['setup', '--from', file, ...common]);
  assert.equal(wrong.code, 12, wrong.stderr);
  assert.match(wrong.stderr, /sbc-agent setup: the auth key is wrong for this provisioning URL/);
  assert.equal(await readFile(file, 'utf8'), wrongText, 'the file is untouched');
  assert.equal(await stat(stateDir).catch(() => undefined), undefined, 'no state directory is left behind');

  await writeFile(file, `# from hub add-sbc\nurl=${k.url}\nkey=${k.key}\n`);
  const ok = await runCli(['setup', '--from', file, ...common]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /setup: enrolled as SBC 'branch-setup'/);
  assert.match(ok.stdout, /setup: --no-service: start the agent with: sbc-agent run --config \S+ --state-dir \S+/);
  assert.equal(await readFile(file, 'utf8'), `# from hub add-sbc\nurl=${k.url}\nkey=\n`);
  assert.equal((await sbcStates())['branch-setup'], 'enrolled');
  const status = await runCli(['status', '--json', '--state-dir', stateDir]);
  assert.equal((JSON.parse(status.stdout) as { agent: { sbc: { name: string } } }).agent.sbc.name, 'branch-setup');
});
