/**
 * packaging/windows cannot run here (no Windows, no PowerShell); what can be checked is that the
 * service XML is well formed and runs what windowsInstallPaths names, and that the scripts drive
 * WinSW with the verbs winswArgv produces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { windowsInstallPaths, winswArgv, type PlatformInfo, type WinswVerb } from '../../../src/platform/index.js';
import { REPO_ROOT } from '../../support/paths.js';

const DIR = join(REPO_ROOT, 'packaging', 'windows');
const WINDOWS: PlatformInfo = { platform: 'win32', env: { ProgramData: 'C:\\ProgramData', ProgramFiles: 'C:\\Program Files' }, uid: undefined, home: 'C:\\Users\\x' };

/** Element names in document order; throws on a tag that is not closed in order. */
function checkTags(xml: string): string[] {
  const open: string[] = [];
  const seen: string[] = [];
  const body = xml.replace(/<!--[\s\S]*?-->/g, '');
  for (const m of body.matchAll(/<(\/?)([A-Za-z][\w.-]*)([^>]*?)(\/?)>/g)) {
    const [, closing, name = '', , selfClosing] = m;
    if (closing === '/') {
      const top = open.pop();
      if (top !== name) throw new Error(`</${name}> closes <${top ?? 'nothing'}>`);
    } else {
      seen.push(name);
      if (selfClosing !== '/') open.push(name);
    }
  }
  if (open.length > 0) throw new Error(`unclosed: ${open.join(', ')}`);
  return seen;
}

const texts = (xml: string, tag: string): string[] => [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1] ?? '');

test('the WinSW XML is well formed and runs service-host.js with the Windows paths', async () => {
  const xml = await readFile(join(DIR, 'sbc-agent-service.xml'), 'utf8');
  assert.throws(() => checkTags('<service><id>x</service>'), /closes/, 'the checker itself catches a bad nesting');
  const tags = checkTags(xml);
  assert.equal(tags[0], 'service');
  const p = windowsInstallPaths(WINDOWS);
  const expand = (s: string): string => s.replaceAll('%BASE%', p.installDir).replaceAll('%ProgramData%', 'C:\\ProgramData');
  assert.deepEqual(texts(xml, 'id'), ['sbc-agent']);
  assert.equal(expand(texts(xml, 'executable')[0] ?? ''), p.nodeExe);
  assert.deepEqual(texts(xml, 'argument').map(expand), [p.hostScript, 'run', '--config', p.configFile, '--state-dir', p.stateDir]);
  assert.equal(expand(texts(xml, 'logpath')[0] ?? ''), p.logDir);
  assert.deepEqual([...xml.matchAll(/<onfailure action="(\w+)"/g)].map((m) => m[1]), ['restart', 'restart']);
  assert.ok(tags.includes('delayedAutoStart') && tags.includes('stoptimeout'));
});

test('install.ps1 and uninstall.ps1 drive WinSW with the verbs of winswArgv', async () => {
  const p = windowsInstallPaths(WINDOWS);
  const scripts: Array<[string, WinswVerb[]]> = [
    ['install.ps1', ['stop', 'install', 'start']],
    ['uninstall.ps1', ['stop', 'uninstall']],
  ];
  for (const [name, verbs] of scripts) {
    const text = await readFile(join(DIR, name), 'utf8');
    assert.match(text, /#Requires -RunAsAdministrator/, name);
    assert.match(text, /\$Wrapper = Join-Path \$InstallDir 'sbc-agent-service\.exe'/, name);
    assert.match(text, /\$ErrorActionPreference = 'Stop'/, name);
    for (const verb of verbs) {
      assert.equal(winswArgv(p, verb)[1], verb);
      assert.match(text, new RegExp(`& \\$Wrapper ${verb}\\n\\s*if \\(\\$LASTEXITCODE -ne 0\\)`), `${name} runs '${verb}' and checks its exit code`);
    }
  }
  const install = await readFile(join(DIR, 'install.ps1'), 'utf8');
  assert.match(install, /'sbc-agent-service\.xml'/);
  assert.match(install, /service-host\.js/);
});
