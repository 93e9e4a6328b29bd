/**
 * The Debian package as an administrator meets it: `npm run package:deb` builds it, `dpkg -i`
 * installs it on this machine, and the test checks what landed where, that both systemd units
 * pass `systemd-analyze verify` and score an exposure of 3.0 or less in `systemd-analyze
 * security`, that the installed launcher runs the bundled runtime (and its native addon) as the
 * unit's main process, that a changed conffile survives a reinstall, that `dpkg -r` keeps the
 * state and `dpkg -P` removes state, configuration and user. Needs root and dpkg (CI runs as root
 * on Debian); the package is purged at the end, whatever happened.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../support/paths.js';
import { freePort } from '../support/free-port.js';
import { NotifySocket } from '../support/notify-socket.js';

const UNITS = ['sbc-agent.service', 'sbc-agent-hub.service'] as const;
const STATE_DIRS = ['/var/lib/sbc-agent', '/var/lib/sbc-agent-hub'] as const;

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; out: string } {
  const r = spawnSync(command, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 * 1024 * 1024 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function ok(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): string {
  const r = run(command, args, env);
  assert.equal(r.status, 0, `${command} ${args.join(' ')}:\n${r.out}`);
  return r.out;
}

/** dpkg's status of sbc-agent: 'install ok installed', 'deinstall ok config-files', or '' when unknown. */
function packageStatus(): string {
  const r = run('dpkg-query', ['-W', '-f=${Status}', 'sbc-agent']);
  return r.status === 0 && !r.out.includes('not-installed') ? r.out.trim() : '';
}
const installed = (): boolean => packageStatus() === 'install ok installed';
const packageKnown = (): boolean => packageStatus() !== '';
const userExists = (): boolean => run('getent', ['passwd', 'sbc-agent']).status === 0;

/**
 * The installed hub as its unit runs it (user sbc-agent, STATE_DIRECTORY=/var/lib/sbc-agent-hub),
 * under a test notify socket: READY=1 arrives, from the process the launcher became. Its first
 * start creates the hub's state there, which `hub add-sbc` then works on.
 */
async function installedHubNotifies(dir: string): Promise<void> {
  const notify = new NotifySocket();
  try {
    const ports = [await freePort(), await freePort(), await freePort()];
    // Readable by the service user: the temporary folder is root's.
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'hub.yaml'), `log:\n  level: warn\nhub:\n  enrollment: { listen: 127.0.0.1, port: ${ports[0]} }\n  tunnel: { listen: 127.0.0.1, port: ${ports[1]} }\n  wss: { listen: 127.0.0.1, port: ${ports[2]} }\n`, { mode: 0o644 });
    chmodSync(notify.path, 0o666);
    chmodSync(dirname(notify.path), 0o755);
    const child = spawn('setpriv', ['--reuid', 'sbc-agent', '--regid', 'sbc-agent', '--init-groups', '/usr/bin/sbc-agent', 'hub', '--config', join(dir, 'hub.yaml')], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: '1000000', STATE_DIRECTORY: '/var/lib/sbc-agent-hub' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await Promise.race([notify.waitFor((n) => n.lines.includes('READY=1'), 60_000), exited.then((code) => assert.fail(`installed hub exited (${code}): ${stderr}`))]);
      // NotifyAccess=main accepts only the unit's main process: the launcher must exec node, not fork it.
      assert.equal(readlinkSync(`/proc/${child.pid ?? 0}/exe`), '/usr/lib/sbc-agent/node');
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
      assert.ok(notify.with('STOPPING=1').length === 1, 'STOPPING=1 on SIGTERM');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  } finally {
    notify.close();
  }
}

test('the package build script, the launcher and the maintainer scripts are shellcheck-clean', () => {
  const scripts = ['scripts/package-deb.sh', ...['postinst', 'prerm', 'postrm', 'sbc-agent.launcher'].map((f) => `packaging/debian/${f}`)];
  ok('shellcheck', scripts.map((f) => join(REPO_ROOT, f)));
});

