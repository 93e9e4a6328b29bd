/**
 * Issue 10: one `sbc-agent run` serves two LANs at once, in network namespaces this test creates.
 * It starts with agent.yaml naming the first LAN only; a SIGHUP after agent.yaml names none adds
 * the second (both are chosen: neither carries the default route) while the first keeps its
 * registrations and the tunnel stays up:
 *
 *   phone A (10.211.1.10) ── lan0 10.211.1.1 ┐
 *                                             [agent] wan0 10.211.2.2 ── 10.211.2.1 [hub + Kamailio on 127.0.0.1]
 *   phone B (10.211.3.10) ── lan1 10.211.3.1 ┘
 *
 * Each LAN gets plug-and-play with its own address in the URL, and a call path of its own: phones
 * register with the agent's address on their LAN, the PBX sees each LAN as its own SIP peer
 * (`<sbc id>.lan2~...` contacts for the second), and A on one LAN calls B on the other with
 * audio both ways.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaresipPhone, dominantFrequency } from '../support/baresip.js';
import { enrollByCli, namespaceHubYaml, startCliHub, type CliHub } from '../support/cli-hub.js';
import { CliProcess, runCli } from '../support/integ-process.js';
import { Testbed } from '../support/netns.js';
import { SCENARIOS, sippMessages, spawnCollect } from '../support/pnp-e2e.js';
import { PBX_DOMAIN, PBX_PASSWORD, startPbx, type PbxProcess } from '../support/sbc-kamailio.js';

const LAN1 = { agent: '10.211.1.1', phone: '10.211.1.10' };
const LAN2 = { agent: '10.211.3.1', phone: '10.211.3.10' };
const HUB = '10.211.2.1';
const TONE = { A: 1000, B: 500 } as const;

let bed: Testbed;
let dir: string;
let ns: Record<'lan1' | 'lan2' | 'agent' | 'hub', string>;
let pbx: PbxProcess;
let hub: CliHub;
let agent: CliProcess;
let agentState: string;
const phones: Partial<Record<keyof typeof TONE, BaresipPhone>> = {};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function agentYaml(lan: string): string {
  return `log:\n  level: info\nagent:${lan}\n  pnp: { policy: auto, provisioning: off }\n  media:\n    ports: { min: 31000, max: 31199 }\n`;
}

interface Status {
  listeners: { name: string; address: string; port: number }[];
  tunnels: { state: string; reconnects?: number }[];
  parts: { lans: { name: string; address: string; reason: string }[]; registrations: { phones: { aor: string }[] } };
}

async function status(): Promise<Status> {
  const r = await runCli(['status', '--json', '--state-dir', agentState]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { agent: Status }).agent;
}

/** The status file is rewritten every second: polls until `ok` holds, then returns that status. */
async function statusUntil(ok: (s: Status) => boolean, what: string): Promise<Status> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const s = await status();
    if (ok(s)) return s;
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(s)}`);
    await sleep(250);
  }
}

function start(name: keyof typeof TONE, i: number, lan: typeof LAN1, netns: string): Promise<BaresipPhone> {
  return BaresipPhone.start({
    dir, name, address: lan.phone, netns, answer: 'auto', outbound: `sip:${lan.agent}:5060;transport=udp`,
    sipPort: 24300 + i * 2, ctrlPort: 24310 + i, rtpPorts: [24400 + i * 20, 24419 + i * 20],
    user: `100${i + 1}`, domain: PBX_DOMAIN, password: PBX_PASSWORD, toneHz: TONE[name],
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sbc-e2e-2lan-'));
  bed = new Testbed('twolan');
  ns = { lan1: bed.namespace('l1'), lan2: bed.namespace('l2'), agent: bed.namespace('agt'), hub: bed.namespace('hub') };
  bed.link({ ns: ns.lan1, dev: 'eth0', addr: `${LAN1.phone}/24` }, { ns: ns.agent, dev: 'lan0', addr: `${LAN1.agent}/24` });
  bed.link({ ns: ns.lan2, dev: 'eth0', addr: `${LAN2.phone}/24` }, { ns: ns.agent, dev: 'lan1', addr: `${LAN2.agent}/24` });
  bed.link({ ns: ns.agent, dev: 'wan0', addr: '10.211.2.2/24' }, { ns: ns.hub, dev: 'eth0', addr: `${HUB}/24` });
  bed.defaultRoute(ns.agent, HUB);
  for (const lan of [ns.lan1, ns.lan2]) bed.exec(lan, 'ip', ['route', 'add', '224.0.0.0/4', 'dev', 'eth0']);

  pbx = startPbx(dir, '127.0.0.1', 5060, ns.hub);
  hub = await startCliHub({ dir, netns: ns.hub, yaml: namespaceHubYaml(HUB, 'warn') });
  agentState = join(dir, 'agent');
  await enrollByCli(hub, 'branch-two', agentState, ns.agent);
  writeFileSync(join(dir, 'agent.yaml'), agentYaml('\n  lan: lan0'));
  agent = new CliProcess(['run', '--config', join(dir, 'agent.yaml'), '--state-dir', agentState], undefined, ns.agent);
  await agent.waitForOutput(/run: SBC 'branch-two'/, 30_000);
});

after(async () => {
  for (const p of Object.values(phones)) await p.stop().catch(() => undefined);
  await agent?.stop('SIGINT');
  await hub?.process.stop();
  await pbx?.stop();
  bed?.remove();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('agent.yaml names lan0: only it is served; a phone registers there', { timeout: 40_000 }, async () => {
  const s = await status();
  assert.deepEqual(s.parts.lans.map((l) => [l.name, l.reason]), [['lan0', 'configured (agent.lan: lan0)']]);
  assert.ok(!s.listeners.some((l) => l.address === LAN2.agent), JSON.stringify(s.listeners));
  phones.A = await start('A', 0, LAN1, ns.lan1);
  await phones.A.waitRegistered();
});

test('SIGHUP with no LAN named adds lan1 beside lan0; lan0 keeps its registration and the tunnel stays up', { timeout: 40_000 }, async () => {
  const before = await status();
  writeFileSync(join(dir, 'agent.yaml'), agentYaml(''));
  const since = agent.stderr.length;
  agent.child.kill('SIGHUP');
  await agent.waitForStderr(/configuration reloaded/, 10_000, since);
  const s = await statusUntil((x) => x.parts.lans.length === 2, 'both LANs in status');
  assert.deepEqual(s.parts.lans.map((l) => l.address), [LAN1.agent, LAN2.agent]);
  assert.match(s.parts.lans[1]?.reason ?? '', /not on the default route's interface \(wan0\)/);
  for (const address of [LAN1.agent, LAN2.agent]) {
    assert.ok(s.listeners.some((l) => l.name === 'sip-udp' && l.address === address && l.port === 5060), JSON.stringify(s.listeners));
  }
  assert.deepEqual(s.parts.registrations.phones.map((p) => p.aor), [`sip:1001@${PBX_DOMAIN}`], 'the first LAN kept its phone');
  assert.equal(s.tunnels[0]?.state, 'up');
  assert.equal(s.tunnels[0]?.reconnects, before.tunnels[0]?.reconnects, 'the tunnel did not reconnect');
});

test('plug-and-play on the second LAN hands out the agent\'s address on that LAN', { timeout: 40_000 }, async () => {
  const log = join(dir, 'pnp-lan2.log');
  const boot = await spawnCollect('ip', [
    'netns', 'exec', ns.lan2, 'sipp', '224.0.1.75:5060', '-sf', join(SCENARIOS, 'pnp-subscribe.xml'),
    '-key', 'ruri', 'sip:MAC001565bb0002@224.0.1.75', '-key', 'from', '<sip:MAC001565bb0002@224.0.1.75>', '-key', 'contact_user', 'MAC001565bb0002@',
    '-key', 'event', 'ua-profile;profile-type="device";vendor="yealink";model="T31P";version="124.86.0.40"', '-key', 'ua', 'Yealink SIP-T31P 124.86.0.40',
    '-i', LAN2.phone, '-p', '5062', '-m', '1', '-nostdin', '-timeout', '20s', '-trace_msg', '-message_file', log,
  ], dir).done;
  assert.equal(boot.code, 0, `${boot.stderr}\nagent: ${agent.stderr.slice(-2000)}`);
  const notify = sippMessages(readFileSync(log, 'utf8')).find((m) => m.direction === 'received' && m.text.startsWith('NOTIFY'))?.text ?? '';
  assert.match(notify, new RegExp(`^Contact: <sip:${LAN2.agent.replaceAll('.', '\\.')}:5060>`, 'm'), 'the NOTIFY comes from the agent on that LAN');
  assert.match(notify, new RegExp(`\\r?\\n\\r?\\nhttp://${LAN2.agent.replaceAll('.', '\\.')}:8080/`), notify);
});

