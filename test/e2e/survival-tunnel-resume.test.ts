/**
 * Issue 12: a call up THROUGH THE TUNNEL survives a 4-minute WAN outage (inside the hub's resume
 * window, 5 minutes by default), in network namespaces this test creates:
 *
 *   phone A 10.212.1.10 ── lan0 10.212.1.1 [agent, calls: auto] wan0 10.212.2.2 ── 10.212.2.1 [hub + Kamailio + phone C on 127.0.0.1]
 *
 * Phone A (1001) registers through the agent; phone C (1003) registers directly at Kamailio. A
 * calls C through agent, tunnel, hub and Kamailio. The WAN is then dropped for 240 s (nftables in
 * the agent's namespace): the call is kept (no BYE reaches A, the agent is in survival meanwhile),
 * and once the rule is removed the far side's audio reaches A again within 1 s (the agent tries
 * the hub every second while calls are up). The delay, from the rule's removal to the first RTP
 * packet from the agent to A's RTP ports (tshark in A's namespace), is printed. One call, ≈ 4.5 min.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaresipPhone } from '../support/baresip.js';
import { enrollByCli, namespaceHubYaml, startCliHub, type CliHub } from '../support/cli-hub.js';
import { CliProcess, runCli } from '../support/integ-process.js';
import { Testbed } from '../support/netns.js';
import { PBX_DOMAIN, PBX_PASSWORD, startPbx, type PbxProcess } from '../support/sbc-kamailio.js';

const AGENT_LAN = '10.212.1.1';
const PHONE_A = '10.212.1.10';
const HUB = '10.212.2.1';
const A_RTP: readonly [number, number] = [25600, 25619];
const OUTAGE_MS = 240_000;

let bed: Testbed;
let dir: string;
let ns: Record<'lan' | 'agent' | 'hub', string>;
let pbx: PbxProcess;
let hub: CliHub;
let agent: CliProcess;
let agentState: string;
let a: BaresipPhone | undefined;
let c: BaresipPhone | undefined;
let capture: ChildProcess | undefined;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function mode(): Promise<string | undefined> {
  const r = await runCli(['status', '--json', '--state-dir', agentState]);
  if (r.code !== 0) return undefined;
  return (JSON.parse(r.stdout) as { agent: { parts?: { survival?: { mode: string } } } }).agent.parts?.survival?.mode;
}

async function modeUntil(want: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await mode();
    if (m === want) return;
    if (Date.now() > deadline) throw new Error(`mode ${want} not reached (${String(m)})\nagent: ${agent.stderr.slice(-3000)}`);
    await sleep(200);
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sbc-e2e-survresume-'));
  bed = new Testbed('svr');
  ns = { lan: bed.namespace('lan'), agent: bed.namespace('agt'), hub: bed.namespace('hub') };
  bed.link({ ns: ns.lan, dev: 'eth0', addr: `${PHONE_A}/24` }, { ns: ns.agent, dev: 'lan0', addr: `${AGENT_LAN}/24` });
  bed.link({ ns: ns.agent, dev: 'wan0', addr: '10.212.2.2/24' }, { ns: ns.hub, dev: 'eth0', addr: `${HUB}/24` });
  bed.defaultRoute(ns.agent, HUB);
  pbx = startPbx(dir, '127.0.0.1', 5060, ns.hub);
  const yaml = namespaceHubYaml(HUB, 'info').replace('pbx: { host: 127.0.0.1, port: 5060 }', 'pbx: { host: 127.0.0.1, port: 5060, probeInterval: 500ms }');
  hub = await startCliHub({ dir, netns: ns.hub, yaml });
  agentState = join(dir, 'agent');
  await enrollByCli(hub, 'branch-svr', agentState, ns.agent);
  const agentYaml = join(dir, 'agent.yaml');
  writeFileSync(agentYaml, 'log:\n  level: info\nagent:\n  calls: auto\n  survival: { holdDown: 10s }\n  media:\n    ports: { min: 31000, max: 31199 }\n  pnp:\n    provisioning: off\n');
  agent = new CliProcess(['run', '--config', agentYaml, '--state-dir', agentState], undefined, ns.agent);
  await agent.waitForOutput(/run: SBC 'branch-svr'/, 30_000);
  await modeUntil('normal', 10_000);
  a = await BaresipPhone.start({
    dir, name: 'A', address: PHONE_A, netns: ns.lan, answer: 'auto', outbound: `sip:${AGENT_LAN}:5060;transport=udp`,
    sipPort: 25500, ctrlPort: 25510, rtpPorts: A_RTP, user: '1001', domain: PBX_DOMAIN, password: PBX_PASSWORD, toneHz: 1000, regint: 3600, toneSeconds: 600,
  });
  // C registers directly at Kamailio, beside the hub.
  c = await BaresipPhone.start({
    dir, name: 'C', address: '127.0.0.1', netns: ns.hub, answer: 'auto', outbound: 'sip:127.0.0.1:5060;transport=udp',
    sipPort: 25502, ctrlPort: 25511, rtpPorts: [25640, 25659], user: '1003', domain: PBX_DOMAIN, password: PBX_PASSWORD, toneHz: 500, regint: 3600, toneSeconds: 600,
  });
  await a.waitRegistered();
  await c.waitRegistered();
});

after(async () => {
  if (capture !== undefined && capture.exitCode === null) capture.kill('SIGKILL');
  await a?.stop().catch(() => undefined);
  await c?.stop().catch(() => undefined);
  await agent?.stop('SIGINT');
  await hub?.process.stop();
  await pbx?.stop();
  bed?.remove();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('a call through the tunnel is kept across a 4-minute WAN outage and its audio is back within 1 s of the link\'s return', { timeout: 360_000 }, async () => {
  assert.ok(a !== undefined && c !== undefined);
  const since = { a: a.events.length, c: c.events.length };
  await a.command('dial', `sip:1003@${PBX_DOMAIN}`);
  await a.waitFor('CALL_ESTABLISHED', 15_000, since.a);
  await c.waitFor('CALL_ESTABLISHED', 15_000, since.c);
  await sleep(2000);

  bed.nft(ns.agent, `table inet wancut {\n chain in {\n  type filter hook input priority 0;\n  ip saddr ${HUB} drop\n }\n chain out {\n  type filter hook output priority 0;\n  ip daddr ${HUB} drop\n }\n}\n`);
  const cutAt = Date.now();
  await modeUntil('survival', 10_000);
  process.stdout.write(`# WAN dropped; survival after ${Date.now() - cutAt} ms; waiting ${OUTAGE_MS / 1000} s\n`);
  await sleep(OUTAGE_MS - (Date.now() - cutAt) - 3000);

  // The RTP the agent sends to A's ports, with each packet's capture time (epoch seconds).
  const filter = `udp and src host ${AGENT_LAN} and dst host ${PHONE_A} and dst portrange ${A_RTP[0]}-${A_RTP[1]}`;
  const proc = spawn('ip', ['netns', 'exec', ns.lan, 'tshark', '-i', 'eth0', '-l', '-n', '-f', filter, '-T', 'fields', '-e', 'frame.time_epoch'], { stdio: ['ignore', 'pipe', 'pipe'] });
  capture = proc;
  let captured = '';
  let tsharkErr = '';
  proc.stdout.on('data', (d: Buffer) => (captured += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (tsharkErr += d.toString()));
  const started = Date.now() + 3000;
  while (!/Capturing on/.test(tsharkErr)) {
    assert.ok(Date.now() < started, `tshark started: ${tsharkErr}`);
    await sleep(50);
  }
  await sleep(Math.max(0, cutAt + OUTAGE_MS - Date.now()));

  const during = a.events.slice(since.a).filter((e) => e.type === 'CALL_CLOSED');
  assert.deepEqual(during, [], 'no BYE reached A during the outage');
  const packetsDuring = captured.split('\n').filter((l) => l.trim() !== '').length;

  bed.exec(ns.agent, 'nft', ['delete', 'table', 'inet', 'wancut']);
  const backAt = Date.now();
  const deadline = backAt + 15_000;
  let first: number | undefined;
  while (first === undefined && Date.now() < deadline) {
    await sleep(100);
    first = captured.split('\n').map((l) => Number(l.trim()) * 1000).find((t) => Number.isFinite(t) && t > 0 && t >= backAt);
  }
  proc.kill('SIGINT');
  assert.ok(first !== undefined, `RTP reaches A again after the link's return (${packetsDuring} packets during the outage)\nagent: ${agent.stderr.slice(-4000)}`);
  const audioBackMs = Math.round(first - backAt);
  process.stdout.write(`# WAN back after ${Math.round((backAt - cutAt) / 1000)} s: first RTP to A ${audioBackMs} ms after the nft rule was removed (${packetsDuring} RTP packets to A during the outage)\n`);
  assert.ok(audioBackMs <= 1000, `audio back within 1 s (took ${audioBackMs} ms)`);

  await sleep(2000);
  assert.deepEqual(a.events.slice(since.a).filter((e) => e.type === 'CALL_CLOSED'), [], 'the call is still up on A');
  assert.deepEqual(c.events.slice(since.c).filter((e) => e.type === 'CALL_CLOSED'), [], 'the call is still up on C');
  await a.command('hangup');
  await a.waitFor('CALL_CLOSED', 10_000, since.a);
  await c.waitFor('CALL_CLOSED', 10_000, since.c);
});
