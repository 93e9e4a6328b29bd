import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProgram } from '../../../src/program.js';
import { parseArgs } from '../../../src/cli/args.js';
import { UsageError } from '../../../src/core/index.js';
import { captureIo } from '../../support/cli-io.js';

test('--version prints the package version', async () => {
  const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string };
  const t = captureIo();
  assert.equal(await runProgram(['--version'], t.io), 0);
  assert.equal(t.out(), `${pkg.version}\n`);
});

test('--help lists the commands; an unknown command is a usage error (exit 2)', async () => {
  const t = captureIo();
  assert.equal(await runProgram(['--help'], t.io), 0);
  assert.match(t.out(), /Usage: sbc-agent <command>/);
  const u = captureIo();
  assert.equal(await runProgram(['no-such-command'], u.io), 2);
  assert.match(u.err(), /unknown command 'no-such-command'/);
});

test('parseArgs: values, flags, positionals, and unknown options', () => {
  const parsed = parseArgs(['a', '--json', '--server', 'h:1', '--expires=7d', 'b'], { values: ['server', 'expires'], flags: ['json'], positionals: 2 });
  assert.deepEqual(parsed.positionals, ['a', 'b']);
  assert.equal(parsed.values.get('server'), 'h:1');
  assert.equal(parsed.values.get('expires'), '7d');
  assert.ok(parsed.flags.has('json'));
  assert.throws(() => parseArgs(['--bogus'], {}), UsageError);
  assert.throws(() => parseArgs(['--server'], { values: ['server'] }), /needs a value/);
  assert.throws(() => parseArgs(['--json=1'], { flags: ['json'] }), UsageError);
});

test('parseArgs: an option given twice and arguments beyond those the command takes are usage errors', () => {
  assert.throws(() => parseArgs(['--name', 'a', '--name', 'b'], { values: ['name'] }), /--name is given more than once/);
  assert.throws(() => parseArgs(['--name=a', '--name', 'a'], { values: ['name'] }), /--name is given more than once/);
  assert.throws(() => parseArgs(['--json', '--json'], { flags: ['json'] }), /--json is given more than once/);
  assert.throws(() => parseArgs(['extra'], {}), /unexpected argument 'extra'/);
  assert.throws(() => parseArgs(['a', 'b', 'c'], { positionals: 2 }), /unexpected argument 'c'/);
  assert.deepEqual(parseArgs(['a', 'b'], { positionals: 2 }).positionals, ['a', 'b']);
});

test('--json: a failure that printed no JSON prints one error object on stdout, with the exit code', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sbc-json-error-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const c = captureIo();
  assert.equal(await runProgram(['hub', 'list-sbc', '--json', '--state-dir', dir], c.io), 4);
  assert.deepEqual(JSON.parse(c.out()), { error: { exitCode: 4, message: `sbc-agent hub list-sbc: no hub in ${dir}: run 'sbc-agent hub' there first or give the hub's --state-dir` } });
  assert.match(c.err(), /no hub in/);
  const usage = captureIo();
  assert.equal(await runProgram(['status', '--json', '--json'], usage.io), 2);
  assert.equal((JSON.parse(usage.out()) as { error: { message: string } }).error.message, 'sbc-agent status: --json is given more than once');
});
