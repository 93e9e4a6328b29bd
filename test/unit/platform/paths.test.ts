import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfigFile, defaultStateDir, resolveStateDir, type PlatformInfo } from '../../../src/platform/index.js';

const linuxUser: PlatformInfo = { platform: 'linux', env: {}, uid: 1000, home: '/home/ann' };

test('default state directory per platform and user', () => {
  const table: Array<[string, PlatformInfo, string]> = [
    ['Linux root', { ...linuxUser, uid: 0 }, '/var/lib/sbc-agent'],
    ['Linux root ignores XDG', { ...linuxUser, uid: 0, env: { XDG_STATE_HOME: '/x' } }, '/var/lib/sbc-agent'],
    ['Linux user', linuxUser, '/home/ann/.local/state/sbc-agent'],
    ['Linux user with XDG_STATE_HOME', { ...linuxUser, env: { XDG_STATE_HOME: '/srv/state' } }, '/srv/state/sbc-agent'],
    ['relative XDG_STATE_HOME is ignored', { ...linuxUser, env: { XDG_STATE_HOME: 'rel' } }, '/home/ann/.local/state/sbc-agent'],
    ['macOS user', { ...linuxUser, platform: 'darwin', home: '/Users/ann' }, '/Users/ann/.local/state/sbc-agent'],
    ['Windows', { platform: 'win32', env: { ProgramData: 'D:\\Data' }, uid: undefined, home: 'C:\\Users\\ann' }, 'D:\\Data\\sbc-agent'],
    ['Windows without ProgramData', { platform: 'win32', env: {}, uid: undefined, home: 'C:\\Users\\ann' }, 'C:\\ProgramData\\sbc-agent'],
  ];
  for (const [name, info, expected] of table) assert.equal(defaultStateDir(info), expected, name);
});

test('--state-dir wins over the configuration, which wins over the default', () => {
  assert.equal(resolveStateDir('/flag', '/config', linuxUser), '/flag');
  assert.equal(resolveStateDir(undefined, '/config', linuxUser), '/config');
  assert.equal(resolveStateDir(undefined, undefined, linuxUser), '/home/ann/.local/state/sbc-agent');
});

test('$STATE_DIRECTORY (systemd StateDirectory=) comes after the flag and the configuration, before the default', () => {
  const unit: PlatformInfo = { ...linuxUser, uid: 998, env: { STATE_DIRECTORY: '/var/lib/sbc-agent-hub' } };
  assert.equal(resolveStateDir('/flag', '/config', unit), '/flag');
  assert.equal(resolveStateDir(undefined, '/config', unit), '/config');
  assert.equal(resolveStateDir(undefined, undefined, unit), '/var/lib/sbc-agent-hub');
  assert.equal(resolveStateDir(undefined, undefined, { ...unit, uid: 0 }), '/var/lib/sbc-agent-hub', 'also as root');
  const table: Array<[string, string, string]> = [
    ['several StateDirectory= entries: the first', '/var/lib/a:/var/lib/b', '/var/lib/a'],
    ['empty: ignored', '', '/home/ann/.local/state/sbc-agent'],
    ['relative: ignored', 'lib/sbc', '/home/ann/.local/state/sbc-agent'],
    ['a leading colon: the empty first entry is ignored', ':/var/lib/b', '/home/ann/.local/state/sbc-agent'],
  ];
  for (const [name, value, expected] of table) {
    assert.equal(resolveStateDir(undefined, undefined, { ...linuxUser, env: { STATE_DIRECTORY: value } }), expected, name);
  }
  const windows: PlatformInfo = { platform: 'win32', env: { STATE_DIRECTORY: '/x', ProgramData: 'D:\\Data' }, uid: undefined, home: 'C:\\Users\\ann' };
  assert.equal(resolveStateDir(undefined, undefined, windows), 'D:\\Data\\sbc-agent', 'no systemd on Windows');
});

test('the implied configuration file is $CONFIGURATION_DIRECTORY/<role>.yaml, else none', () => {
  const unit: PlatformInfo = { ...linuxUser, env: { CONFIGURATION_DIRECTORY: '/etc/sbc-agent' } };
  assert.equal(defaultConfigFile('agent', unit), '/etc/sbc-agent/agent.yaml');
  assert.equal(defaultConfigFile('hub', unit), '/etc/sbc-agent/hub.yaml');
  assert.equal(defaultConfigFile('hub', { ...linuxUser, env: { CONFIGURATION_DIRECTORY: '/etc/a:/etc/b' } }), '/etc/a/hub.yaml');
  assert.equal(defaultConfigFile('agent', linuxUser), undefined);
  assert.equal(defaultConfigFile('agent', { ...linuxUser, env: { CONFIGURATION_DIRECTORY: 'etc' } }), undefined);
  assert.equal(defaultConfigFile('agent', { ...unit, platform: 'win32' }), undefined);
});
