import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultStateDir, resolveStateDir, type PlatformInfo } from '../../../src/platform/index.js';

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
