import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ServiceControlError,
  defaultAgentConfigFile,
  defaultStateDir,
  detectServiceManager,
  runCommand,
  scArgv,
  systemdServiceManager,
  windowsInstallPaths,
  winswArgv,
  type CommandResult,
  type PlatformInfo,
  type ServiceProbes,
} from '../../../src/platform/index.js';

const WINDOWS: PlatformInfo = { platform: 'win32', env: { ProgramData: 'D:\\Data', ProgramFiles: 'D:\\Apps' }, uid: undefined, home: 'C:\\Users\\x' };
const WINDOWS_BARE: PlatformInfo = { platform: 'win32', env: {}, uid: undefined, home: 'C:\\Users\\x' };
const LINUX_ROOT: PlatformInfo = { platform: 'linux', env: {}, uid: 0, home: '/root' };

interface Recorder extends ServiceProbes {
  readonly calls: string[][];
}

/** A runner that answers each command from `answers` (by its joined argv; default exit 0). */
function recorder(answers: Record<string, Partial<CommandResult>> = {}, existing: readonly string[] = []): Recorder {
  const calls: string[][] = [];
  return {
    calls,
    run: (argv) => {
      calls.push([...argv]);
      return Promise.resolve({ code: 0, stdout: '', stderr: '', ...answers[argv.join(' ')] });
    },
    exists: (path) => Promise.resolve(existing.includes(path)),
  };
}

test('Windows paths: state, configuration and logs under %ProgramData%\\sbc-agent, the program under %ProgramFiles%', () => {
  const p = windowsInstallPaths(WINDOWS);
  assert.deepEqual(p, {
    stateDir: 'D:\\Data\\sbc-agent',
    configFile: 'D:\\Data\\sbc-agent\\agent.yaml',
    logDir: 'D:\\Data\\sbc-agent\\logs',
    installDir: 'D:\\Apps\\sbc-agent',
    wrapperExe: 'D:\\Apps\\sbc-agent\\sbc-agent-service.exe',
    wrapperXml: 'D:\\Apps\\sbc-agent\\sbc-agent-service.xml',
    nodeExe: 'D:\\Apps\\sbc-agent\\node.exe',
    hostScript: 'D:\\Apps\\sbc-agent\\app\\dist\\src\\service-host.js',
  });
  assert.equal(p.stateDir, defaultStateDir(WINDOWS), 'the service state directory is the platform default');
  assert.equal(windowsInstallPaths(WINDOWS_BARE).configFile, 'C:\\ProgramData\\sbc-agent\\agent.yaml');
  assert.equal(windowsInstallPaths(WINDOWS_BARE).wrapperExe, 'C:\\Program Files\\sbc-agent\\sbc-agent-service.exe');
  assert.equal(defaultAgentConfigFile(WINDOWS), 'D:\\Data\\sbc-agent\\agent.yaml');
  assert.equal(defaultAgentConfigFile(LINUX_ROOT), '/etc/sbc-agent/agent.yaml');
  assert.equal(defaultAgentConfigFile({ ...LINUX_ROOT, uid: 1000, home: '/home/u' }), '/etc/sbc-agent/agent.yaml');
});

test('service control command lines: WinSW verbs beside their XML, sc.exe with its split start= option', () => {
  const p = windowsInstallPaths(WINDOWS);
  const table: Array<[string[], string[]]> = [
    [winswArgv(p, 'install'), ['D:\\Apps\\sbc-agent\\sbc-agent-service.exe', 'install']],
    [winswArgv(p, 'start'), ['D:\\Apps\\sbc-agent\\sbc-agent-service.exe', 'start']],
    [winswArgv(p, 'stop'), ['D:\\Apps\\sbc-agent\\sbc-agent-service.exe', 'stop']],
    [winswArgv(p, 'uninstall'), ['D:\\Apps\\sbc-agent\\sbc-agent-service.exe', 'uninstall']],
    [winswArgv(p, 'status'), ['D:\\Apps\\sbc-agent\\sbc-agent-service.exe', 'status']],
    [scArgv('query'), ['sc.exe', 'query', 'sbc-agent']],
    [scArgv('enable'), ['sc.exe', 'config', 'sbc-agent', 'start=', 'delayed-auto']],
    [scArgv('start'), ['sc.exe', 'start', 'sbc-agent']],
    [scArgv('stop'), ['sc.exe', 'stop', 'sbc-agent']],
  ];
  for (const [got, want] of table) assert.deepEqual(got, want);
});

