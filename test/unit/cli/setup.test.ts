/**
 * `sbc-agent setup` with its collaborators faked: the enrollment (enroll-flow.ts has its own
 * end-to-end test against a real hub) and the service manager, which records what it was asked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ConfigError } from '../../../src/core/index.js';
import { EXIT } from '../../../src/cli/index.js';
import type { EnrollInput, EnrollOutcome } from '../../../src/cli/enroll-flow.js';
import { setupCommandWith, type SetupDeps } from '../../../src/cli/setup.js';
import { ServiceControlError, type PlatformInfo, type ServiceManager } from '../../../src/platform/index.js';
import { agentStatePaths } from '../../../src/tunnel/index.js';
import { captureIo } from '../../support/cli-io.js';

const URL_ = 'https://hub.example.net:5001/enroll/n66x0zxqy73k1e4f';
const KEY = '7KQ2-M9XD-ABCD-EFGH-JKMN-PQRS-TVWX-YZ01';
const FP = Array.from({ length: 32 }, () => 'AB').join(':');
const LINUX: PlatformInfo = { platform: 'linux', env: {}, uid: 0, home: '/root' };

function enrolled(input: EnrollInput): EnrollOutcome {
  return {
    ok: true,
    paths: agentStatePaths(input.stateDir),
    replaced: undefined,
    identity: {
      keyPem: 'key',
      certPem: 'cert',
      caPem: 'ca',
      record: {
        version: 1,
        sbc: { id: 'n66x0zxqy73k1e4f', name: 'branch-lyon' },
        hub: { name: 'hub.example.net', tunnel: { host: 'hub.example.net', port: 5090 }, wss: { url: 'wss://hub.example.net/tunnel' } },
        enrollUrl: input.url,
        caFingerprint: FP,
        certificateFingerprint: 'CD',
        enrolledAt: '2026-01-01T00:00:00.000Z',
      },
    },
  };
}

const WRONG_KEY: EnrollOutcome = { ok: false, exit: EXIT.ENROLL_WRONG_KEY, reason: 'wrong_key', message: 'the auth key is wrong for this provisioning URL' };

interface Rig {
  readonly dir: string;
  readonly enrolls: EnrollInput[];
  readonly service: string[];
  /** Whether the service manager was looked for at all. */
  detected: number;
  deps(o?: { enroll?: EnrollOutcome; manager?: 'ok' | 'fails' | 'none'; bootFiles?: string[] }): SetupDeps;
  common(): string[];
}

async function rig(t: { after(fn: () => Promise<void>): void }): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-setup-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'agent.yaml'), 'log:\n  level: warn\n');
  const r: Rig = {
    dir,
    enrolls: [],
    service: [],
    detected: 0,
    deps(o = {}) {
      const manager: ServiceManager = {
        kind: 'fake',
        service: 'sbc-agent',
        enableAndStart: () => {
          r.service.push('enableAndStart');
          return o.manager === 'fails' ? Promise.reject(new ServiceControlError(['systemctl', 'enable', '--now', 'sbc-agent'], { code: 1, stdout: '', stderr: 'Access denied' })) : Promise.resolve();
        },
      };
      return {
        platform: LINUX,
        bootFiles: o.bootFiles ?? [],
        serviceManager: () => {
          r.detected++;
          return Promise.resolve(o.manager === 'none' ? undefined : manager);
        },
        enroll: (input) => {
          r.enrolls.push(input);
          return Promise.resolve(o.enroll ?? enrolled(input));
        },
      };
    },
    common: () => ['--config', join(dir, 'agent.yaml'), '--state-dir', join(dir, 'state')],
  };
  return r;
}

