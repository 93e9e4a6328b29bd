import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentRouting, type ConfigSource, type SessionSource } from '../../../src/agent-routing.js';
import { TypedEmitter, silentLogger } from '../../../src/core/index.js';
import { encodeSnapshot, parseRoutingYaml, type RoutingModel } from '../../../src/routing/index.js';

const SECRET = 'Never-Stored-77';
const MODEL = parseRoutingYaml(`version: 1\nrealm: pbx.test\nextensions:\n  - { number: "100", name: A, password: ${SECRET} }\n  - { number: "200", name: B, password: ${SECRET}, homeAgent: other }\n`, { allowPasswords: true });

class FakeSession extends TypedEmitter<{ config: { id: number; data: Buffer } }> implements ConfigSource {}
class FakeClient extends TypedEmitter<{ session: ConfigSource }> implements SessionSource {
  session = new FakeSession();
  reconnect(): FakeSession {
    this.session = new FakeSession();
    this.emit('session', this.session);
    return this.session;
  }
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-agent-routing-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a pushed snapshot is validated, stored 0600 without the password, and loaded again at the next start', () =>
  withDir(async (dir) => {
    const client = new FakeClient();
    const routing = new AgentRouting({ dir, logger: silentLogger });
    await routing.start(client);
    assert.equal(routing.current(), undefined);
    const changed: RoutingModel[] = [];
    routing.on('changed', (m) => changed.push(m));
    await routing.receive(encodeSnapshot(MODEL, 'mine', 4));
    assert.equal(routing.current()?.version, 4);
    assert.deepEqual(routing.current()?.extensions.map((e) => e.number), ['100']);
    assert.deepEqual(changed.map((m) => m.version), [4]);
    const text = await readFile(routing.path, 'utf8');
    assert.ok(!text.includes(SECRET));
    assert.ok(text.includes(MODEL.extensions[0]?.ha1 ?? 'missing'));
    assert.equal((await stat(routing.path)).mode & 0o777, 0o600);
    await routing.close();

    const again = new AgentRouting({ dir, logger: silentLogger });
    await again.start(new FakeClient());
    assert.equal(again.current()?.version, 4);
    assert.equal(again.summary()?.extensions, 1);
    await again.close();
  }));

test('config transfers of the first and of every later session are taken; an older version is ignored', () =>
  withDir(async (dir) => {
    const client = new FakeClient();
    const routing = new AgentRouting({ dir, logger: silentLogger });
    await routing.start(client);
    client.session.emit('config', { id: 1, data: encodeSnapshot(MODEL, 'mine', 5) });
    await routing.close().then(() => undefined);
    assert.equal(routing.current()?.version, 5);
    const r2 = new AgentRouting({ dir, logger: silentLogger });
    const c2 = new FakeClient();
    await r2.start(c2);
    c2.reconnect().emit('config', { id: 1, data: encodeSnapshot(MODEL, 'mine', 7) });
    await r2.receive(encodeSnapshot(MODEL, 'mine', 6));
    assert.equal(r2.current()?.version, 7);
    await r2.close();
    assert.equal(JSON.parse(await readFile(r2.path, 'utf8')).version, 7);
  }));

test('an invalid snapshot is refused and the stored one kept; a broken stored file is ignored', () =>
  withDir(async (dir) => {
    const routing = new AgentRouting({ dir, logger: silentLogger });
    await routing.start(new FakeClient());
    await routing.receive(encodeSnapshot(MODEL, 'mine', 2));
    await routing.receive(Buffer.from(JSON.stringify({ kind: 'routing-snapshot', version: 3, model: { version: 3, extensions: [{ number: 'x' }] } })));
    assert.equal(routing.current()?.version, 2);
    await routing.close();
    assert.equal(JSON.parse(await readFile(routing.path, 'utf8')).version, 2);
    await writeFile(routing.path, '{ broken');
    const fresh = new AgentRouting({ dir, logger: silentLogger });
    await fresh.start(new FakeClient());
    assert.equal(fresh.current(), undefined);
    await fresh.close();
  }));
