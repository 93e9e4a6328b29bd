/** `sbc-agent hub add-sbc | list-sbc | rekey-sbc | revoke-sbc | rename-sbc` and `status`, in process. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realClock } from '../../../../src/core/index.js';
import { loadConfig } from '../../../../src/config/index.js';
import { openHubState } from '../../../../src/hub.js';
import { runProgram } from '../../../../src/program.js';
import { captureIo } from '../../../support/cli-io.js';

async function sbc(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const t = captureIo();
  const code = await runProgram(argv, t.io);
  return { code, out: t.out(), err: t.err() };
}

interface Added {
  name: string;
  id: string;
  url: string;
  key: string;
  fingerprint: string;
  expiresAt: string;
}

test('hub admin commands: add, list, rekey, rename, revoke, with their errors', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-admin-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const state = ['--state-dir', dir];

  // Before the hub has run there, the directory holds no hub: an error, and nothing is created.
  const none = await sbc('hub', 'list-sbc', ...state);
  assert.equal(none.code, 4);
  assert.match(none.err, new RegExp(`no hub in ${dir}: run 'sbc-agent hub' there first`));
  assert.deepEqual(await readdir(dir), []);
  const hubState = await openHubState(dir, (await loadConfig(undefined)).hub, realClock);
  const keyMaterial = async (): Promise<string[]> => Promise.all(['ca.key', 'ca.crt', 'server.key', 'server.crt'].map((f) => readFile(join(hubState.paths.dir, f), 'utf8')));
  const before = await keyMaterial();

  const empty = await sbc('hub', 'list-sbc', ...state);
  assert.equal(empty.code, 0);
  assert.match(empty.out, /No SBCs yet/);

  const text = await sbc('hub', 'add-sbc', '--name', 'branch-paris', '--url-host', 'hub.example.net', ...state);
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /SBC 'branch-paris' added \(id [a-z0-9]{16}\)/);
  assert.match(text.out, /provisioning URL: https:\/\/hub\.example\.net:5001\/enroll\/[a-z0-9]{16}\n/);
  assert.match(text.out, /auth key: {9}([0-9A-Z]{4}-){7}[0-9A-Z]{4}\n/);
  assert.match(text.out, /expires .* \(in 1w\)/);
  assert.match(text.out, /hub fingerprint: {2}([0-9A-F]{2}:){31}[0-9A-F]{2}\n/);
  assert.match(text.out, /sbc-agent enroll --url https:\/\/\S+ --key \S+ --fingerprint \S+/);

  const json = await sbc('hub', 'add-sbc', '--name', 'branch-lyon', '--expires', '12h', '--url-host', '::1', '--json', ...state);
  assert.equal(json.code, 0, json.err);
  const added = JSON.parse(json.out) as Added;
  assert.deepEqual(Object.keys(added).sort(), ['expiresAt', 'fingerprint', 'id', 'key', 'name', 'state', 'url']);
  assert.equal(added.url, `https://[::1]:5001/enroll/${added.id}`);
  assert.equal(Date.parse(added.expiresAt) - Date.now() > 11.9 * 3_600_000, true);
  assert.match(text.out, new RegExp(added.fingerprint), 'one hub, one fingerprint');
  const withPort = JSON.parse((await sbc('hub', 'add-sbc', '--name', 'branch-nice', '--url-host', '127.0.0.1:18443', '--json', ...state)).out) as Added;
  assert.equal(withPort.url, `https://127.0.0.1:18443/enroll/${withPort.id}`);

  const refusals: Array<[string[], number, RegExp]> = [
    [['hub', 'add-sbc', '--name', 'branch-lyon', ...state], 2, /an SBC named 'branch-lyon' already exists/],
    [['hub', 'add-sbc', '--name', 'bad name', ...state], 2, /is not a valid SBC name/],
    [['hub', 'add-sbc', '--name', 'x', '--expires', 'soon', ...state], 2, /--expires 'soon' is not a duration/],
    [['hub', 'add-sbc', ...state], 2, /add-sbc needs --name NAME/],
    [['hub', 'revoke-sbc', 'nope', ...state], 2, /no SBC named 'nope'/],
    [['hub', 'rekey-sbc', 'nope', ...state], 2, /no SBC named 'nope'/],
    [['hub', 'rename-sbc', 'branch-lyon', 'branch-paris', ...state], 2, /an SBC named 'branch-paris' already exists/],
    [['hub', 'rename-sbc', 'branch-lyon', ...state], 2, /rename-sbc needs OLD and NEW/],
    [['hub', 'list-sbc', '--bogus', ...state], 2, /unknown option --bogus/],
    [['hub', 'add-sbc', '--name', 'a', '--name', 'b', ...state], 2, /--name is given more than once/],
    [['hub', 'add-sbc', '--name', 'x', '--expires', '100000d', ...state], 2, /--expires '100000d' is longer than/],
    [['hub', 'revoke-sbc', 'branch-lyon', 'extra', ...state], 2, /unexpected argument 'extra'/],
    [['hub', 'list-sbc', 'extra', ...state], 2, /unexpected argument 'extra'/],
  ];
  for (const [argv, code, message] of refusals) {
    const r = await sbc(...argv);
    assert.equal(r.code, code, argv.join(' '));
    assert.match(r.err, message, argv.join(' '));
  }

  const rekeyed = JSON.parse((await sbc('hub', 'rekey-sbc', 'branch-lyon', '--json', ...state)).out) as Added;
  assert.equal(rekeyed.id, added.id);
  assert.notEqual(rekeyed.key, added.key);
  const renamed = await sbc('hub', 'rename-sbc', 'branch-lyon', 'branch-lyon-2', ...state);
  assert.match(renamed.out, /'branch-lyon' is now 'branch-lyon-2'/);
  const revoked = await sbc('hub', 'revoke-sbc', 'branch-paris', ...state);
  assert.equal(revoked.code, 0);
  assert.match(revoked.out, /revoked/);

  const list = await sbc('hub', 'list-sbc', '--json', ...state);
  assert.ok(!list.out.includes('keyHash') && !list.out.includes('salt'), 'the list never shows key material');
  const rows = JSON.parse(list.out) as Array<{ name: string; state: string; key: { used: boolean; expired: boolean } | null }>;
  assert.deepEqual(rows.map((r) => [r.name, r.state, r.key?.used, r.key?.expired]), [
    ['branch-paris', 'revoked', false, false],
    ['branch-lyon-2', 'pending', false, false],
    ['branch-nice', 'pending', false, false],
  ]);
  const table = await sbc('hub', 'list-sbc', ...state);
  assert.match(table.out, /^NAME +STATE +ID +ENROLLED +LAST SEEN +CERT EXPIRES +KEY\n/);
  assert.match(table.out, /branch-paris +revoked /);

  const status = await sbc('status', '--json', ...state);
  const hub = (JSON.parse(status.out) as { hub: { running: boolean; reason: string; fingerprint: string; sbcs: Record<string, number> }; agent: null }).hub;
  assert.deepEqual({ ...hub, fingerprint: '' }, { role: 'hub', running: false, reason: 'absent', fingerprint: '', sbcs: { pending: 2, enrolled: 0, revoked: 1 } });
  assert.equal(hub.fingerprint, added.fingerprint);
  const statusText = await sbc('status', ...state);
  assert.match(statusText.out, /SBCs: {8}0 enrolled, 2 pending, 1 revoked\n {2}process: {5}not running/);
  assert.deepEqual(await keyMaterial(), before, 'no admin command rewrote the hub CA or server certificate');
});

test('add-sbc prints the running hub\'s enrollment address and port, read from its status file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-admin-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const hubState = await openHubState(dir, (await loadConfig(undefined)).hub, realClock);
  const now = new Date().toISOString();
  const listeners = [{ name: 'enrollment', address: '127.0.0.9', port: 15999 }, { name: 'tunnel', address: '127.0.0.9', port: 15090 }];
  await writeFile(hubState.paths.status, JSON.stringify({ version: 1, role: 'hub', pid: process.pid, startedAt: now, updatedAt: now, listeners, tunnels: [] }));
  const added = JSON.parse((await sbc('hub', 'add-sbc', '--name', 'b1', '--json', '--state-dir', dir)).out) as Added;
  assert.equal(added.url, `https://127.0.0.9:15999/enroll/${added.id}`);
  // --url-host wins over the status file (its port too, when it names one).
  const named = JSON.parse((await sbc('hub', 'add-sbc', '--name', 'b2', '--json', '--url-host', 'hub.example.net', '--state-dir', dir)).out) as Added;
  assert.equal(named.url, `https://hub.example.net:15999/enroll/${named.id}`);
  // A corrupt SBC list is named, exit 4.
  await writeFile(hubState.paths.sbcList, '{"version":1,"sbcs":[{}]}');
  const corrupt = await sbc('hub', 'list-sbc', '--state-dir', dir);
  assert.equal(corrupt.code, 4);
  assert.match(corrupt.err, new RegExp(`${hubState.paths.sbcList}: is not a valid SBC list`));
});
