/**
 * Issue 17, "What must be shown" 2: a flood against a real `sbc-agent run`, in network namespaces
 * this test creates (10.213.x.y exists only inside them), bounded to about 15 s of load:
 *
 *   SIPp UAC 10.213.1.10, flooder 10.213.1.66 ── lan0 10.213.1.1 [agent] wan0 10.213.2.2 ── 10.213.2.1 [hub] ── Kamailio ── SIPp UAS (127.0.0.1)
 *
 * The flooder sends 20,000 datagrams a second of garbage, OPTIONS scans and INVITEs at the agent's
 * SIP port while SIPp places 200 calls at 20 calls/s from the other address, through the agent, the
 * tunnel, the hub and Kamailio to a SIPp UAS. At least 99 % of the calls complete, the flooder is
 * blocked (a packet-rate level), and the agent's resident memory stays bounded (/proc/PID/status).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UAC_XML, UAS_XML } from '../../bench/calls-scenarios.js';
import { enrollByCli, namespaceHubYaml, startCliHub, type CliHub } from '../support/cli-hub.js';
import { CliProcess, runCli } from '../support/integ-process.js';
import { Testbed } from '../support/netns.js';
import { spawnCollect } from '../support/pnp-e2e.js';
import { NOTIFIER_PORT_OFFSET, NOTIFIER_USER, PBX_DOMAIN, startPbx, type PbxProcess } from '../support/sbc-kamailio.js';
import { lastStatsRow } from '../support/sipp.js';

const AGENT_LAN = '10.213.1.1';
const CALLER = '10.213.1.10';
const FLOODER = '10.213.1.66';
const HUB = '10.213.2.1';
const FLOOD_JS = fileURLToPath(new URL('../support/packet-flood.js', import.meta.url));
const CALLS = 200;
const RATE = 20;

/** bench:calls' scenarios without RTP streams; the caller's From is a name, so the PBX does not challenge it. */
const uacXml = UAC_XML.replace(/\s*<nop><action><exec rtp_stream="[^"]*"\/><\/action><\/nop>/g, '').replaceAll('<sip:load@[local_ip]:[local_port]>;tag', '<sip:load@branch.example>;tag');
const uasXml = UAS_XML.replace(/\s*<nop><action><exec rtp_stream="[^"]*"\/><\/action><\/nop>/g, '');

let bed: Testbed;
let dir: string;
let ns: Record<'lan' | 'agent' | 'hub', string>;
let pbx: PbxProcess;
let hub: CliHub;
let agent: CliProcess;
let uas: ReturnType<typeof spawnCollect>;
let agentState: string;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Datagrams the kernel dropped for the UDP sockets bound to `port` in `netns` (the last column of
 * /proc/net/udp): on a loaded machine part of a flood never reaches the agent, which is dropping
 * it too, only before the agent could count it.
 */
async function kernelUdpDrops(netns: string, port: number): Promise<number> {
  const r = await spawnCollect('ip', ['netns', 'exec', netns, 'cat', '/proc/net/udp']).done;
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return r.stdout.split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((f) => f[1]?.endsWith(`:${hexPort}`)).reduce((n, f) => n + Number(f[f.length - 1] ?? 0), 0);
}

function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? Number.NaN);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sbc-e2e-flood-'));
  bed = new Testbed('flood');
  ns = { lan: bed.namespace('lan'), agent: bed.namespace('agt'), hub: bed.namespace('hub') };
  bed.link({ ns: ns.lan, dev: 'eth0', addr: `${CALLER}/24,${FLOODER}/24` }, { ns: ns.agent, dev: 'lan0', addr: `${AGENT_LAN}/24` });
  bed.link({ ns: ns.agent, dev: 'wan0', addr: '10.213.2.2/24' }, { ns: ns.hub, dev: 'eth0', addr: `${HUB}/24` });
  bed.defaultRoute(ns.agent, HUB);
  pbx = startPbx(dir, '127.0.0.1', 5060, ns.hub);
  // Kamailio relays INVITEs for NOTIFIER_USER to this port: the SIPp UAS that answers the calls.
  writeFileSync(join(dir, 'uas.xml'), uasXml);
  uas = spawnCollect('ip', ['netns', 'exec', ns.hub, 'sipp', '-sf', join(dir, 'uas.xml'), '-i', '127.0.0.1', '-p', String(5060 + NOTIFIER_PORT_OFFSET), '-nostdin', '-timeout', '120s'], dir);
  hub = await startCliHub({ dir, netns: ns.hub, yaml: namespaceHubYaml(HUB, 'warn') });
  agentState = join(dir, 'agent');
  await enrollByCli(hub, 'branch-flood', agentState, ns.agent);
  const agentYaml = join(dir, 'agent.yaml');
  writeFileSync(agentYaml, 'log:\n  level: info\nagent:\n  pnp: { policy: off }\n  stun: { port: 0 }\n  media:\n    ports: { min: 31000, max: 31999 }\n');
  agent = new CliProcess(['run', '--config', agentYaml, '--state-dir', agentState], undefined, ns.agent);
  await agent.waitForOutput(/run: SBC 'branch-flood'/, 30_000);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = await runCli(['status', '--json', '--state-dir', agentState]);
    const s = JSON.parse(r.stdout || '{}') as { agent?: { running: boolean; tunnels: { state: string }[] } };
    if (s.agent?.running === true && s.agent.tunnels[0]?.state === 'up') break;
    if (Date.now() > deadline) throw new Error(`the tunnel did not come up: ${agent.stderr.slice(-2000)}`);
    await sleep(250);
  }
});

