import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, silentLogger } from '../../../src/core/index.js';
import { DEFAULT_CONFIG } from '../../../src/config/index.js';
import { BlocksFile, agentBlocksPath } from '../../../src/blocks-file.js';
import { ProtectionService } from '../../../src/protection-service.js';
import { BlockFileError, parseBlocks, serializeBlocks, type BlockEntry } from '../../../src/protect/index.js';

const ENTRY: BlockEntry = { address: '192.0.2.66', reason: 'auth', since: Date.UTC(2026, 0, 1), until: Date.UTC(2026, 0, 1, 1) };

test('entries round-trip through the file format', () => {
  const entries: BlockEntry[] = [ENTRY, { address: '198.51.100.0/24', reason: 'deny', since: Date.UTC(2026, 0, 2), until: undefined }];
  assert.deepEqual(parseBlocks(serializeBlocks(entries), 'blocks.json'), entries);
  assert.deepEqual(parseBlocks(undefined, 'blocks.json'), []);
});

test('a corrupt blocks file is a BlockFileError that names the file and the entry (table)', () => {
  const rows: Array<[string, string, RegExp]> = [
    ['not JSON', '{"version":1,', /not JSON/],
    ['truncated to nothing', '', /not JSON/],
    ['wrong version', '{"version":2,"blocks":[]}', /not a blocks file/],
    ['blocks not a list', '{"version":1,"blocks":{}}', /not a blocks file/],
    ['entry not an object', '{"version":1,"blocks":[5]}', /entry 0 is not an object/],
    ['bad address', '{"version":1,"blocks":[{"address":"nope","reason":"auth","since":"2026-01-01T00:00:00Z","until":null}]}', /entry 0: 'nope'/],
    ['bad reason', '{"version":1,"blocks":[{"address":"192.0.2.1","reason":"mood","since":"2026-01-01T00:00:00Z","until":null}]}', /unknown reason/],
    ['bad since', '{"version":1,"blocks":[{"address":"192.0.2.1","reason":"auth","since":"yesterday","until":null}]}', /'since'/],
    ['bad until', '{"version":1,"blocks":[{"address":"192.0.2.1","reason":"auth","since":"2026-01-01T00:00:00Z","until":"soon"}]}', /'until'/],
  ];
  for (const [name, text, message] of rows) {
    assert.throws(() => parseBlocks(text, '/state/agent/blocks.json'), (error: unknown) => {
      assert.ok(error instanceof BlockFileError, name);
      assert.equal(error.code, 'SBC_ERR_STATE');
      assert.match(error.message, /^\/state\/agent\/blocks\.json: /, name);
      assert.match(error.message, message, name);
      return true;
    }, name);
  }
});

test('BlocksFile: update under the lock, owner-only, read back; a corrupt file refuses to load', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'blocks-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = new BlocksFile(agentBlocksPath(dir));
  assert.deepEqual(await file.read(), []);
  await file.update((entries) => [...entries, ENTRY]);
  await file.update((entries) => [...entries, { ...ENTRY, address: '192.0.2.67' }]);
  assert.deepEqual((await file.read()).map((e) => e.address), ['192.0.2.66', '192.0.2.67']);
  assert.equal((await stat(file.path)).mode & 0o777, 0o600);
  await writeFile(file.path, '{"version":1,"blocks":[');
  await assert.rejects(file.read(), { code: 'SBC_ERR_STATE', name: 'BlockFileError' });
  await assert.rejects(ProtectionService.open({ config: DEFAULT_CONFIG.agent.protection, clock: new ManualClock(), logger: silentLogger, file: file.path }), { name: 'BlockFileError' });
});

test('ProtectionService: a new block is written to the file, read again at the next start, lifted by editing the file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'blocks-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'agent'));
  const path = agentBlocksPath(dir);
  const clock = new ManualClock(0, Date.now());
  const first = await ProtectionService.open({ config: DEFAULT_CONFIG.agent.protection, clock, logger: silentLogger, file: path });
  for (let i = 0; i < 10; i++) first.guard.authFailed('192.0.2.66');
  assert.equal(first.guard.isBlocked('192.0.2.66'), true);
  await first.close();
  assert.match(await readFile(path, 'utf8'), /"address": "192.0.2.66"/);
  const second = await ProtectionService.open({ config: DEFAULT_CONFIG.agent.protection, clock, logger: silentLogger, file: path });
  t.after(() => second.close());
  assert.equal(second.guard.isBlocked('192.0.2.66'), true, 'the block survives a restart');
  await new BlocksFile(path).update((entries) => entries.filter((e) => e.address !== '192.0.2.66'));
  // The watch looks once a second (on the injected clock); the stat and read are real I/O.
  for (let i = 0; i < 50 && second.guard.isBlocked('192.0.2.66'); i++) {
    clock.advance(1000);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(second.guard.isBlocked('192.0.2.66'), false, 'the running service saw the lift');
});

test('ProtectionService.reconfigure: new allow and deny lists apply at once; the blocks held stay', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'blocks-'));
  const clock = new ManualClock(0, Date.now());
  const service = await ProtectionService.open({ config: DEFAULT_CONFIG.agent.protection, clock, logger: silentLogger, file: agentBlocksPath(dir) });
  t.after(async () => {
    await service.close();
    await rm(dir, { recursive: true, force: true });
  });
  for (let i = 0; i < 10; i++) service.guard.authFailed('192.0.2.66');
  assert.equal(service.guard.isBlocked('203.0.113.9'), false);
  service.reconfigure({ ...DEFAULT_CONFIG.agent.protection, deny: [{ address: '203.0.113.0/24', until: undefined }], allow: ['198.51.100.0/24'] });
  assert.equal(service.guard.isBlocked('203.0.113.9'), true, 'the new deny mask');
  assert.equal(service.guard.isBlocked('192.0.2.66'), true, 'the block held before the reload');
  for (let i = 0; i < 20; i++) service.guard.authFailed('198.51.100.5');
  assert.equal(service.guard.isBlocked('198.51.100.5'), false, 'the new allow mask');
  assert.equal(service.guard.counters().authFailures, 30, 'the counters go on across the reload');
});

test('ProtectionService: a burst of 750 blocks (written in batches) is all in the file, the later block of an address replacing the earlier', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'blocks-'));
  const clock = new ManualClock(0, Date.now());
  const service = await ProtectionService.open({ config: DEFAULT_CONFIG.agent.protection, clock, logger: silentLogger, file: agentBlocksPath(dir) });
  t.after(async () => {
    await service.close();
    await rm(dir, { recursive: true, force: true });
  });
  for (let i = 0; i < 500; i++) service.policy.block(`192.0.2.${i % 250}`, 'rate-1', 60_000 + i);
  for (let i = 0; i < 250; i++) service.policy.block(`198.51.100.${i}`, 'rate-2', 3_600_000);
  await service.close();
  const written = await new BlocksFile(agentBlocksPath(dir)).read();
  assert.equal(written.length, 500);
  const first = written.find((e) => e.address === '192.0.2.0');
  assert.equal((first?.until ?? 0) - (first?.since ?? 0), 60_250, 'the later block of an address replaces the earlier');
  assert.equal(service.guard.counters().blocksAdded, 750);
});