test('from a setup file: enrolls with its values, blanks the key, enables and starts the service', async (t) => {
  const r = await rig(t);
  const file = join(r.dir, 'sbc-agent.txt');
  await writeFile(file, `# from the hub admin\r\nurl=${URL_}\r\nkey=${KEY}\r\nfingerprint=${FP}\r\n`);
  const c = captureIo();
  const code = await setupCommandWith(r.deps()).run(['--from', file, ...r.common()], c.io);
  assert.equal(code, EXIT.OK, c.err());
  assert.deepEqual(r.enrolls, [{ url: URL_, key: KEY, fingerprint: FP, yes: false, force: false, stateDir: join(r.dir, 'state'), timeoutMs: 15_000, command: 'setup' }]);
  assert.equal(await readFile(file, 'utf8'), `# from the hub admin\r\nurl=${URL_}\r\nkey=\r\nfingerprint=${FP}\r\n`);
  assert.deepEqual(r.service, ['enableAndStart']);
  assert.match(c.out(), /setup: enrolled as SBC 'branch-lyon' \(id n66x0zxqy73k1e4f\); hub hub\.example\.net:5090/);
  assert.match(c.out(), new RegExp(`setup: removed the used key from ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.match(c.out(), /the sbc-agent service is enabled and started \(fake\)/);
  const token = join(r.dir, 'state', 'admin-token');
  assert.match(c.out(), new RegExp(`setup: admin token in ${token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.equal((await stat(token)).mode & 0o777, 0o600, 'setup creates the admin token, owner-only');
  assert.match(await readFile(token, 'utf8'), /^[A-Za-z0-9_-]{43}\n$/);
});

test('a failed enrollment writes nothing: the file keeps its key and no service is touched', async (t) => {
  const r = await rig(t);
  const file = join(r.dir, 'sbc-agent.txt');
  const text = `url=${URL_}\nkey=${KEY}\n`;
  await writeFile(file, text);
  const c = captureIo();
  const code = await setupCommandWith(r.deps({ enroll: WRONG_KEY })).run(['--from', file, '--yes', ...r.common()], c.io);
  assert.equal(code, EXIT.ENROLL_WRONG_KEY);
  assert.match(c.err(), /^sbc-agent setup: the auth key is wrong for this provisioning URL\n$/);
  assert.equal(await readFile(file, 'utf8'), text);
  assert.equal(r.detected, 0);
  assert.deepEqual(r.service, []);
  await assert.rejects(stat(join(r.dir, 'state', 'admin-token')), { code: 'ENOENT' }, 'no admin token without enrollment');
});

test('service outcomes: started, --no-service, no service manager, a service manager that fails (exit 22)', async (t) => {
  const table: Array<[string, 'ok' | 'fails' | 'none', string[], number, string[], RegExp]> = [
    ['service manager found', 'ok', [], EXIT.OK, ['enableAndStart'], /service is enabled and started/],
    ['--no-service', 'ok', ['--no-service'], EXIT.OK, [], /--no-service: start the agent with: sbc-agent run --config \S+agent\.yaml --state-dir \S+state\n/],
    ['none found (container)', 'none', [], EXIT.OK, [], /no service manager found: start the agent with: sbc-agent run/],
    ['systemctl fails', 'fails', [], EXIT.SERVICE_CONTROL, ['enableAndStart'], /enrolled, but the sbc-agent service could not be started \(fake\): 'systemctl enable --now sbc-agent' failed: exit 1: Access denied/],
  ];
  for (const [name, manager, extra, exit, calls, message] of table) {
    const r = await rig(t);
    const file = join(r.dir, 'sbc-agent.txt');
    await writeFile(file, `url=${URL_}\nkey=${KEY}\n`);
    const c = captureIo();
    const code = await setupCommandWith(r.deps({ manager })).run(['--from', file, '--yes', ...extra, ...r.common()], c.io);
    assert.equal(code, exit, `${name}: ${c.err()}`);
    assert.deepEqual(r.service, calls, name);
    assert.match(c.out() + c.err(), message, name);
    assert.equal(r.detected, extra.includes('--no-service') ? 0 : 1, name);
    assert.equal(await readFile(file, 'utf8'), `url=${URL_}\nkey=\n`, `${name}: the spent key is blanked whatever happens to the service`);
  }
});

test('where the URL and key come from', async (t) => {
  const r = await rig(t);
  const missing = join(r.dir, 'no-such.txt');
  const used = join(r.dir, 'used.txt');
  const boot = join(r.dir, 'boot.txt');
  await writeFile(used, `url=${URL_}\nkey=\n`);
  await writeFile(boot, `url=${URL_}\nkey=${KEY}\n`);

  // First boot-partition candidate with a key wins; a missing one and a used one are skipped.
  const c1 = captureIo();
  assert.equal(await setupCommandWith(r.deps({ bootFiles: [missing, used, boot] })).run(['--yes', ...r.common()], c1.io), EXIT.OK, c1.err());
  assert.match(c1.out(), new RegExp(`setup: reading .*boot\\.txt\\n`));
  assert.equal(r.enrolls.at(-1)?.key, KEY);
  assert.equal(await readFile(boot, 'utf8'), `url=${URL_}\nkey=\n`);

  // --url/--key: no file is read or changed.
  await writeFile(boot, `url=${URL_}\nkey=${KEY}\n`);
  const c2 = captureIo();
  assert.equal(await setupCommandWith(r.deps({ bootFiles: [boot] })).run(['--url', URL_, '--key', 'OTHER-KEY', '--yes', ...r.common()], c2.io), EXIT.OK);
  assert.equal(r.enrolls.at(-1)?.key, 'OTHER-KEY');
  assert.doesNotMatch(c2.out(), /reading|removed the used key/);
  assert.equal(await readFile(boot, 'utf8'), `url=${URL_}\nkey=${KEY}\n`);

  // --key on the command line, URL from the file: the file's key line is not the one spent, so it stays.
  const c3 = captureIo();
  assert.equal(await setupCommandWith(r.deps()).run(['--from', boot, '--key', 'CLI-KEY', '--yes', ...r.common()], c3.io), EXIT.OK);
  assert.equal(r.enrolls.at(-1)?.key, 'CLI-KEY');
  assert.equal(await readFile(boot, 'utf8'), `url=${URL_}\nkey=${KEY}\n`);

  // --force reaches the enrollment.
  assert.equal(await setupCommandWith(r.deps()).run(['--url', URL_, '--key', KEY, '--force', ...r.common()], captureIo().io), EXIT.OK);
  assert.equal(r.enrolls.at(-1)?.force, true);
});

test('asked on the terminal when nothing gives them', async (t) => {
  const r = await rig(t);
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  const c = captureIo();
  const io = { ...c.io, stdin };
  const run = setupCommandWith(r.deps()).run(['--no-service', ...r.common()], io);
  stdin.write(`${URL_}\n`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  stdin.write(` ${KEY} \n`);
  assert.equal(await run, EXIT.OK, c.err());
  assert.equal(r.enrolls[0]?.url, URL_);
  assert.equal(r.enrolls[0]?.key, KEY);
  assert.match(c.err(), /Provisioning URL .*One-time auth key/s);
});

test('refusals before any enrollment: each names what is wrong', async (t) => {
  const r = await rig(t);
  const typo = join(r.dir, 'typo.txt');
  await writeFile(typo, `url=${URL_}\nkye=${KEY}\n`);
  const noKey = join(r.dir, 'nokey.txt');
  await writeFile(noKey, `url=${URL_}\n`);
  const table: Array<[string, string[], number | RegExp, RegExp]> = [
    ['nothing given, no terminal', [], EXIT.USAGE, /setup needs a provisioning URL and an auth key: --from FILE, --url and --key, or a terminal/],
    ['file without a key', ['--from', noKey], EXIT.USAGE, /nokey\.txt lacks key=/],
    ['--from a missing file', ['--from', join(r.dir, 'absent.txt')], EXIT.IO, /absent\.txt: cannot read the setup file \(ENOENT\)/],
    ['a positional', ['now'], EXIT.USAGE, /unexpected argument 'now'/],
  ];
  for (const [name, args, exit, message] of table) {
    const c = captureIo();
    const code = await setupCommandWith(r.deps())
      .run([...args, ...r.common()], c.io)
      .catch((error: unknown) => (error instanceof Error && error.name === 'UsageError' ? (c.io.stderr.write(error.message), EXIT.USAGE) : Promise.reject(error)));
    assert.equal(code, exit, name);
    assert.match(c.err(), message, name);
  }
  const configErrors: Array<[string, string[], string]> = [
    ['a typo in the setup file', ['--from', typo], `${typo}:2`],
    ['a LAN address that is not one', ['--url', URL_, '--key', KEY, '--lan', 'eth0'], 'lan'],
  ];
  for (const [name, args, path] of configErrors) {
    await assert.rejects(setupCommandWith(r.deps()).run([...args, ...r.common()], captureIo().io), (e: unknown) => e instanceof ConfigError && e.path === path, name);
  }
  assert.deepEqual(r.enrolls, [], 'no refusal reached the hub');
  assert.equal(r.detected, 0);
});
