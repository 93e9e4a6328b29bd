import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProgram } from '../../../src/program.js';
import { BlocksFile, agentBlocksPath } from '../../../src/blocks-file.js';
import { blocksSource } from '../../../src/cli/run-admin.js';
import { captureIo } from '../../support/cli-io.js';

async function stateDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'blocks-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('blocks: argument errors exit 2 with the argument named (table)', async (t) => {
  const dir = await stateDir(t);
  const rows: Array<[string[], number, RegExp]> = [
    [['blocks', 'lift'], 2, /blocks lift needs the ADDRESS/],
    [['blocks', 'deny'], 2, /blocks deny needs an ADDRESS or MASK/],
    [['blocks', 'deny', 'pbx.example'], 2, /'pbx.example' is not an address or a mask/],
    [['blocks', 'deny', '192.0.2.0/40'], 2, /the mask must be 0 to 32/],
    [['blocks', 'deny', '192.0.2.1', '--for', '7 days'], 2, /--for '7 days' is not a duration/],
    [['blocks', 'deny', '192.0.2.1', '--for', '100000d'], 2, /from 1s to 3650d/],
    [['blocks', '--for', '7d'], 2, /--for goes with blocks deny/],
    [['blocks', 'purge'], 2, /unknown blocks subcommand 'purge'/],
    [['blocks', 'lift', '192.0.2.1', 'extra'], 2, /unexpected argument 'extra'/],
    [['blocks', 'lift', '192.0.2.1'], 2, /no block on 192.0.2.1 in .*blocks\.json/],
    [['blocks', '--json', '--json'], 2, /--json is given more than once/],
    [['hub', 'unlock'], 2, /hub unlock needs the ADDRESS/],
    [['hub', 'unlock', '192.0.2.1'], 4, /no hub in /],
  ];
  for (const [argv, code, message] of rows) {
    const io = captureIo();
    assert.equal(await runProgram([...argv, '--state-dir', dir], io.io), code, argv.join(' '));
    assert.match(io.err(), message, argv.join(' '));
  }
});

test('blocks: deny, list (text and JSON), lift', async (t) => {
  const dir = await stateDir(t);
  const deny = captureIo();
  assert.equal(await runProgram(['blocks', 'deny', '198.51.100.9/24', '--for', '7d', '--state-dir', dir], deny.io), 0);
  assert.match(deny.out(), /198\.51\.100\.0\/24 denied for 1w/);
  const list = captureIo();
  assert.equal(await runProgram(['blocks', '--state-dir', dir], list.io), 0);
  assert.match(list.out(), /^ADDRESS +REASON +SINCE +UNTIL\n198\.51\.100\.0\/24 +deny /);
  const json = captureIo();
  assert.equal(await runProgram(['blocks', '--json', '--state-dir', dir], json.io), 0);
  const doc = JSON.parse(json.out()) as { blocks: { address: string; reason: string; until: string | null }[] };
  assert.equal(doc.blocks.length, 1);
  assert.equal(doc.blocks[0]?.reason, 'deny');
  assert.notEqual(doc.blocks[0]?.until, null);
  const lift = captureIo();
  assert.equal(await runProgram(['blocks', 'lift', '198.51.100.0/24', '--state-dir', dir], lift.io), 0);
  assert.deepEqual(await new BlocksFile(agentBlocksPath(dir)).read(), []);
});

test('blocks: a corrupt blocks file exits 4 and names the file', async (t) => {
  const dir = await stateDir(t);
  await mkdir(join(dir, 'agent'));
  await writeFile(agentBlocksPath(dir), 'not json');
  const io = captureIo();
  assert.equal(await runProgram(['blocks', '--state-dir', dir], io.io), 4);
  assert.match(io.err(), /blocks\.json: not JSON/);
});

test("the agent admin API's blocks: the file `blocks` lists, expired entries left out; DELETE lifts one; a bad address is a 400 naming it", async (t) => {
  const dir = await stateDir(t);
  const now = Date.now();
  await new BlocksFile(agentBlocksPath(dir)).update(() => [
    { address: '192.0.2.7', reason: 'auth', since: now - 60_000, until: now + 3_600_000 },
    { address: '198.51.100.0/24', reason: 'deny', since: now - 120_000, until: undefined },
    { address: '203.0.113.9', reason: 'rate-1', since: now - 600_000, until: now - 1000 },
  ]);
  const source = blocksSource(dir);
  assert.deepEqual((await source.blocks()).map((b) => [b.address, b.reason, b.until === null]), [['192.0.2.7', 'auth', false], ['198.51.100.0/24', 'deny', true]]);
  const cli = captureIo();
  assert.equal(await runProgram(['blocks', '--json', '--state-dir', dir], cli.io), 0);
  assert.deepEqual(JSON.parse(cli.out()), { blocks: await source.blocks() }, 'the same rows as `blocks --json`');
  assert.deepEqual(await source.liftBlock('198.51.100.0/24'), { address: '198.51.100.0/24', reason: 'deny', since: new Date(now - 120_000).toISOString(), until: null });
  assert.equal(await source.liftBlock('198.51.100.0/24'), undefined, 'lifted once');
  assert.deepEqual((await new BlocksFile(agentBlocksPath(dir)).read()).map((e) => e.address), ['192.0.2.7', '203.0.113.9'], 'the file the running protection watches');
  for (const bad of ['pbx.example', '192.0.2.0/40', '']) await assert.rejects(source.liftBlock(bad), { code: 'SBC_ERR_ADMIN_REQUEST', status: 400, field: 'address' }, bad);
});