test('the Debian package installs, passes systemd-analyze, keeps a changed conffile and purges cleanly', { timeout: 240_000 }, async (t) => {
  assert.equal(process.getuid?.(), 0, 'this test installs a Debian package: run it as root (CI does)');
  assert.ok(!packageKnown(), 'sbc-agent is already installed (or left configured) on this machine; this test would purge it: run `dpkg -P sbc-agent` first');
  const dir = mkdtempSync(join(tmpdir(), 'sbc-deb-'));
  t.after(() => {
    if (packageKnown()) run('dpkg', ['--purge', 'sbc-agent']);
    rmSync(dir, { recursive: true, force: true });
  });

  // The test runs from the dist/ that `npm test` built: package that one, quickly compressed.
  const built = ok('bash', [join(REPO_ROOT, 'scripts', 'package-deb.sh')], { ...process.env, DEB_OUT: dir, DEB_NO_BUILD: '1', DEB_COMPRESSION: 'gzip', DEB_COMPRESS_LEVEL: '1' });
  const deb = built.trim().split('\n').at(-1) ?? '';
  assert.match(deb, /sbc-agent_[^_]+_[a-z0-9]+\.deb$/);
  const arch = ok('dpkg', ['--print-architecture']).trim();
  assert.equal(ok('dpkg-deb', ['-f', deb, 'Architecture']).trim(), arch);

  ok('dpkg', ['-i', deb]);
  assert.ok(installed());
  const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  assert.equal(ok('/usr/bin/sbc-agent', ['--version']).trim(), version);
  for (const file of ['/usr/lib/sbc-agent/node', '/usr/lib/sbc-agent/dist/src/main.js', '/usr/lib/sbc-agent/package.json', '/usr/lib/sbc-agent/node_modules/unix-dgram/build/Release/unix_dgram.node', '/usr/share/doc/sbc-agent/copyright']) {
    assert.ok(existsSync(file), `${file} installed`);
  }
  assert.ok(!existsSync('/usr/lib/sbc-agent/node_modules/typescript'), 'no development dependencies');
  for (const unit of UNITS) assert.ok(existsSync(`/lib/systemd/system/${unit}`), `${unit} installed`);
  const conffiles = ok('dpkg-query', ['-W', '-f=${Conffiles}', 'sbc-agent']);
  assert.match(conffiles, /^ \/etc\/sbc-agent\/agent\.yaml [0-9a-f]{32}$/m);
  assert.match(conffiles, /^ \/etc\/sbc-agent\/hub\.yaml [0-9a-f]{32}$/m);

  const [, , uidText, gidText, , home, shell] = ok('getent', ['passwd', 'sbc-agent']).trim().split(':');
  const uid = Number(uidText);
  assert.ok(uid > 0 && uid < 1000, `a system user (uid ${uid})`);
  assert.equal(shell, '/usr/sbin/nologin');
  assert.equal(home, '/nonexistent');
  for (const path of STATE_DIRS) {
    const st = statSync(path);
    assert.equal(st.mode & 0o7777, 0o700, `${path} mode`);
    assert.equal(st.uid, uid, `${path} owner`);
  }
  const config = statSync('/etc/sbc-agent/agent.yaml');
  assert.equal(config.mode & 0o777, 0o640, 'the configuration is not world-readable');
  assert.equal(config.gid, Number(gidText), 'the services read it through their group');

  for (const unit of UNITS) {
    const verify = run('systemd-analyze', ['verify', `/lib/systemd/system/${unit}`]);
    assert.equal(verify.status, 0, `systemd-analyze verify ${unit}:\n${verify.out}`);
    assert.deepEqual(verify.out.split('\n').filter((l) => l.includes('sbc-agent')), [], `no complaint about ${unit}`);
    const security = ok('systemd-analyze', ['security', '--offline=true', `/lib/systemd/system/${unit}`]);
    const exposure = /Overall exposure level for [^:]+: ([0-9]+(?:\.[0-9]+)?)/.exec(security)?.[1];
    assert.ok(exposure !== undefined, `an exposure figure for ${unit}`);
    assert.ok(Number(exposure) <= 3.0, `${unit} exposure ${exposure} must be 3.0 or lower:\n${security.split('\n').filter((l) => l.startsWith('✗')).join('\n')}`);
  }

  // The hub service's first start creates its state; then an administrator's root shell:
  // `hub add-sbc` finds the hub's state and writes it as the service user.
  await installedHubNotifies(dir);
  const added = JSON.parse(ok('/usr/bin/sbc-agent', ['hub', 'add-sbc', '--name', 'package-test', '--json'])) as { name: string; key: string };
  assert.equal(added.name, 'package-test');
  assert.equal(statSync('/var/lib/sbc-agent-hub/hub/sbcs.json').uid, uid, 'state written by hub add-sbc belongs to sbc-agent');

  // A changed conffile survives a reinstall (dpkg keeps it; no prompt: the package's copy did not change).
  writeFileSync('/etc/sbc-agent/agent.yaml', `${readFileSync('/etc/sbc-agent/agent.yaml', 'utf8')}# changed by the package test\n`);
  ok('dpkg', ['-i', '--force-confold', deb]);
  assert.match(readFileSync('/etc/sbc-agent/agent.yaml', 'utf8'), /# changed by the package test\n$/);

  ok('dpkg', ['-r', 'sbc-agent']);
  assert.equal(packageStatus(), 'deinstall ok config-files');
  assert.ok(!existsSync('/usr/bin/sbc-agent'), 'removed: the program');
  for (const path of STATE_DIRS) assert.ok(existsSync(path), `removed but not purged: ${path} kept`);
  assert.ok(existsSync('/var/lib/sbc-agent-hub/hub/sbcs.json'), 'the SBC list kept for a reinstall');
  assert.ok(existsSync('/etc/sbc-agent/agent.yaml'), 'removed but not purged: the configuration kept');

  ok('dpkg', ['-P', 'sbc-agent']);
  for (const path of [...STATE_DIRS, '/etc/sbc-agent']) assert.ok(!existsSync(path), `purged: ${path} gone`);
  assert.ok(!userExists(), 'purged: the sbc-agent user gone');
  assert.notEqual(run('getent', ['group', 'sbc-agent']).status, 0, 'purged: the sbc-agent group gone');
  assert.ok(!packageKnown());
});
