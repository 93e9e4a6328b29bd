/**
 * The PBX in a box (issue 12, "What must be shown" 3): `sbc-agent demo` run as `npm start` runs it
 * (node dist/src/main.js demo, here with a temporary state directory and free ports), then
 * `sbc-agent demo --call` from a second command line: two built-in phones register through the
 * agent, call through agent, tunnel, hub and the built-in PBX, and each hears the other's tone.
 * The call's record is in the hub's CDR store. A softphone-like SIPp REGISTER with the credentials
 * the demo printed gets 200 from the built-in PBX through the agent; wrong credentials do not.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port.js';
import { CliProcess, runCli } from '../support/integ-process.js';
import { SCENARIOS, spawnCollect } from '../support/pnp-e2e.js';

let dir: string;
let stateDir: string;
let demo: CliProcess;
let sipPort: number;
const passwords = new Map<string, string>();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sbc-e2e-demo-call-'));
  stateDir = join(dir, 'state');
  demo = new CliProcess(['demo', '--state-dir', stateDir, '--tunnel-port', '0', '--wss-port', '0', '--enroll-port', '0', '--sip-port', '0', '--pbx-port', '0', '--no-admin']);
  await demo.waitForOutput(/^Test call between two built-in phones/m, 60_000);
  sipPort = Number(/^Point a softphone at SIP server 127\.0\.0\.1:(\d+) /m.exec(demo.stdout)?.[1]);
  for (const m of demo.stdout.matchAll(/^ {2}user (\d+) {2}password (\S+) {2}\(domain 127\.0\.0\.1\)$/gm)) passwords.set(m[1] ?? '', m[2] ?? '');
});

after(async () => {
  await demo.stop('SIGINT');
  await rm(dir, { recursive: true, force: true });
});

test('the demo prints a SIP server and a password for each of 1001-1003, and writes demo.json', () => {
  assert.ok(sipPort > 0, demo.stdout);
  assert.deepEqual([...passwords.keys()], ['1001', '1002', '1003']);
  for (const p of passwords.values()) assert.match(p, /^[a-z2-7]{16}$/);
  const info = JSON.parse(readFileSync(join(stateDir, 'demo.json'), 'utf8')) as { sip: { host: string; port: number }; accounts: { user: string; password: string }[] };
  assert.deepEqual(info.sip, { host: '127.0.0.1', port: sipPort });
  assert.deepEqual(info.accounts.map((a) => [a.user, a.password]), [...passwords]);
  assert.match(demo.stdout, /^hub: +built-in PBX 127\.0\.0\.1:\d+, routing model .*routing\.yaml \(version 1\)$/m);
});

test('demo --call: 1001 calls 1002 through agent, tunnel and the built-in PBX, audio both ways, exit 0', async () => {
  const r = await runCli(['demo', '--call', '--state-dir', stateDir], 60_000);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\ndemo: ${demo.stderr.slice(-3000)}`);
  const m = /^audio 1001→1002: (\d+) packets, 1002→1001: (\d+) packets, OK$/m.exec(r.stdout);
  assert.ok(m !== null, r.stdout);
  process.stdout.write(`# ${m[0]}\n`);
  // 2 s of 20 ms packets is 100 each way; the demo itself refuses fewer than 50.
  assert.ok(Number(m[1]) >= 50 && Number(m[2]) >= 50, m[0]);
  // The built-in PBX's record of the call, in the hub's CDR store.
  const cdr = await runCli(['hub', 'cdr', '--json', '--state-dir', stateDir]);
  assert.equal(cdr.code, 0, cdr.stderr);
  const records = cdr.stdout.trim().split('\n').map((l) => JSON.parse(l) as { caller: string; callee: string; agent: string; endedReason: string; endedBy: string; talkSeconds: number });
  assert.deepEqual(records.map((r) => [r.caller, r.callee, r.agent, r.endedReason, r.endedBy]), [['1001', '1002', 'hub', 'completed', 'caller']]);
  assert.ok((records[0]?.talkSeconds ?? 0) >= 2, cdr.stdout);
  // The same again: the phones unregistered and the PBX forgot their bindings, nothing left over.
  const again = await runCli(['demo', '--call', '--state-dir', stateDir], 60_000);
  assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
});

function sippRegister(user: string, password: string, port: number): Promise<{ code: number | null; trace: string }> {
  const log = join(dir, `sipp-${user}-${port}.log`);
  const run = spawnCollect('sipp', [
    `127.0.0.1:${sipPort}`, '-sf', join(SCENARIOS, 'local-register.xml'), '-s', user, '-au', user, '-ap', password, '-key', 'expires', '120',
    '-i', '127.0.0.1', '-p', String(port), '-m', '1', '-nostdin', '-timeout', '15s', '-trace_msg', '-message_file', log,
  ]);
  return run.done.then((f) => ({ code: f.code, trace: existsSync(log) ? readFileSync(log, 'utf8') : `${f.stdout}\n${f.stderr}` }));
}

test('a softphone (SIPp) registers as 1003 with the printed password: 200 from the built-in PBX through the agent', async () => {
  const r = await sippRegister('1003', passwords.get('1003') ?? '', await freePort());
  assert.equal(r.code, 0, r.trace.slice(-3000));
  assert.match(r.trace, /SIP\/2\.0 200 OK/);
  // The hub's status (rewritten every second) shows the binding in its built-in PBX.
  let last = '';
  for (let i = 0; i < 50; i++) {
    const status = JSON.parse(readFileSync(join(stateDir, 'hub', 'status.json'), 'utf8')) as { parts?: { builtinPbx?: { registrations: { extension: string; userAgent: string | null }[] } } };
    last = JSON.stringify(status.parts?.builtinPbx);
    if (status.parts?.builtinPbx?.registrations.some((b) => b.extension === '1003' && b.userAgent === 'SIPp phone 1003') === true) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`the built-in PBX does not list 1003: ${last}`);
});

const refused: { name: string; user: string; password: () => string }[] = [
  { name: 'a wrong password', user: '1003', password: () => 'not-the-password' },
  { name: "another extension's password", user: '1003', password: () => passwords.get('1001') ?? '' },
  { name: 'an extension the model does not have', user: '1009', password: () => passwords.get('1001') ?? '' },
];

for (const c of refused) {
  test(`a REGISTER with ${c.name} gets no 200`, async () => {
    const r = await sippRegister(c.user, c.password(), await freePort());
    assert.notEqual(r.code, 0, r.trace.slice(-2000));
    assert.doesNotMatch(r.trace, /SIP\/2\.0 200 OK/);
  });
}

test('demo --call without a running demo there says so and exits 4', async () => {
  const r = await runCli(['demo', '--call', '--state-dir', join(dir, 'nothing-here')]);
  assert.equal(r.code, 4, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /no demo is running with state directory .*nothing-here/);
});
