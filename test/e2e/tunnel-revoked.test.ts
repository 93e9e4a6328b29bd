/**
 * Issue 6: a revoked agent is refused with a go-away that says so. A real `sbc-agent hub` process
 * and a real `sbc-agent agent` process, enrolled with `hub add-sbc` + `enroll`: the tunnel comes up
 * over TLS; `hub revoke-sbc` drops it with GO_AWAY(REVOKED) and the agent prints the documented
 * message and exits 15; started again, it is refused at its handshake the same way. Certificates
 * the hub did not issue to an enrolled SBC are refused too: one from another CA at the TLS layer,
 * one from the hub CA but not in the SBC list with GO_AWAY(UNAUTHORIZED).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { realClock } from '../../src/core/index.js';
import { tunnelConnector } from '../../src/net/index.js';
import { GoAwayReason, HubCa, createAgentKeyAndCsr, createTunnelClient, goAwayReasonName, type SessionCloseInfo } from '../../src/tunnel/index.js';
import { enrollByCli, startCliHub, type CliHub } from '../support/cli-hub.js';
import { CliProcess, closedPort, runCli, statusUntil } from '../support/integ-process.js';
import { makeTunnelCerts, type TunnelCerts } from '../support/tunnel-certs.js';

const TLS_PORT = 21290;
const WSS_PORT = 21543;
const REVOKED = /this SBC was revoked by the hub's admin/;

let dir: string;
let hubState: string;
let hub: CliHub;
let certs: TunnelCerts;
const processes: CliProcess[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sbc-e2e-revoked-'));
  hub = await startCliHub({ dir, yaml: `log:\n  level: warn\nhub:\n  tunnel:\n    port: ${TLS_PORT}\n  wss:\n    port: ${WSS_PORT}\n` });
  hubState = hub.state;
  assert.match(hub.process.stdout, new RegExp(`hub: tunnel 127\\.0\\.0\\.1:${TLS_PORT}\\n`));
  assert.match(hub.process.stdout, new RegExp(`hub: wss 127\\.0\\.0\\.1:${WSS_PORT}\\n`));
  certs = makeTunnelCerts();
});

after(async () => {
  for (const p of processes) await p.stop();
  await hub.process.stop();
  certs.remove();
  await rm(dir, { recursive: true, force: true });
});

async function enrolled(name: string): Promise<string> {
  const stateDir = join(dir, name);
  await enrollByCli(hub, name, stateDir);
  return stateDir;
}

function agent(stateDir: string): CliProcess {
  const p = new CliProcess(['agent', '--state-dir', stateDir]);
  processes.push(p);
  return p;
}

test('revoke-sbc drops the running agent with GO_AWAY(REVOKED): message and exit 15; its next handshake is refused the same way', async () => {
  const stateDir = await enrolled('branch-nantes');
  const running = agent(stateDir);
  await running.waitForOutput(/agent: tunnel up over TLS\n/, 30_000);
  const up = await statusUntil(hubState, (s) => s.hub?.tunnels?.some((t) => t.peer === 'branch-nantes' && t.state === 'up') === true, 10_000);
  assert.ok(up.hub?.tunnels?.some((t) => t.peer === 'branch-nantes' && t.state === 'up' && t.carriage === 'tls'), JSON.stringify(up.hub));

  const revoke = await runCli(['hub', 'revoke-sbc', 'branch-nantes', '--state-dir', hubState]);
  assert.equal(revoke.code, 0, revoke.stderr);
  assert.equal(await running.exitWithin(15_000), 15, running.stderr);
  assert.match(running.stderr, REVOKED);
  assert.match(running.stdout, /agent: SBC 'branch-nantes' \(id [a-z0-9]+\)/);

  // Started again with the revoked identity: refused at the handshake (HELLO → GO_AWAY(REVOKED)).
  const again = agent(stateDir);
  assert.equal(await again.exitWithin(30_000), 15, again.stderr);
  assert.match(again.stderr, REVOKED);
  assert.doesNotMatch(again.stdout, /tunnel up/);
  const after = await statusUntil(hubState, (s) => s.hub?.tunnels?.every((t) => t.peer !== 'branch-nantes') === true, 10_000);
  assert.deepEqual(after.hub?.sbcs, { pending: 0, enrolled: 0, revoked: 1 });
  assert.equal(after.hub?.tunnels?.some((t) => t.peer === 'branch-nantes'), false);
});

test('an agent certificate from another CA is refused at the TLS layer', async () => {
  const logged = hub.process.stderr.length;
  const received = await new Promise<number>((resolve) => {
    let bytes = 0;
    const socket = connect({ host: '127.0.0.1', port: TLS_PORT, key: certs.foreignAgent.key, cert: certs.foreignAgent.cert, ca: certs.ca, rejectUnauthorized: false, minVersion: 'TLSv1.3' });
    socket.on('data', (d: Buffer) => (bytes += d.length));
    socket.on('error', () => socket.destroy());
    // TLS 1.3: the client finishes its side first; the hub then verifies the certificate and hangs up.
    socket.once('close', () => resolve(bytes));
  });
  assert.equal(received, 0, 'not a byte of the tunnel reaches a foreign certificate');
  await hub.process.waitForStderr(/tunnel TLS handshake refused/, 10_000, logged);
});

test('a certificate from the hub CA that no enrolled SBC holds gets GO_AWAY(UNAUTHORIZED)', async () => {
  const [caKey, caCert] = await Promise.all([readFile(join(hubState, 'hub', 'ca.key'), 'utf8'), readFile(join(hubState, 'hub', 'ca.crt'), 'utf8')]);
  const forged = createAgentKeyAndCsr('ghost');
  const issued = new HubCa({ keyPem: caKey, certPem: caCert }, realClock).signAgentCsr(forged.csrPem, 'ghost0000');
  const client = createTunnelClient({
    clock: realClock,
    identity: 'ghost0000',
    connect: tunnelConnector({ key: forged.keyPem, cert: issued.certPem, ca: caCert, tls: { host: '127.0.0.1', port: TLS_PORT } }),
  });
  const closed = new Promise<SessionCloseInfo>((resolve) => client.once('close', resolve));
  client.start();
  const info = await closed;
  client.close();
  assert.equal(goAwayReasonName(info.reason), goAwayReasonName(GoAwayReason.UNAUTHORIZED));
  assert.match(info.message, /does not belong to an enrolled SBC/);
});

test('an agent whose hub cannot be reached keeps trying until stopped (exit 0)', async () => {
  const stateDir = await enrolled('branch-brest');
  const dead = await closedPort();
  const p = new CliProcess(['agent', '--state-dir', stateDir, '--hub-tls', `127.0.0.1:${dead}`, '--hub-wss', 'none']);
  processes.push(p);
  await p.waitForOutput(/(agent: next try in [\d.]+ s \(connect ECONNREFUSED[^\n]*\n[\s\S]*){3}/, 20_000);
  assert.ok(p.running);
  assert.equal(await p.stop(), 0);
  assert.match(p.stdout, /agent: stopped\n/);
});

test('an agent that never enrolled says so and exits 18', async () => {
  const r = await runCli(['agent', '--state-dir', join(dir, 'nobody')]);
  assert.equal(r.code, 18, r.stderr);
  assert.match(r.stderr, /this agent is not enrolled .*run 'sbc-agent enroll --url URL --key KEY' first/);
});