after(async () => {
  await agent?.stop('SIGINT');
  uas?.child.kill('SIGUSR1');
  setTimeout(() => uas?.child.kill('SIGKILL'), 2000).unref();
  await hub?.process.stop();
  await pbx?.stop();
  bed?.remove();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('20,000 packets/s from one source: ≥ 99 % of 200 calls from another complete, the flooder is blocked, memory stays bounded', { timeout: 120_000 }, async () => {
  const pid = agent.child.pid ?? 0;
  const rssBefore = rssKb(pid);
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssKb(pid))), 250);
  writeFileSync(join(dir, 'uac.xml'), uacXml);
  const kernelDropsBefore = await kernelUdpDrops(ns.agent, 5060);
  const flood = spawnCollect('ip', ['netns', 'exec', ns.lan, process.execPath, FLOOD_JS, AGENT_LAN, '5060', FLOODER, '20000', '13', PBX_DOMAIN]);
  await sleep(500);
  const calls = spawnCollect('ip', ['netns', 'exec', ns.lan, 'sipp', `${AGENT_LAN}:5060`, '-sf', join(dir, 'uac.xml'), '-s', NOTIFIER_USER, '-i', CALLER, '-p', '5062',
    '-m', String(CALLS), '-r', String(RATE), '-d', '1000', '-l', '100', '-nostdin', '-timeout', '40s', '-timeout_error', '-trace_stat', '-fd', '1', '-trace_err'], dir);
  const [flooded, called] = await Promise.all([flood.done, calls.done]);
  clearInterval(sampler);
  const kernelDrops = (await kernelUdpDrops(ns.agent, 5060)) - kernelDropsBefore;
  const floodResult = JSON.parse(flooded.stdout) as { sent: number; answers: number; seconds: number };
  const csv = readdirSync(dir).find((f) => f.startsWith('uac_') && f.endsWith('_.csv'));
  const stats = csv === undefined ? new Map<string, string>() : lastStatsRow(readFileSync(join(dir, csv), 'utf8'));
  const successful = Number(stats.get('SuccessfulCall(C)') ?? Number.NaN);
  const failed = Number(stats.get('FailedCall(C)') ?? Number.NaN);
  const status = JSON.parse((await runCli(['status', '--json', '--state-dir', agentState])).stdout) as { agent: { parts: { protection: { dropped: Record<string, number>; blocks: number } } } };
  const protection = status.agent.parts.protection;
  const figures = { flood: floodResult, successful, failed, rssBeforeMb: Math.round(rssBefore / 1024), rssPeakMb: Math.round(rssPeak / 1024), protection, kernelDrops };
  process.stdout.write(`# flood figures: ${JSON.stringify(figures)}\n`);

  assert.ok(floodResult.sent >= 20_000 * 13 * 0.99, `the flooder sent ${floodResult.sent}`);
  assert.ok(successful >= CALLS * 0.99, `${successful} of ${CALLS} calls completed (${failed} failed); sipp: ${called.stdout.slice(-1500)} ${called.stderr.slice(-500)}\nagent: ${agent.stderr.slice(-1500)}`);
  const blocks = JSON.parse((await runCli(['blocks', '--json', '--state-dir', agentState])).stdout) as { blocks: { address: string; reason: string }[] };
  const block = blocks.blocks.find((b) => b.address === FLOODER);
  // Its scanner OPTIONS give it away within its first packets; the rate levels would otherwise (below).
  assert.ok(block !== undefined && ['scanner', 'rate-1', 'rate-2'].includes(block.reason), `the flooder is blocked: ${JSON.stringify(blocks)}`);
  assert.equal(blocks.blocks.some((b) => b.address === CALLER), false, 'the caller is not blocked');
  const dropped = Object.values(protection.dropped).reduce((a, b) => a + b, 0);
  assert.ok(dropped + kernelDrops >= floodResult.sent * 0.9, `dropped before parsing: ${JSON.stringify(protection.dropped)}, by the kernel ${kernelDrops}, of ${floodResult.sent}`);
  assert.ok(floodResult.answers < floodResult.sent * 0.1, `answers to the flooder: ${floodResult.answers}`);
  // Bounded: the flood adds no more than a fixed amount whatever its length (the tables are bounded).
  assert.ok(rssPeak - rssBefore < 150 * 1024, `RSS ${figures.rssBeforeMb} MB → peak ${figures.rssPeakMb} MB`);
});

test('garbage at 20,000 packets/s with nothing to recognise: blocked by the packet-rate level 2 (5,000/s)', { timeout: 60_000 }, async () => {
  const other = '10.213.1.67';
  bed.addAddress(ns.lan, 'eth0', `${other}/24`);
  const flooded = await spawnCollect('ip', ['netns', 'exec', ns.lan, process.execPath, FLOOD_JS, AGENT_LAN, '5060', other, '20000', '3', PBX_DOMAIN, 'garbage']).done;
  assert.equal(flooded.code, 0, flooded.stderr);
  const blocks = JSON.parse((await runCli(['blocks', '--json', '--state-dir', agentState])).stdout) as { blocks: { address: string; reason: string; since: string; until: string }[] };
  const block = blocks.blocks.find((b) => b.address === other);
  assert.equal(block?.reason, 'rate-2', JSON.stringify(blocks));
  assert.equal(Date.parse(block.until) - Date.parse(block.since), 3_600_000, 'level 2 blocks for its own time (1 h)');
  const status = JSON.parse((await runCli(['status', '--json', '--state-dir', agentState])).stdout) as { agent: { parts: { protection: { dropped: Record<string, number> } } } };
  assert.ok((status.agent.parts.protection.dropped['rate-2'] ?? 0) > 40_000, JSON.stringify(status.agent.parts.protection.dropped));
});
