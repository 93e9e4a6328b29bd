/**
 * The agent's local registrar (issue 11, agent.calls: local), end to end in network namespaces
 * (test/support/local-rig.ts): a real hub replicates a routing model with extensions 101–104 to a
 * real enrolled `sbc-agent run`; phones on the agent's LAN register to the agent itself, checked
 * against the HA1s of the snapshot. Shown: baresip and SIPp phones register with the right
 * password and `status` lists them (extension, contact, source, user agent, expiry); a wrong
 * password is challenged again, the phone gives up, and the failure is counted; an unregister
 * removes the binding; the bindings survive an agent restart (registrations.json, 0600).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_LAN, LocalRig, sippTimeline } from '../support/local-rig.js';

let rig: LocalRig;

before(async () => {
  rig = await LocalRig.start({ prefix: 'lreg' });
});

after(async () => {
  await rig?.stop();
});

test('the agent runs in local mode with the model from the hub; status says so', async () => {
  const s = await rig.status();
  assert.equal(s.parts.callControl, 'local');
  assert.equal(s.parts.routing?.version, 1, 'the version of the routing file, pushed when the tunnel opened');
  assert.deepEqual(s.parts.local?.registrations, []);
  const text = await rig.statusText();
  assert.match(text, /calls by: +this agent \(local registrar and call control\)/);
});

let sippAddress = '';

test('a SIPp phone registers with digest: 401, then 200 with its Contact; status lists extension, contact, source, user agent, expiry', { timeout: 60_000 }, async () => {
  sippAddress = rig.phoneAddress();
  const run = await rig.sipp('register-103', 'local-register.xml', { extension: '103', address: sippAddress, port: 5070, keys: { expires: '600' } });
  assert.equal(run.code, 0, `${run.stderr}\n${run.trace.slice(-3000)}\nagent: ${rig.agent.stderr.slice(-2000)}`);
  const received = sippTimeline(run.trace).filter((m) => m.direction === 'received').map((m) => m.firstLine);
  assert.deepEqual(received, ['SIP/2.0 401 Unauthorized', 'SIP/2.0 200 OK']);
  const ok = sippTimeline(run.trace).filter((m) => m.direction === 'received')[1]?.text ?? '';
  assert.match(ok, new RegExp(`Contact: <sip:103@${sippAddress.replace(/\./g, '\\.')}:5070>;expires=(600|599)`));
  const s = await rig.statusUntil((x) => (x.parts.local?.registrations.length ?? 0) === 1, 'the binding in status');
  const row = s.parts.local?.registrations[0];
  assert.equal(row?.extension, '103');
  assert.equal(row?.contact, `sip:103@${sippAddress}:5070`);
  assert.equal(row?.source, `UDP ${sippAddress}:5070`);
  assert.equal(row?.userAgent, 'SIPp phone 103');
  assert.ok((row?.expiresInS ?? 0) > 590 && (row?.expiresInS ?? 0) <= 600, String(row?.expiresInS));
});

test('baresip phones register to the agent with their passwords', { timeout: 60_000 }, async () => {
  const a = await rig.baresip('A', '101', 1000);
  const b = await rig.baresip('B', '102', 500);
  await a.waitRegistered();
  await b.waitRegistered();
  const s = await rig.statusUntil((x) => (x.parts.local?.registrations.length ?? 0) === 3, 'three bindings');
  assert.deepEqual(s.parts.local?.registrations.map((r) => r.extension), ['101', '102', '103']);
  assert.match(s.parts.local?.registrations[0]?.userAgent ?? '', /baresip/);
  const text = await rig.statusText();
  assert.match(text, /registrar: +3 bindings/);
  assert.match(text, /101 sip:101\S*@10\.212\.1\.10:5060\S* from UDP 10\.212\.1\.10:5060 \(baresip.*\), \d+ s left/);
});

test('a wrong password is challenged again, the phone gives up, and the failure is counted (also toward blocking)', { timeout: 60_000 }, async () => {
  const status0 = await rig.status();
  const before = status0.parts.local?.authFailures ?? 0;
  const guardBefore = status0.parts.protection?.authFailures ?? 0;
  const run = await rig.sipp('register-104-wrong', 'local-register-refused.xml', { extension: '104', password: 'not-the-password', address: rig.phoneAddress(), port: 5070 });
  assert.equal(run.code, 0, `${run.stderr}\n${run.trace.slice(-3000)}`);
  assert.deepEqual(sippTimeline(run.trace).filter((m) => m.direction === 'received').map((m) => m.firstLine), ['SIP/2.0 401 Unauthorized', 'SIP/2.0 401 Unauthorized']);
  const s = await rig.statusUntil((x) => (x.parts.local?.authFailures ?? 0) === before + 1, 'the failure counted');
  assert.ok(!(s.parts.local?.registrations ?? []).some((r) => r.extension === '104'), 'no binding for 104');
  // The same failure counts toward the protection's blocks (10 from one source block it).
  assert.equal(s.parts.protection?.authFailures, guardBefore + 1, 'counted by the protection guard too');
  await rig.agent.waitForStderr(/registration refused/, 5_000);
});

test('an unknown extension is refused with 403 after its attempt', { timeout: 60_000 }, async () => {
  const run = await rig.sipp('register-199', 'local-register-refused.xml', { extension: '199', password: 'whatever', address: rig.phoneAddress(), port: 5070 });
  assert.equal(run.code, 0, `${run.stderr}\n${run.trace.slice(-3000)}`);
  assert.deepEqual(sippTimeline(run.trace).filter((m) => m.direction === 'received').map((m) => m.firstLine), ['SIP/2.0 401 Unauthorized', 'SIP/2.0 403 Forbidden']);
});

test('the bindings survive an agent restart: registrations.json (0600) is read back', { timeout: 90_000 }, async () => {
  const file = join(rig.agentState, 'agent', 'registrations.json');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { bindings: { extension: string }[] };
  assert.deepEqual(stored.bindings.map((b) => b.extension).sort(), ['101', '102', '103']);
  assert.equal(await rig.stopAgent(), 0);
  await rig.startAgent();
  // Before any phone refreshes (baresip every 60 s, SIPp never): the stored bindings are there.
  const s = await rig.statusUntil((x) => (x.parts.local?.registrations.length ?? 0) === 3, 'the stored bindings after the restart', 15_000);
  assert.equal(s.parts.local?.registrations.find((r) => r.extension === '103')?.source, `UDP ${sippAddress}:5070`);
  await rig.agent.waitForStderr(/registrations loaded from disk/, 5_000);
});

test('an unregister (Expires: 0) removes the binding, in status and in the file', { timeout: 60_000 }, async () => {
  const run = await rig.sipp('unregister-103', 'local-register.xml', { extension: '103', address: sippAddress, port: 5070, keys: { expires: '0' } });
  assert.equal(run.code, 0, `${run.stderr}\n${run.trace.slice(-3000)}`);
  const ok = sippTimeline(run.trace).filter((m) => m.direction === 'received')[1]?.text ?? '';
  assert.doesNotMatch(ok, /Contact: <sip:103@/);
  await rig.statusUntil((x) => !(x.parts.local?.registrations ?? []).some((r) => r.extension === '103'), 'the binding gone');
  const stored = JSON.parse(readFileSync(join(rig.agentState, 'agent', 'registrations.json'), 'utf8')) as { bindings: { extension: string }[] };
  assert.ok(!stored.bindings.some((b) => b.extension === '103'));
  assert.ok(AGENT_LAN.length > 0);
});
