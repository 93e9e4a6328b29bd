/**
 * `sbc-agent hub import-extensions FILE.csv`: the CSV's extensions land in the hub's routing file
 * (added or updated, forwarding of existing ones kept, passwords only as HA1s, version + 1, the
 * file's comments and other sections untouched), and the mistakes are refused with their exit code
 * and the file unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProgram } from '../../../src/program.js';
import { parseRoutingYaml } from '../../../src/routing/index.js';
import { captureIo } from '../../support/cli-io.js';

const ROUTING = `# The branch's PBX model; edited by hand and by import-extensions.
version: 4
realm: branch.example
extensions:
  - number: '101'
    name: Anna
    password: anna-secret
    forwarding:
      available: { noAnswer: 15, internal: 'extension:102', external: 'voicemail:101' }
  - { number: '102', name: Bob, password: bob-secret }
ringGroups:
  # Sales rings both.
  - { number: '600', name: Sales, strategy: ring-all, members: ['101', '102'], noAnswer: 'voicemail:101' }
`;

const CSV = `number,name,password,department,outboundCallerId,emergencyCallerId,homeAgent,enabled
101,Anna Martin,new-anna,,+33100000101,,,yes
103,"Carla, front desk",carla-pw,,,,,true
`;

interface Rig {
  readonly dir: string;
  readonly routing: string;
  run(...argv: string[]): Promise<{ code: number; out: string; err: string }>;
  done(): Promise<void>;
}

async function rig(routing: string | undefined, hubYaml = 'hub:\n  routing: routing.yaml\n'): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-cli-import-'));
  await writeFile(join(dir, 'hub.yaml'), hubYaml);
  if (routing !== undefined) await writeFile(join(dir, 'routing.yaml'), routing);
  await writeFile(join(dir, 'people.csv'), CSV);
  return {
    dir,
    routing: join(dir, 'routing.yaml'),
    async run(...argv) {
      const t = captureIo();
      const code = await runProgram(['hub', 'import-extensions', ...argv, '--config', join(dir, 'hub.yaml')], t.io);
      return { code, out: t.out(), err: t.err() };
    },
    done: () => rm(dir, { recursive: true, force: true }),
  };
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

test('import-extensions adds and updates, keeps forwarding, comments and groups, and stores HA1s only', async () => {
  const r = await rig(ROUTING);
  try {
    const out = await r.run(join(r.dir, 'people.csv'), '--json');
    assert.equal(out.code, 0, out.err);
    assert.deepEqual(JSON.parse(out.out), { file: r.routing, version: 5, added: ['103'], updated: ['101'] });
    const text = await readFile(r.routing, 'utf8');
    assert.match(text, /^# The branch's PBX model/, 'the comment at the top is kept');
    assert.match(text, /# Sales rings both\./, 'the comment in ringGroups is kept');
    assert.doesNotMatch(text, /new-anna|carla-pw/, 'no CSV password in the file');
    const model = parseRoutingYaml(text, { allowPasswords: true });
    assert.equal(model.version, 5);
    const anna = model.extensions.find((e) => e.number === '101');
    assert.equal(anna?.name, 'Anna Martin');
    assert.equal(anna?.ha1, md5('101:branch.example:new-anna'));
    assert.equal(anna?.outboundCallerId, '+33100000101');
    assert.deepEqual(anna?.forwarding.available?.internal, { kind: 'extension', number: '102' }, 'forwarding kept');
    assert.equal(model.extensions.find((e) => e.number === '102')?.ha1, md5('102:branch.example:bob-secret'), 'untouched extension kept');
    assert.equal(model.extensions.find((e) => e.number === '103')?.name, 'Carla, front desk');
    assert.deepEqual(model.ringGroups.map((g) => g.number), ['600']);
  } finally {
    await r.done();
  }
});

test('import-extensions into a routing file that does not exist yet needs --realm, then creates it', async () => {
  const r = await rig(undefined);
  try {
    const refused = await r.run(join(r.dir, 'people.csv'));
    assert.equal(refused.code, 2);
    assert.match(refused.err, /has no extensions yet: give the digest realm .* with --realm/);
    const ok = await r.run(join(r.dir, 'people.csv'), '--realm', 'new.example');
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /imported 2 extensions into .*routing\.yaml \(version 1\): 2 added, 0 updated/);
    const model = parseRoutingYaml(await readFile(r.routing, 'utf8'));
    assert.deepEqual(model.extensions.map((e) => [e.number, e.realm]), [['101', 'new.example'], ['103', 'new.example']]);
  } finally {
    await r.done();
  }
});

const MISTAKES: readonly [string, string | undefined, string, readonly string[], number, RegExp][] = [
  ['no hub.routing in the configuration', ROUTING, 'hub: {}\n', ['people.csv'], 3, /hub\.routing: is not set in .*hub\.yaml/],
  ['a CSV that does not exist', ROUTING, 'hub:\n  routing: routing.yaml\n', ['missing.csv'], 2, /cannot read .*missing\.csv/],
  ['no CSV named', ROUTING, 'hub:\n  routing: routing.yaml\n', [], 2, /name the CSV file/],
];

for (const [name, routing, hubYaml, argv, exit, message] of MISTAKES) {
  test(`import-extensions refuses ${name} (exit ${exit}) and changes nothing`, async () => {
    const r = await rig(routing, hubYaml);
    try {
      const out = await r.run(...argv.map((a) => (a.endsWith('.csv') ? join(r.dir, a) : a)));
      assert.equal(out.code, exit, out.err);
      assert.match(out.err, message);
      assert.equal(await readFile(r.routing, 'utf8'), routing);
    } finally {
      await r.done();
    }
  });
}

test('import-extensions refuses a bad CSV cell naming the file, line and column, and leaves the file as it was', async () => {
  const r = await rig(ROUTING);
  try {
    await writeFile(join(r.dir, 'bad.csv'), 'number,name,password,department,outboundCallerId,emergencyCallerId,homeAgent,enabled\n104,Dan,,,,,,\n');
    const bad = await r.run(join(r.dir, 'bad.csv'));
    assert.equal(bad.code, 3);
    assert.match(bad.err, /bad\.csv, line 2, column 3 \(password\)/);
    assert.equal(await readFile(r.routing, 'utf8'), ROUTING);
  } finally {
    await r.done();
  }
});