test('a phone on each LAN registers with the agent\'s address on its LAN; the PBX sees two peers; they call each other with audio both ways', { timeout: 90_000 }, async () => {
  phones.B = await start('B', 1, LAN2, ns.lan2);
  await phones.B.waitRegistered();
  if (phones.A === undefined) throw new Error('phone A did not start');
  const kamailio = pbx.log.join('');
  assert.match(kamailio, /REGISTER sip:1001@pbx\.test from 127\.0\.0\.1:5070 contact <sip:[a-z0-9]+~a-/, 'the first LAN registers as the SBC itself (its id)');
  assert.match(kamailio, /REGISTER sip:1002@pbx\.test from 127\.0\.0\.1:5070 contact <sip:[a-z0-9]+\.lan2~a-/, 'the second LAN is a peer of its own');
  const since = { a: phones.A.events.length, b: phones.B.events.length };
  await phones.A.command('dial', `sip:1002@${PBX_DOMAIN}`);
  await phones.A.waitFor('CALL_ESTABLISHED', 15_000, since.a);
  await phones.B.waitFor('CALL_ESTABLISHED', 15_000, since.b);
  await sleep(4000);
  const heard = (p: BaresipPhone): number => dominantFrequency(p.decodedRecordings().at(-1) ?? '').hz;
  assert.ok(Math.abs(heard(phones.B) - TONE.A) <= TONE.A * 0.05, `B hears A's ${TONE.A} Hz (got ${heard(phones.B)})`);
  assert.ok(Math.abs(heard(phones.A) - TONE.B) <= TONE.B * 0.05, `A hears B's ${TONE.B} Hz (got ${heard(phones.A)})`);
  await phones.A.command('hangup');
});
