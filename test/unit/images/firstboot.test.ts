/**
 * The first-boot script and the container entry point, run against a fake boot partition and state
 * volume with stub `sbc-agent` and `systemctl` programs that record their argv.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/paths.js';

const FIRSTBOOT = join(REPO_ROOT, 'images', 'firstboot', 'sbc-agent-firstboot.sh');
const ENTRYPOINT = join(REPO_ROOT, 'images', 'container', 'entrypoint.sh');
const KEY = '7KQ2-M9XD-ABCD-EFGH-JKMN-PQRS-TVWX-YZ01';
const URL_ = 'https://hub.example.net:5001/enroll/abc';

interface Stubs {
  readonly dir: string;
  readonly bin: string;
  readonly systemctl: string;
  calls(name: 'sbc-agent' | 'systemctl'): Promise<string[][]>;
}

/** Stub programs that append their argv (one argument per line, a blank line after) to a log. */
async function stubs(t: { after(fn: () => Promise<void>): void }): Promise<Stubs> {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-firstboot-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const make = async (name: string, exit: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done >>"${dir}/${name}.log"\necho >>"${dir}/${name}.log"\nexit ${exit}\n`);
    await chmod(path, 0o755);
    return path;
  };
  return {
    dir,
    bin: await make('sbc-agent', '"${STUB_EXIT:-0}"'),
    systemctl: await make('systemctl', '0'),
    async calls(name) {
      const text = await readFile(join(dir, `${name}.log`), 'utf8').catch(() => '');
      return text
        .split('\n\n')
        .filter((block) => block !== '' && block !== '\n')
        .map((block) => block.split('\n').filter((line, i, all) => !(line === '' && i === all.length - 1)));
    },
  };
}

test('first boot: runs setup when the file holds a key; disables itself when done or when there is nothing to do', async (t) => {
  const table: Array<[string, string | undefined, number, number, boolean]> = [
    // name, boot file content (undefined: no file), setup's exit, the script's exit, setup ran
    ['key present, setup succeeds', `url=${URL_}\nkey=${KEY}\n`, 0, 0, true],
    ['key present, written on Windows', `\uFEFFkey=${KEY}\r\nurl=${URL_}\r\n`, 0, 0, true],
    ['no file', undefined, 0, 0, false],
    ['key blank (used)', `url=${URL_}\nkey=\n`, 0, 0, false],
    ['key blank, CRLF', `url=${URL_}\r\nkey=  \r\n`, 0, 0, false],
    ['only a commented key', `url=${URL_}\n# key=${KEY}\n`, 0, 0, false],
    ['service could not start (22)', `url=${URL_}\nkey=${KEY}\n`, 22, 22, true],
    ['hub unreachable (10): retried', `url=${URL_}\nkey=${KEY}\n`, 10, 10, true],
    ['wrong key (12): waits for a fixed file', `url=${URL_}\nkey=${KEY}\n`, 12, 12, true],
  ];
  for (const [name, content, setupExit, exit, ran] of table) {
    const s = await stubs(t);
    const boot = join(s.dir, 'boot', 'firmware', 'sbc-agent.txt');
    await mkdir(join(s.dir, 'boot', 'firmware'), { recursive: true });
    if (content !== undefined) await writeFile(boot, content);
    const r = spawnSync('sh', [FIRSTBOOT], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', SBC_AGENT_BOOT_FILE: boot, SBC_AGENT_BIN: s.bin, SBC_AGENT_SYSTEMCTL: s.systemctl, STUB_EXIT: String(setupExit) },
    });
    assert.equal(r.status, exit, `${name}: ${r.stdout}${r.stderr}`);
    assert.deepEqual(await s.calls('sbc-agent'), ran ? [['setup', '--from', boot, '--yes']] : [], name);
    const disabled = exit === 0 || exit === 22;
    assert.deepEqual(await s.calls('systemctl'), disabled ? [['disable', 'sbc-agent-firstboot.service']] : [], name);
    assert.match(r.stdout, /^sbc-agent-firstboot: /m, `${name}: it says what it did`);
    if (content !== undefined) assert.equal(await readFile(boot, 'utf8'), content, `${name}: the script itself never edits the file (setup does)`);
  }
});

test('container entry point: enrolls from the environment once, then runs the command in its place', async (t) => {
  const table: Array<[string, Record<string, string>, boolean, number, string[][]]> = [
    [
      'not enrolled, pinned',
      { SBC_AGENT_URL: URL_, SBC_AGENT_KEY: KEY, SBC_AGENT_FINGERPRINT: 'AB:CD', SBC_AGENT_LAN: '10.0.0.5' },
      false,
      0,
      [['setup', '--no-service', '--url', URL_, '--key', KEY, '--state-dir', '<state>', '--fingerprint', 'AB:CD', '--lan', '10.0.0.5'], ['run', '--config', '/etc/x.yaml']],
    ],
    ['not enrolled, no fingerprint', { SBC_AGENT_URL: URL_, SBC_AGENT_KEY: KEY }, false, 0, [['setup', '--no-service', '--url', URL_, '--key', KEY, '--state-dir', '<state>', '--yes'], ['run', '--config', '/etc/x.yaml']]],
    ['already enrolled: no setup', { SBC_AGENT_URL: URL_, SBC_AGENT_KEY: KEY }, true, 0, [['run', '--config', '/etc/x.yaml']]],
    ['not enrolled, nothing given: run says so itself', {}, false, 0, [['run', '--config', '/etc/x.yaml']]],
    ['setup fails: the agent is not started', { SBC_AGENT_URL: URL_, SBC_AGENT_KEY: KEY, STUB_EXIT: '12' }, false, 12, [['setup', '--no-service', '--url', URL_, '--key', KEY, '--state-dir', '<state>', '--yes']]],
  ];
  for (const [name, env, enrolled, exit, calls] of table) {
    const s = await stubs(t);
    const state = join(s.dir, 'state');
    if (enrolled) {
      await mkdir(join(state, 'agent'), { recursive: true });
      await writeFile(join(state, 'agent', 'hub.json'), '{}');
    }
    const r = spawnSync('sh', [ENTRYPOINT, 'run', '--config', '/etc/x.yaml'], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', SBC_AGENT_BIN: s.bin, SBC_AGENT_STATE_DIR: state, SBC_AGENT_CONFIG: join(s.dir, 'absent.yaml'), ...env },
    });
    assert.equal(r.status, exit, `${name}: ${r.stderr}`);
    assert.deepEqual(await s.calls('sbc-agent'), calls.map((argv) => argv.map((a) => (a === '<state>' ? state : a))), name);
  }
});
