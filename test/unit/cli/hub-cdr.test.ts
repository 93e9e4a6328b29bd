/**
 * `sbc-agent hub cdr` on a prepared store (two day files, a torn last line, a repeated record):
 * the table and the JSON lines, the filters, the command-line mistakes and their exit codes, and
 * that the command changes no file of the hub's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProgram } from '../../../src/program.js';
import type { CdrRecord } from '../../../src/routing/index.js';
import { captureIo } from '../../support/cli-io.js';
import { T0, cdr } from '../../support/cdr-records.js';

/** A call nobody answered: no answeredAt. */
const BUSY: CdrRecord = Object.fromEntries(Object.entries(cdr(2, { talkSeconds: 0, endedReason: 'busy', endedBy: 'system', status: 486, finalDestination: 'extension:202' })).filter(([k]) => k !== 'answeredAt')) as unknown as CdrRecord;
const RECORDS: readonly CdrRecord[] = [
  cdr(0),
  cdr(1, { agent: 'branch-paris', direction: 'outbound', caller: '102', callee: '+442345', finalDestination: 'trunk:itsp/+442345', survival: true }),
  BUSY,
];
const YESTERDAY = cdr(3, { id: 'yesterday', startedAt: T0 - 86_400_000, endedAt: T0 - 86_400_000 + 30_000, answeredAt: T0 - 86_400_000 + 1000, talkSeconds: 29 });

interface Prepared {
  readonly stateDir: string;
  readonly cdrDir: string;
  done(): Promise<void>;
}

async function prepare(): Promise<Prepared> {
  const root = await mkdtemp(join(tmpdir(), 'sbc-cli-hub-cdr-'));
  const hubDir = join(root, 'hub');
  const cdrDir = join(hubDir, 'cdr');
  await mkdir(cdrDir, { recursive: true });
  await writeFile(join(hubDir, 'ca.crt'), 'a hub lives here\n');
  const line = (r: CdrRecord): string => `${JSON.stringify(r)}\n`;
  await writeFile(join(cdrDir, '2026-12-02.jsonl'), line(YESTERDAY));
  // The second record twice (an upload repeated across a crash), then a line the hub was writing.
  await writeFile(join(cdrDir, '2026-12-03.jsonl'), `${RECORDS.map(line).join('')}${line(RECORDS[1] as CdrRecord)}${line(cdr(9)).slice(0, 30)}`);
  return { stateDir: root, cdrDir, done: () => rm(root, { recursive: true, force: true }) };
}

async function run(argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const t = captureIo();
  const code = await runProgram(argv, t.io);
  return { code, out: t.out(), err: t.err() };
}

test('hub cdr prints the table oldest first, each record once, and says how many lines it skipped', async () => {
  const p = await prepare();
  try {
    const r = await run(['hub', 'cdr', '--state-dir', p.stateDir]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, [
      'time (UTC)           agent         direction  caller → callee  talk s  ended             final destination   survival',
      '2026-12-02 10:00:00  branch-lyon   internal   101 → 203        29      completed/caller  extension:203       no',
      '2026-12-03 10:00:00  branch-lyon   internal   101 → 200        60      completed/caller  extension:200       no',
      '2026-12-03 10:01:00  branch-paris  outbound   102 → +442345    60      completed/caller  trunk:itsp/+442345  yes',
      '2026-12-03 10:02:00  branch-lyon   internal   101 → 202        0       busy/system 486   extension:202       no',
      '',
    ].join('\n'));
    assert.equal(r.err, 'sbc-agent hub cdr: 1 unreadable line skipped (a record being written, or a damaged file)\n');
  } finally {
    await p.done();
  }
});

test('hub cdr --json prints one record per line; --since, --sbc and --limit filter', async () => {
  const p = await prepare();
  try {
    const all = await run(['hub', 'cdr', '--json', '--state-dir', p.stateDir]);
    assert.equal(all.code, 0);
    assert.deepEqual(all.out.trim().split('\n').map((l) => JSON.parse(l) as CdrRecord), [YESTERDAY, ...RECORDS]);
    const ids = async (...extra: string[]): Promise<string[]> => {
      const r = await run(['hub', 'cdr', '--json', '--state-dir', p.stateDir, ...extra]);
      assert.equal(r.code, 0, r.err);
      return r.out.trim().split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as CdrRecord).id);
    };
    assert.deepEqual(await ids('--since', '2026-12-03T10:01:00Z'), [RECORDS[1]?.id, RECORDS[2]?.id]);
    assert.deepEqual(await ids('--since', '2026-12-03'), RECORDS.map((x) => x.id));
    assert.deepEqual(await ids('--sbc', 'branch-paris'), [RECORDS[1]?.id]);
    assert.deepEqual(await ids('--limit', '2', '--sbc', 'branch-lyon'), [RECORDS[0]?.id, RECORDS[2]?.id]);
    assert.deepEqual(await ids('--sbc', 'nobody'), []);
    // A duration back from now: every prepared record is older than a minute.
    assert.deepEqual(await ids('--since', '1m'), []);
  } finally {
    await p.done();
  }
});

