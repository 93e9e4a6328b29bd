import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { UsageError } from '../../../src/core/index.js';
import { parseHostPort, stunCommand, stunServerCommand } from '../../../src/cli/stun.js';

const GOOD: readonly [string, { host: string; port: number }][] = [
  ['127.0.0.1:3479', { host: '127.0.0.1', port: 3479 }],
  ['stun.example.org', { host: 'stun.example.org', port: 3478 }],
  ['[::1]:16000', { host: '::1', port: 16000 }],
  ['[2001:db8::1]', { host: '2001:db8::1', port: 3478 }],
  ['2001:db8::1', { host: '2001:db8::1', port: 3478 }],
];

for (const [text, expected] of GOOD) {
  test(`--server ${text}`, () => {
    assert.deepEqual(parseHostPort(text, 3478, '--server'), expected);
  });
}

for (const text of ['host:99999', 'host:port', '[::1]:x', '']) {
  test(`--server '${text}' is a usage error`, () => {
    assert.throws(() => parseHostPort(text, 3478, '--server'), UsageError);
  });
}

function io() {
  return { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: {} };
}

const BAD_COMMAND_LINES: readonly [typeof stunCommand, string[]][] = [
  [stunCommand, ['--nat', '--tcp', '--server', '127.0.0.1:1']],
  [stunCommand, ['--timeout', '0', '--server', '127.0.0.1:1']],
  [stunCommand, ['extra']],
  [stunServerCommand, ['--listen', '127.0.0.1:16000', '--alternate', '127.0.0.1:16001']],
  [stunServerCommand, ['--listen', '127.0.0.1:16000', '--alternate', '127.0.0.2:16000']],
  [stunServerCommand, ['--rate-limit', '-1']],
];

for (const [command, args] of BAD_COMMAND_LINES) {
  test(`sbc-agent ${command.name} ${args.join(' ')} → usage error`, async () => {
    await assert.rejects(command.run(args, io()), UsageError);
  });
}
