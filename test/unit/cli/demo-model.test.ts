/**
 * The demo's files (src/cli/demo-model.ts): the routing model it writes is one the hub accepts
 * (extensions 1001–1003 with fresh passwords, ring group 2000, an inbound rule), is written only
 * once, and gives its accounts back; demo.json round-trips and a broken one is refused naming it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/core/index.js';
import { parseRoutingYaml } from '../../../src/routing/index.js';
import { demoAccounts, demoRoutingYaml, ensureDemoModel, readDemoInfo, writeDemoInfo, type DemoInfo } from '../../../src/cli/demo-model.js';

test('the demo model is valid: 1001-1003, ring-all group 2000 of them, every DID to it', () => {
  const model = parseRoutingYaml(demoRoutingYaml(), { allowPasswords: true });
  assert.deepEqual(model.extensions.map((e) => e.number), ['1001', '1002', '1003']);
  assert.deepEqual(model.ringGroups.map((g) => [g.number, g.strategy, g.members]), [['2000', 'ring-all', ['1001', '1002', '1003']]]);
  assert.equal(model.inbound.length, 1);
  assert.ok(model.extensions.every((e) => /^[0-9a-f]{32}$/.test(e.ha1)));
});

test('each demo model gets its own passwords', () => {
  assert.notEqual(demoRoutingYaml(), demoRoutingYaml());
});

test('ensureDemoModel writes once (0600) and demoAccounts reads the passwords back', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-unit-demo-model-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  assert.equal(await ensureDemoModel(dir), true);
  const first = await readFile(join(dir, 'routing.yaml'), 'utf8');
  assert.equal(await ensureDemoModel(dir), false);
  assert.equal(await readFile(join(dir, 'routing.yaml'), 'utf8'), first);
  const accounts = await demoAccounts(dir);
  assert.deepEqual(accounts.map((a) => a.user), ['1001', '1002', '1003']);
  for (const a of accounts) assert.ok(first.includes(`password: ${a.password}`), a.user);
});

test('demo.json round-trips; absent is undefined', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-unit-demo-info-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  assert.equal(await readDemoInfo(dir), undefined);
  const info: DemoInfo = { pid: 42, sip: { host: '127.0.0.1', port: 15060 }, realm: 'sbc-agent.demo', accounts: [{ user: '1001', password: 'x' }], ringGroup: '2000' };
  await writeDemoInfo(dir, info);
  assert.deepEqual(await readDemoInfo(dir), info);
});

const broken: { name: string; text: string }[] = [
  { name: 'not JSON', text: '{pid: 1' },
  { name: 'no sip', text: '{"pid": 1, "accounts": []}' },
  { name: 'port a string', text: '{"pid": 1, "sip": {"host": "127.0.0.1", "port": "15060"}, "accounts": []}' },
  { name: 'no accounts', text: '{"pid": 1, "sip": {"host": "127.0.0.1", "port": 15060}}' },
  { name: 'no pid', text: '{"sip": {"host": "127.0.0.1", "port": 15060}, "accounts": []}' },
];

for (const c of broken) {
  test(`a demo.json with ${c.name} is refused naming the file`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'sbc-unit-demo-info-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'demo.json'), c.text);
    await assert.rejects(readDemoInfo(dir), (e: unknown) => e instanceof ConfigError && e.path === join(dir, 'demo.json'));
  });
}
