import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/core/index.js';
import { configWithLan } from '../../../src/cli/setup-config.js';
import { blankKey, parseSetupFile } from '../../../src/cli/setup-file.js';

const URL_ = 'https://hub.example.net:5001/enroll/n66x0zxqy73k1e4f';
const KEY = '7KQ2-M9XD-ABCD-EFGH-JKMN-PQRS-TVWX-YZ01';
const FP = Array.from({ length: 32 }, () => 'AB').join(':');

test('setup files as people write them', () => {
  const table: Array<[string, string, Record<string, string>]> = [
    ['plain', `url=${URL_}\nkey=${KEY}\n`, { url: URL_, key: KEY }],
    ['every field, comments, blank lines', `# from hub add-sbc\n\nurl=${URL_}\nkey=${KEY}\nfingerprint=${FP}\nlan=192.168.1.10\n`, { url: URL_, key: KEY, fingerprint: FP, lan: '192.168.1.10' }],
    ['Notepad: BOM and CRLF', `\uFEFFurl=${URL_}\r\nkey=${KEY}\r\n`, { url: URL_, key: KEY }],
    ['spaces around = and quotes', `  url = "${URL_}"\nkey= '${KEY}'  \n`, { url: URL_, key: KEY }],
    ['names in any case', `URL=${URL_}\nKey=${KEY}\n`, { url: URL_, key: KEY }],
    ['a used key (blank) is absent', `url=${URL_}\nkey=\n`, { url: URL_ }],
    ['empty file', '', {}],
  ];
  for (const [name, text, expected] of table) assert.deepEqual(parseSetupFile(text, 'f.txt'), expected, name);
});

test('setup file mistakes name the file and line', () => {
  const table: Array<[string, string, string, RegExp]> = [
    ['not name=value', `url=${URL_}\nthis is a sentence\n`, 'f.txt:2', /expected name=value/],
    ['unknown name (typo)', `ur1=${URL_}\n`, 'f.txt:1', /unknown name 'ur1' \(known: url, key, fingerprint, lan\)/],
    ['repeated', `key=${KEY}\n# again\nkey=${KEY}\n`, 'f.txt:3', /'key' is given twice/],
    ['a name starting with a digit', '1url=x\n', 'f.txt:1', /expected name=value/],
  ];
  for (const [name, text, at, message] of table) {
    assert.throws(() => parseSetupFile(text, 'f.txt'), (e: unknown) => e instanceof ConfigError && e.path === at && message.test(e.message), name);
  }
});

test('blankKey empties only the key lines, keeping comments, other lines and line ends', () => {
  const table: Array<[string, string]> = [
    [`url=${URL_}\nkey=${KEY}\nlan=10.0.0.1\n`, `url=${URL_}\nkey=\nlan=10.0.0.1\n`],
    [`\uFEFFkey=${KEY}\r\nurl=${URL_}\r\n`, `\uFEFFkey=\r\nurl=${URL_}\r\n`],
    [`# key=${KEY} was here\n  KEY = ${KEY}\nkeyboard=1\n`, `# key=${KEY} was here\n  KEY =\nkeyboard=1\n`],
    [`url=${URL_}\n`, `url=${URL_}\n`],
  ];
  for (const [before, after] of table) {
    assert.equal(blankKey(before), after);
    assert.equal(parseSetupFile(blankKey(before).replace(/^keyboard.*$/m, ''), 'f').key, undefined);
  }
});

test('configWithLan: checks the address and the resulting configuration before anything is written', () => {
  assert.throws(() => configWithLan(undefined, 'eth0', '/etc/sbc-agent/agent.yaml'), (e: unknown) => e instanceof ConfigError && e.path === 'lan' && /not an IP address/.test(e.message));
  assert.throws(() => configWithLan('log: [unclosed\n', '10.0.0.1', 'a.yaml'), (e: unknown) => e instanceof ConfigError && /not valid YAML/.test(e.message));
  // Whatever the schema says about agent.lan, the answer is a validated configuration or a ConfigError naming the field.
  const text = '# comment kept\nlog:\n  level: info\n';
  let out: string | undefined;
  try {
    out = configWithLan(text, '10.0.0.1', 'a.yaml');
  } catch (error) {
    assert.ok(error instanceof ConfigError && error.path === 'agent.lan' && /\(setting agent\.lan in a\.yaml\)/.test(error.message), String(error));
  }
  if (out !== undefined) assert.match(out, /^# comment kept\nlog:\n {2}level: info\nagent:\n {2}lan: 10\.0\.0\.1\n$/);
});
