/**
 * The quick start (`npm start` runs `sbc-agent demo`): a hub with its built-in PBX and an agent
 * (`sbc-agent run`, a child process) enroll through the real HTTPS endpoint, bring the tunnel up
 * over TLS and print its status and what to point a softphone at. `--once`
 * exits 0 once the status is printed; a second run on the same state directory reuses the
 * identity instead of enrolling again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port.js';
import { runCli, statusJson } from '../support/integ-process.js';

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sbc-e2e-demo-'));
  PORTS = ['--tunnel-port', String(await freePort()), '--wss-port', String(await freePort()), '--enroll-port', '0', '--sip-port', '0', '--pbx-port', '0', '--no-admin'];
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Tunnel ports fixed for both runs (the enrollment stores them; other ones need a new enrollment). */
let PORTS: string[];

test('demo --once: enrolls the agent, brings the tunnel up over TLS, prints the status of both sides, exits 0', async () => {
  const stateDir = join(dir, 'state');
  const r = await runCli(['demo', '--once', '--state-dir', stateDir, ...PORTS]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^hub: +enrollment https:\/\/127\.0\.0\.1:\d+\/enroll\/, tunnel 127\.0\.0\.1:\d+ \(TLS\), wss:\/\/127\.0\.0\.1:\d+\/tunnel \(WSS\)$/m);
  assert.match(r.stdout, /^hub: +added SBC 'demo-branch': provisioning URL https:\/\/127\.0\.0\.1:\d+\/enroll\/[a-z0-9]+, a one-time auth key, fingerprint ([0-9A-F]{2}:){31}[0-9A-F]{2}$/m);
  assert.match(r.stdout, /^agent: Enrolled as SBC 'demo-branch' \(id [a-z0-9]+\)\.$/m);
  assert.match(r.stdout, /^agent: tunnel up over TLS$/m);
  // The status text, as `sbc-agent status` prints it, for both sides: the tunnel up with its counters.
  assert.match(r.stdout, /^ {2}SBCs: +1 enrolled, 0 pending, 0 revoked$/m);
  assert.match(r.stdout, /^ {4}demo-branch: up, over TLS, rtt [\d.]+ ms, up \d+ s, 0 reconnects, sent \d+ B\/\d+ frames, received \d+ B\/\d+ frames, 0 datagrams dropped$/m);
  assert.match(r.stdout, /^ {4}127\.0\.0\.1:\d+: up, over TLS, rtt [\d.]+ ms, up \d+ s, 0 reconnects, sent \d+ B\/\d+ frames, received \d+ B\/\d+ frames, 0 datagrams dropped$/m);
  // The PBX in a box: the built-in PBX, the agent's SIP listener and what to point a softphone at.
  assert.match(r.stdout, /^demo: +wrote the demo routing model .*routing\.yaml \(extensions 1001-1003 with new passwords, ring group 2000\)$/m);
  assert.match(r.stdout, /^hub: +built-in PBX 127\.0\.0\.1:\d+, routing model .*routing\.yaml \(version 1\)$/m);
  assert.match(r.stdout, /^agent: SBC 'demo-branch', phones use 127\.0\.0\.1:\d+ as outbound proxy/m);
  assert.match(r.stdout, /^Point a softphone at SIP server 127\.0\.0\.1:\d+ /m);
  assert.equal([...r.stdout.matchAll(/^ {2}user (100[123]) {2}password [a-z2-7]{16} {2}\(domain 127\.0\.0\.1\)$/gm)].length, 3);
  assert.match(r.stdout, /^agent: stopped$/m);
  assert.match(r.stdout, /^demo: stopped$/m);
  // Stopped: both status files are gone, the state stays.
  const after = await statusJson(stateDir);
  assert.equal(after.hub?.running, false);
  assert.equal(after.agent?.running, false);
  assert.equal(after.agent?.sbc.name, 'demo-branch');
});

test('demo --once again on the same state directory reuses the enrolled identity', async () => {
  const stateDir = join(dir, 'state');
  const r = await runCli(['demo', '--once', '--state-dir', stateDir, ...PORTS]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^agent: already enrolled as SBC 'demo-branch'/m);
  assert.doesNotMatch(r.stdout, /one-time auth key/);
  assert.match(r.stdout, /^ {4}demo-branch: up, over TLS, rtt/m);
  // The model is written once: its passwords stay for the softphones set up with them.
  assert.doesNotMatch(r.stdout, /wrote the demo routing model/);
});

test('demo refuses a port that is not a number', async () => {
  const r = await runCli(['demo', '--once', '--tunnel-port', 'x']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--tunnel-port 'x' is not a port number/);
});
