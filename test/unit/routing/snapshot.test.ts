import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptsSnapshot, branchModel, decodeSnapshot, encodeSnapshot, nextVersion, parseRoutingYaml } from '../../../src/routing/index.js';

const SECRET = 'Plaintext-Secret-42';
const MODEL_YAML = `
version: 3
realm: pbx.test
extensions:
  - { number: "100", name: Global, password: ${SECRET} }
  - { number: "201", name: Paris A, password: ${SECRET}, homeAgent: paris, department: sales }
  - { number: "202", name: Paris B, password: ${SECRET}, homeAgent: paris }
  - { number: "301", name: Lyon A, password: ${SECRET}, homeAgent: lyon, department: support }
ringGroups:
  - { number: "600", name: Mixed, strategy: ring-all, members: ["201", "301", "100"] }
  - { number: "601", name: Lyon only, strategy: ring-all, members: ["301"] }
outbound:
  - { name: sales, prefixes: "0", departments: [sales], routes: [{ trunk: paris-gw }] }
  - { name: support, prefixes: "0", departments: [support], routes: [{ trunk: lyon-gw }] }
  - { name: all, prefixes: "00", routes: block }
trunks:
  - { name: paris-gw, kind: ip, host: 192.0.2.1 }
  - { name: lyon-gw, kind: ip, host: 192.0.2.2 }
localTrunks:
  paris: paris-gw
  lyon: lyon-gw
`;

const MODEL = parseRoutingYaml(MODEL_YAML, { allowPasswords: true });

/** Which extensions, groups (with members), outbound rules and local trunks reach which branch. */
const ROWS: readonly { branch: string; extensions: string[]; groups: Record<string, string[]>; outbound: string[]; local: Record<string, string> }[] = [
  { branch: 'paris', extensions: ['100', '201', '202'], groups: { '600': ['201', '100'] }, outbound: ['sales', 'all'], local: { paris: 'paris-gw' } },
  { branch: 'lyon', extensions: ['100', '301'], groups: { '600': ['301', '100'], '601': ['301'] }, outbound: ['support', 'all'], local: { lyon: 'lyon-gw' } },
  { branch: 'nice', extensions: ['100'], groups: { '600': ['100'] }, outbound: ['all'], local: {} },
];

for (const row of ROWS) {
  test(`branch ${row.branch} gets its extensions, groups, rules and local trunk, and the snapshot validates`, () => {
    const m = branchModel(MODEL, row.branch);
    assert.deepEqual(m.extensions.map((e) => e.number), row.extensions);
    assert.deepEqual(Object.fromEntries(m.ringGroups.map((g) => [g.number, [...g.members]])), row.groups);
    assert.deepEqual(m.outbound.map((r) => r.name), row.outbound);
    assert.deepEqual(m.localTrunks, row.local);
    const bytes = encodeSnapshot(MODEL, row.branch, 9);
    assert.ok(!bytes.toString('utf8').includes(SECRET), 'no plaintext password in the snapshot');
    const back = decodeSnapshot(bytes);
    assert.equal(back.version, 9);
    assert.deepEqual(back, { ...m, version: 9 });
  });
}

test('version rules: the hub never goes backwards; the agent keeps the newest', () => {
  assert.equal(nextVersion(3, undefined), 3);
  assert.equal(nextVersion(3, 3), 4);
  assert.equal(nextVersion(10, 4), 10);
  assert.equal(nextVersion(1, 7), 8);
  const v = (version: number) => ({ ...MODEL, version });
  assert.equal(acceptsSnapshot(undefined, v(1)), true);
  assert.equal(acceptsSnapshot(v(5), v(5)), true);
  assert.equal(acceptsSnapshot(v(5), v(6)), true);
  assert.equal(acceptsSnapshot(v(5), v(4)), false);
});

const good = JSON.parse(encodeSnapshot(MODEL, 'paris', 4).toString('utf8')) as Record<string, unknown>;
const BAD: readonly { name: string; bytes: Buffer; path: string }[] = [
  { name: 'not JSON', bytes: Buffer.from('{'), path: '(snapshot)' },
  { name: 'an array', bytes: Buffer.from('[]'), path: '(snapshot)' },
  { name: 'another kind', bytes: Buffer.from(JSON.stringify({ ...good, kind: 'other' })), path: 'kind' },
  { name: 'versions differ', bytes: Buffer.from(JSON.stringify({ ...good, version: 5 })), path: 'version' },
  { name: 'a password in the model', bytes: Buffer.from(JSON.stringify({ ...good, model: { ...(good['model'] as object), extensions: [{ number: '1', name: 'x', realm: 'pbx.test', password: SECRET }] } })), path: 'extensions[0].password' },
];
for (const row of BAD) {
  test(`an invalid snapshot is refused: ${row.name}`, () => {
    assert.throws(() => decodeSnapshot(row.bytes), { code: 'SBC_ERR_CONFIG', path: row.path });
  });
}
