import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubRouting, type PushTarget, type SessionHost } from '../../../src/hub-routing.js';
import { ManualClock, TypedEmitter, silentLogger } from '../../../src/core/index.js';
import { decodeSnapshot } from '../../../src/routing/index.js';

const SECRET = 'Hub-Side-Secret-9';
const yaml = (version: number, extra = ''): string =>
  `version: ${version}\nrealm: pbx.test\nextensions:\n  - { number: "100", name: A, password: ${SECRET}, homeAgent: paris }\n  - { number: "200", name: B, password: ${SECRET}, homeAgent: lyon }\n${extra}`;

class FakeSession implements PushTarget {
  readonly pushed: Buffer[] = [];
  constructor(readonly name: string) {}
  pushConfig(data: Buffer): number {
    this.pushed.push(data);
    return this.pushed.length;
  }
  versions(): number[] {
    return this.pushed.map((b) => decodeSnapshot(b).version);
  }
}
class FakeServer extends TypedEmitter<{ session: FakeSession; resumed: FakeSession }> implements SessionHost<FakeSession> {
  readonly list: FakeSession[] = [];
  sessions(): FakeSession[] {
    return this.list;
  }
  open(name: string): FakeSession {
    const s = new FakeSession(name);
    this.list.push(s);
    this.emit('session', s);
    return s;
  }
}

async function setup(text: string): Promise<{ dir: string; path: string; server: FakeServer; routing: HubRouting<FakeSession> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-hub-routing-'));
  const path = join(dir, 'routing.yaml');
  await writeFile(path, text);
  const server = new FakeServer();
  const routing = new HubRouting({ path, server, sbcName: (s: FakeSession) => s.name, clock: new ManualClock(), logger: silentLogger });
  return { dir, path, server, routing };
}

test('each session gets its branch snapshot on open and on every change, versions never go back, no password leaves', async () => {
  const { dir, path, server, routing } = await setup(yaml(5));
  try {
    const early = server.open('paris');
    await routing.start();
    const late = server.open('lyon');
    assert.deepEqual(early.versions(), [5]);
    assert.deepEqual(late.versions(), [5]);
    assert.deepEqual(decodeSnapshot(late.pushed[0] ?? Buffer.alloc(0)).extensions.map((e) => e.number), ['200']);
    await routing.poll();
    assert.deepEqual(early.versions(), [5], 'an unchanged file pushes nothing');
    await writeFile(path, yaml(2, 'blacklist: ["0900*"]\n'));
    await routing.poll();
    assert.deepEqual(early.versions(), [5, 6], 'a lower file version still moves forward');
    await writeFile(path, yaml(40));
    await routing.poll();
    assert.deepEqual(late.versions(), [5, 6, 40]);
    await writeFile(path, 'version: 41\nextensions: [{ number: x }]\n');
    await routing.poll();
    assert.deepEqual(late.versions(), [5, 6, 40], 'an invalid change pushes nothing');
    assert.equal(routing.current()?.version, 40);
    for (const s of [early, late]) for (const b of s.pushed) assert.ok(!b.toString('utf8').includes(SECRET));
  } finally {
    await routing.close();
    await rm(dir, { recursive: true, force: true });
  }
});

const BROKEN: readonly { name: string; text: string | undefined; path: RegExp }[] = [
  { name: 'an unknown field', text: 'version: 1\nbogus: 1\n', path: /^hub\.routing \(.*routing\.yaml\): bogus$/ },
  { name: 'a group with an unknown member', text: 'version: 1\nringGroups: [{ number: "600", name: G, strategy: ring-all, members: ["9"] }]\n', path: /: ringGroups\[0\]\.members\[0\]$/ },
  { name: 'no file', text: undefined, path: /^hub\.routing$/ },
];
for (const row of BROKEN) {
  test(`a broken routing file stops the start: ${row.name}`, async () => {
    const { dir, path, routing } = await setup('');
    try {
      if (row.text === undefined) await rm(path);
      else await writeFile(path, row.text);
      await assert.rejects(routing.start(), (err: unknown) => {
        assert.ok(err instanceof Error && 'code' in err && err.code === 'SBC_ERR_CONFIG' && 'path' in err && typeof err.path === 'string' && row.path.test(err.path), String(err));
        return true;
      });
    } finally {
      await routing.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
}