test('detectServiceManager: Windows SCM, systemd only when it is PID 1, none in a container or elsewhere', async () => {
  const table: Array<[string, PlatformInfo, readonly string[], string | undefined]> = [
    ['Windows', WINDOWS, [], 'windows'],
    ['Linux booted with systemd', LINUX_ROOT, ['/run/systemd/system'], 'systemd'],
    ['Linux without systemd (container, chroot)', LINUX_ROOT, [], undefined],
    ['macOS', { ...LINUX_ROOT, platform: 'darwin' }, ['/run/systemd/system'], undefined],
  ];
  for (const [name, info, existing, kind] of table) {
    const found = await detectServiceManager(info, recorder({}, existing));
    assert.equal(found?.kind, kind, name);
  }
});

test('systemd: enable --now, and a failure carries the command and what systemctl said', async () => {
  const ok = recorder();
  await systemdServiceManager(ok.run).enableAndStart();
  assert.deepEqual(ok.calls, [['systemctl', 'enable', '--now', 'sbc-agent']]);

  const failing = recorder({ 'systemctl enable --now sbc-agent': { code: 5, stderr: 'Failed to enable unit: Unit file sbc-agent.service does not exist.\n' } });
  await assert.rejects(
    systemdServiceManager(failing.run).enableAndStart(),
    (e: unknown) => e instanceof ServiceControlError && e.code === 'SBC_ERR_SERVICE' && /'systemctl enable --now sbc-agent' failed: exit 5: Failed to enable unit/.test(e.message),
  );
  const absent = recorder({ 'systemctl enable --now sbc-agent': { code: null, startError: 'ENOENT' } });
  await assert.rejects(systemdServiceManager(absent.run).enableAndStart(), /cannot run it \(ENOENT\)/);
});

test('Windows service manager: each starting point gives its command sequence or its error', async () => {
  const p = windowsInstallPaths(WINDOWS);
  const install = p.wrapperExe + ' install';
  const table: Array<[string, Record<string, Partial<CommandResult>>, readonly string[], string[][], RegExp | undefined]> = [
    ['installed and stopped', {}, [], [scArgv('query'), scArgv('enable'), scArgv('start')], undefined],
    ['already running (1056)', { 'sc.exe start sbc-agent': { code: 1056 } }, [], [scArgv('query'), scArgv('enable'), scArgv('start')], undefined],
    ['copied but not registered', { 'sc.exe query sbc-agent': { code: 1060 } }, [p.wrapperExe], [scArgv('query'), winswArgv(p, 'install'), scArgv('enable'), scArgv('start')], undefined],
    ['not installed at all', { 'sc.exe query sbc-agent': { code: 1060 } }, [], [scArgv('query')], /not installed .*install\.ps1 as an administrator/],
    ['registration refused', { 'sc.exe query sbc-agent': { code: 1060 }, [install]: { code: 5, stderr: 'Access is denied.' } }, [p.wrapperExe], [scArgv('query'), winswArgv(p, 'install')], /exit 5: Access is denied/],
    ['start refused', { 'sc.exe start sbc-agent': { code: 1053, stdout: 'The service did not respond in a timely fashion.' } }, [], [scArgv('query'), scArgv('enable'), scArgv('start')], /'sc\.exe start sbc-agent' failed: exit 1053/],
    ['no sc.exe', { 'sc.exe query sbc-agent': { code: null, startError: 'ENOENT' } }, [], [scArgv('query')], /cannot run it \(ENOENT\)/],
  ];
  for (const [name, answers, existing, calls, error] of table) {
    const probes = recorder(answers, existing);
    const manager = await detectServiceManager(WINDOWS, probes);
    assert.ok(manager !== undefined);
    if (error === undefined) await manager.enableAndStart();
    else await assert.rejects(manager.enableAndStart(), (e: unknown) => e instanceof ServiceControlError && error.test(e.message), name);
    assert.deepEqual(probes.calls, calls, name);
  }
});

test('runCommand runs argv without a shell and reports exit codes and start errors', async () => {
  const table: Array<[string[], number | null, string | undefined, string]> = [
    [[process.execPath, '-e', 'process.stdout.write("$HOME;")'], 0, undefined, '$HOME;'],
    [[process.execPath, '-e', 'process.exit(7)'], 7, undefined, ''],
    [['/nonexistent/sbc-agent-command'], null, 'ENOENT', ''],
    [[], null, 'empty command', ''],
  ];
  for (const [argv, code, startError, stdout] of table) {
    const r = await runCommand(argv);
    assert.equal(r.code, code, argv.join(' '));
    assert.equal(r.startError, startError, argv.join(' '));
    assert.equal(r.stdout, stdout, argv.join(' '));
  }
});
