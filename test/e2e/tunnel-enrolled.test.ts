/**
 * Issue 6, item 2, end to end from enrollment: a hub process (the real hub composition with an echo
 * hook, test/support/integ-hub.ts) and an agent enrolled the way a person does it (`sbc-agent hub
 * add-sbc --json`, then `sbc-agent enroll --url --key --fingerprint` as processes). The agent
 * process (src/agent-tunnel.ts, test/support/integ-agent.ts) brings the tunnel up with the stored
 * identity over TLS; 50 streams each carry 1,000 SIP-sized messages that come back intact and in
 * order; datagram channels carry RTP-sized packets. The same over WSS when the TLS port is closed.
 * `sbc-agent status --json` on both sides shows the tunnel up with its counters.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INTEG_AGENT_JS, INTEG_HUB_JS, JsonPeer, closedPort, runCli, statusUntil, type StatusJson, type TunnelJson } from '../support/integ-process.js';

// Fixed ports from this suite's range (the enrolled identity carries them); files run one at a time.
const TLS_PORT = 21190;
const WSS_PORT = 21443;
const STREAMS = 50;
const MESSAGES = 1000;
const SIZE = 800;

let dir: string;
let hubState: string;
let agentState: string;
let hub: JsonPeer;
const agents: JsonPeer[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sbc-e2e-enrolled-'));
  hubState = join(dir, 'hub-state');
  agentState = join(dir, 'agent-state');
  const config = join(dir, 'hub.yaml');
  await writeFile(
    config,
    `log:\n  level: warn\nhub:\n  enrollment:\n    listen: 127.0.0.1\n  tunnel:\n    listen: 127.0.0.1\n    port: ${TLS_PORT}\n  wss:\n    listen: 127.0.0.1\n    port: ${WSS_PORT}\n`,
  );
  hub = new JsonPeer(INTEG_HUB_JS, ['--state-dir', hubState, '--config', config]);
});

after(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

function tunnelOf(s: StatusJson, role: 'hub' | 'agent', carriage: 'tls' | 'wss'): TunnelJson | undefined {
  return s[role]?.running === true ? s[role]?.tunnels?.find((t) => t.state === 'up' && t.carriage === carriage) : undefined;
}

async function exchange(agent: JsonPeer): Promise<string> {
  agent.send({ cmd: 'streams', count: STREAMS, messages: MESSAGES, size: SIZE });
  const done = await agent.waitFor('streams-done', 180_000);
  assert.deepEqual(done['errors'], []);
  assert.deepEqual(done['perStream'], new Array<number>(STREAMS).fill(MESSAGES));
  agent.send({ cmd: 'channels', count: 4, packets: 250, intervalMs: 2 });
  const media = (await agent.waitFor('channels-done', 60_000))['channels'] as Array<{ sent: number; received: number; corrupted: number; duplicates: number }>;
  assert.equal(media.length, 4);
  for (const c of media) {
    assert.equal(c.sent, 250);
    assert.equal(c.corrupted, 0);
    assert.equal(c.duplicates, 0);
    // Unreliable by design (a full queue drops the oldest), but nothing congests loopback at this rate.
    assert.ok(c.received >= 0.95 * c.sent, `channel echoed ${c.received} of ${c.sent}`);
  }
  return `${STREAMS * MESSAGES} messages echoed in ${String(done['ms'])} ms; datagrams echoed ${media.map((c) => `${c.received}/${c.sent}`).join(', ')}`;
}

function assertCounters(t: TunnelJson | undefined, carriage: 'tls' | 'wss', minBytes: number, side: string): void {
  assert.ok(t !== undefined, `${side}: a tunnel up`);
  assert.equal(t.carriage, carriage, side);
  assert.equal(typeof t.rttMs, 'number', `${side}: rtt`);
  assert.ok((t.sent?.bytes ?? 0) >= minBytes && (t.received?.bytes ?? 0) >= minBytes, `${side}: bytes ${JSON.stringify(t)}`);
  assert.ok((t.sent?.frames ?? 0) >= STREAMS * MESSAGES && (t.received?.frames ?? 0) >= STREAMS * MESSAGES, `${side}: frames ${JSON.stringify(t)}`);
  assert.equal(t.droppedDatagrams, 0, side);
}

test('enroll with a fresh key, then the tunnel over TLS: 50 streams × 1,000 SIP messages, RTP datagrams, status on both sides', async (t) => {
  const listening = await hub.waitFor('listening', 30_000);
  const enroll = (listening['listeners'] as Array<{ name: string; port: number }>).find((l) => l.name === 'enrollment');
  assert.ok(enroll !== undefined);
  const added = await runCli(['hub', 'add-sbc', '--name', 'branch-lyon', '--state-dir', hubState, '--url-host', `127.0.0.1:${enroll.port}`, '--json']);
  assert.equal(added.code, 0, added.stderr);
  const key = JSON.parse(added.stdout) as { url: string; key: string; fingerprint: string };
  assert.equal(key.fingerprint, listening['fingerprint']);
  const enrolled = await runCli(['enroll', '--url', key.url, '--key', key.key, '--fingerprint', key.fingerprint, '--state-dir', agentState]);
  assert.equal(enrolled.code, 0, enrolled.stderr);
  assert.match(enrolled.stdout, new RegExp(`hub tunnel: +127\\.0\\.0\\.1:${TLS_PORT} \\(TLS\\), wss://127\\.0\\.0\\.1:${WSS_PORT}/tunnel \\(WSS\\)`));

  const agent = new JsonPeer(INTEG_AGENT_JS, ['--state-dir', agentState]);
  agents.push(agent);
  const open = await agent.waitFor('open', 30_000);
  assert.equal(open['carriage'], 'tls');
  const session = await hub.waitFor('session', 10_000);
  assert.equal(session['carriage'], 'tls');
  t.diagnostic(await exchange(agent));

  const minBytes = STREAMS * MESSAGES * SIZE;
  const ok = (s: StatusJson): boolean => (tunnelOf(s, 'hub', 'tls')?.received?.bytes ?? 0) >= minBytes && tunnelOf(s, 'hub', 'tls')?.rttMs !== undefined;
  const hubStatus = await statusUntil(hubState, ok, 10_000);
  assert.equal(tunnelOf(hubStatus, 'hub', 'tls')?.peer, 'branch-lyon', 'the hub names the SBC');
  assertCounters(tunnelOf(hubStatus, 'hub', 'tls'), 'tls', minBytes, 'hub');
  assert.deepEqual(hubStatus.hub?.sbcs, { pending: 0, enrolled: 1, revoked: 0 });
  const agentStatus = await statusUntil(agentState, (s) => (tunnelOf(s, 'agent', 'tls')?.sent?.bytes ?? 0) >= minBytes && tunnelOf(s, 'agent', 'tls')?.rttMs !== undefined, 10_000);
  assertCounters(tunnelOf(agentStatus, 'agent', 'tls'), 'tls', minBytes, 'agent');
  assert.equal(tunnelOf(agentStatus, 'agent', 'tls')?.peer, `127.0.0.1:${TLS_PORT}`);
  assert.equal(agentStatus.agent?.sbc.name, 'branch-lyon');

  // The hub recorded the handshake.
  const list = await runCli(['hub', 'list-sbc', '--json', '--state-dir', hubState]);
  const rows = JSON.parse(list.stdout) as Array<{ name: string; state: string; lastSeen: string | null }>;
  assert.equal(rows[0]?.state, 'enrolled');
  assert.ok(rows[0]?.lastSeen !== null, 'lastSeen is set at the handshake');
  await agent.stop();
});

test('the same over WSS: the TLS port is closed, the agent falls back and the same traffic passes', async (t) => {
  const dead = await closedPort();
  const agent = new JsonPeer(INTEG_AGENT_JS, ['--state-dir', agentState, '--hub-tls', `127.0.0.1:${dead}`]);
  agents.push(agent);
  const open = await agent.waitFor('open', 30_000);
  assert.equal(open['carriage'], 'wss');
  t.diagnostic(await exchange(agent));
  const minBytes = STREAMS * MESSAGES * SIZE;
  const hubStatus = await statusUntil(hubState, (s) => (tunnelOf(s, 'hub', 'wss')?.received?.bytes ?? 0) >= minBytes && tunnelOf(s, 'hub', 'wss')?.rttMs !== undefined, 10_000);
  assertCounters(tunnelOf(hubStatus, 'hub', 'wss'), 'wss', minBytes, 'hub');
  const agentStatus = await statusUntil(agentState, (s) => (tunnelOf(s, 'agent', 'wss')?.sent?.bytes ?? 0) >= minBytes && tunnelOf(s, 'agent', 'wss')?.rttMs !== undefined, 10_000);
  assertCounters(tunnelOf(agentStatus, 'agent', 'wss'), 'wss', minBytes, 'agent');
  await agent.stop();
});