test('hub cdr reads only: the hub\'s files are left byte for byte, nothing is added', async () => {
  const p = await prepare();
  try {
    const before = await Promise.all((await readdir(p.cdrDir)).sort().map(async (n) => [n, await readFile(join(p.cdrDir, n), 'utf8'), (await stat(join(p.cdrDir, n))).mtimeMs] as const));
    assert.equal((await run(['hub', 'cdr', '--state-dir', p.stateDir])).code, 0);
    assert.equal((await run(['hub', 'cdr', '--json', '--since', '2026-12-01', '--state-dir', p.stateDir])).code, 0);
    const after = await Promise.all((await readdir(p.cdrDir)).sort().map(async (n) => [n, await readFile(join(p.cdrDir, n), 'utf8'), (await stat(join(p.cdrDir, n))).mtimeMs] as const));
    assert.deepEqual(after, before);
    assert.deepEqual((await readdir(join(p.stateDir, 'hub'))).sort(), ['ca.crt', 'cdr']);
  } finally {
    await p.done();
  }
});

test('a hub that has no CDR yet prints the header only', async () => {
  const p = await prepare();
  try {
    await rm(p.cdrDir, { recursive: true });
    const r = await run(['hub', 'cdr', '--state-dir', p.stateDir]);
    assert.equal(r.code, 0);
    assert.match(r.out, /^time \(UTC\) +agent +direction/);
    assert.equal(r.out.trim().split('\n').length, 1);
    assert.equal((await run(['hub', 'cdr', '--json', '--state-dir', p.stateDir])).out, '');
  } finally {
    await p.done();
  }
});

const MISTAKES: readonly { args: readonly string[]; code: number; message: RegExp }[] = [
  { args: ['--since', 'yesterday'], code: 2, message: /--since 'yesterday' is neither a duration/ },
  { args: ['--since', '2026-12-45'], code: 2, message: /--since '2026-12-45'/ },
  { args: ['--limit', '0'], code: 2, message: /--limit '0' is not a whole number from 1/ },
  { args: ['--limit', 'ten'], code: 2, message: /--limit 'ten'/ },
  { args: ['--limit', '-3'], code: 2, message: /--limit '-3'/ },
  { args: ['--sbc', ''], code: 2, message: /--sbc needs an SBC name/ },
  { args: ['--since'], code: 2, message: /--since needs a value/ },
  { args: ['--tail'], code: 2, message: /unknown option --tail/ },
  { args: ['extra'], code: 2, message: /unexpected argument 'extra'/ },
  { args: ['--sbc', 'a', '--sbc', 'b'], code: 2, message: /--sbc is given more than once/ },
];

test('command-line mistakes are exit 2 with the option named; with --json the error is one JSON object', async () => {
  const p = await prepare();
  try {
    for (const row of MISTAKES) {
      const r = await run(['hub', 'cdr', '--state-dir', p.stateDir, ...row.args]);
      assert.equal(r.code, row.code, row.args.join(' '));
      assert.match(r.err, row.message, row.args.join(' '));
      assert.equal(r.out, '');
    }
    const json = await run(['hub', 'cdr', '--json', '--since', 'soon', '--state-dir', p.stateDir]);
    const parsed = JSON.parse(json.out) as { error: { exitCode: number; message: string } };
    assert.equal(parsed.error.exitCode, 2);
    assert.match(parsed.error.message, /--since 'soon'/);
  } finally {
    await p.done();
  }
});

test('a state directory without a hub is exit 4, naming it, and nothing is created there', async () => {
  const root = await mkdtemp(join(tmpdir(), 'sbc-cli-hub-cdr-none-'));
  try {
    const r = await run(['hub', 'cdr', '--state-dir', root]);
    assert.equal(r.code, 4);
    assert.match(r.err, new RegExp(`no hub in ${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.deepEqual(await readdir(root), []);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
