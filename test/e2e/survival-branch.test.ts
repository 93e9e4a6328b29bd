/**
 * Issue 12, survival without a routing model (Kamailio's users only), in network namespaces this
 * test creates:
 *
 *   phones (10.212.1.10) ── lan0 10.212.1.1 [agent, calls: auto] wan0 10.212.2.2 ── 10.212.2.1 [hub + Kamailio on 127.0.0.1]
 *
 * Two baresip phones register through the agent to Kamailio. Kamailio is stopped: the hub's
 * OPTIONS probe (every 500 ms) reports it unreachable and the agent is in survival within 5 s
 * (measured from the stop and printed). Phone A then calls phone B through the agent alone, by
 * the registrations it relayed, with audio both ways. Kamailio starts again with an empty
 * location table: after the hold-down (10 s) the agent re-registers both bindings upstream, and
 * both phones are in Kamailio's location table again (kamcmd ul.dump) without either phone
 * re-registering (their registration interval is an hour); the failback time is printed.
 * Kamailio refuses any nonce older than its own start, so the phones' last credentials, which
 * the agent replays, cannot pass a restarted Kamailio: the restarted one trusts REGISTERs from its
 * SBC peer (the hub) by address, as PBXs behind an SBC commonly do.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaresipPhone, dominantFrequency } from '../support/baresip.js';
import { enrollByCli, namespaceHubYaml, startCliHub, type CliHub } from '../support/cli-hub.js';
import { CliProcess, runCli } from '../support/integ-process.js';
import { Testbed } from '../support/netns.js';
import { PBX_DOMAIN, PBX_PASSWORD, startPbx, type PbxOptions, type PbxProcess } from '../support/sbc-kamailio.js';

const AGENT_LAN = '10.212.1.1';
const PHONES = '10.212.1.10';
const HUB = '10.212.2.1';
const TONE = { A: 1000, B: 500 } as const;

let bed: Testbed;
let dir: string;
let ns: Record<'lan' | 'agent' | 'hub', string>;
let pbx: PbxProcess;
let pbxOptions: PbxOptions;
let hub: CliHub;
let agent: CliProcess;
let agentState: string;
const phones: Partial<Record<keyof typeof TONE, BaresipPhone>> = {};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Survival {
  mode: string;
  since: number;
  reason: string;
  waitingFor?: string;
}

async function survival(): Promise<Survival | undefined> {
  const r = await runCli(['status', '--json', '--state-dir', agentState]);
  if (r.code !== 0) return undefined;
  return (JSON.parse(r.stdout) as { agent: { parts?: { survival?: Survival } } }).agent.parts?.survival;
}

async function modeUntil(mode: string, timeoutMs: number): Promise<Survival> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await survival();
    if (s?.mode === mode) return s;
    if (Date.now() > deadline) throw new Error(`mode ${mode} not reached: ${JSON.stringify(s)}\nagent: ${agent.stderr.slice(-3000)}`);
    await sleep(100);
  }
}

/** The AORs in Kamailio's location table. */
function locationTable(): string[] {
  const socket = pbxOptions.ctlSocket ?? '';
  const out = execFileSync('kamcmd', ['-s', `unix:${socket}`, 'ul.dump'], { encoding: 'utf8' });
  return [...out.matchAll(/AoR:\s*(\S+)/g)].map((m) => m[1] ?? '').sort();
}

function phone(name: keyof typeof TONE, i: number): Promise<BaresipPhone> {
  return BaresipPhone.start({
    dir, name, address: PHONES, netns: ns.lan, answer: 'auto', outbound: `sip:${AGENT_LAN}:5060;transport=udp`,
    sipPort: 23500 + i * 2, ctrlPort: 23510 + i, rtpPorts: [23600 + i * 20, 23619 + i * 20],
    user: `100${i + 1}`, domain: PBX_DOMAIN, password: PBX_PASSWORD, toneHz: TONE[name], regint: 3600,
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sbc-e2e-survival-'));
  bed = new Testbed('srv');
  ns = { lan: bed.namespace('lan'), agent: bed.namespace('agt'), hub: bed.namespace('hub') };
  bed.link({ ns: ns.lan, dev: 'eth0', addr: `${PHONES}/24` }, { ns: ns.agent, dev: 'lan0', addr: `${AGENT_LAN}/24` });
  bed.link({ ns: ns.agent, dev: 'wan0', addr: '10.212.2.2/24' }, { ns: ns.hub, dev: 'eth0', addr: `${HUB}/24` });
  bed.defaultRoute(ns.agent, HUB);
  pbxOptions = { ctlSocket: join(dir, 'kamailio.ctl') };
  pbx = startPbx(dir, '127.0.0.1', 5060, ns.hub, pbxOptions);
  const yaml = namespaceHubYaml(HUB, 'info').replace('pbx: { host: 127.0.0.1, port: 5060 }', 'pbx: { host: 127.0.0.1, port: 5060, probeInterval: 500ms }');
  hub = await startCliHub({ dir, netns: ns.hub, yaml });
  agentState = join(dir, 'agent');
  await enrollByCli(hub, 'branch-srv', agentState, ns.agent);
  const agentYaml = join(dir, 'agent.yaml');
  writeFileSync(agentYaml, 'log:\n  level: info\nagent:\n  calls: auto\n  survival: { holdDown: 10s }\n  media:\n    ports: { min: 31000, max: 31199 }\n');
  agent = new CliProcess(['run', '--config', agentYaml, '--state-dir', agentState], undefined, ns.agent);
  await agent.waitForOutput(/run: SBC 'branch-srv'/, 30_000);
  await modeUntil('normal', 10_000);
  phones.A = await phone('A', 0);
  phones.B = await phone('B', 1);
  await phones.A.waitRegistered();
  await phones.B.waitRegistered();
});

after(async () => {
  for (const p of Object.values(phones)) await p.stop().catch(() => undefined);
  await agent?.stop('SIGINT');
  await hub?.process.stop();
  await pbx?.stop();
  bed?.remove();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('the PBX stops: survival within 5 s, a branch call by the relayed registrations with audio both ways, then failback re-registers both phones into a PBX restarted empty', { timeout: 90_000 }, async () => {
  assert.equal(locationTable().length, 2, `both phones at Kamailio before: ${locationTable().join(', ')}`);

  const stopped = Date.now();
  await pbx.stop();
  const down = await modeUntil('survival', 8_000);
  const takeoverMs = Date.now() - stopped;
  process.stdout.write(`survival: takeover ${takeoverMs} ms after Kamailio stopped (${down.reason})\n`);
  assert.ok(takeoverMs <= 5_000, `survival within 5 s (took ${takeoverMs} ms)`);

  const { A: a, B: b } = phones;
  assert.ok(a !== undefined && b !== undefined);
  const since = { a: a.events.length, b: b.events.length };
  await a.command('dial', `sip:1002@${PBX_DOMAIN}`);
  await a.waitFor('CALL_ESTABLISHED', 15_000, since.a);
  await b.waitFor('CALL_ESTABLISHED', 15_000, since.b);
  await sleep(3000);
  await a.command('hangup');
  await a.waitFor('CALL_CLOSED', 10_000, since.a);
  await b.waitFor('CALL_CLOSED', 10_000, since.b);
  const heardByB = dominantFrequency(b.decodedRecordings().at(-1) ?? '').hz;
  const heardByA = dominantFrequency(a.decodedRecordings().at(-1) ?? '').hz;
  assert.ok(Math.abs(heardByB - TONE.A) <= TONE.A * 0.05, `B hears A's ${TONE.A} Hz (got ${heardByB})`);
  assert.ok(Math.abs(heardByA - TONE.B) <= TONE.B * 0.05, `A hears B's ${TONE.B} Hz (got ${heardByA})`);

  const registers = (): number => [...a.events, ...b.events].filter((e) => /^REGISTER/.test(e.type ?? '')).length;
  const registersBefore = registers();
  const restarted = Date.now();
  // Kamailio refuses nonces older than its start: the restarted PBX trusts its SBC peer (the hub) for REGISTERs.
  pbx = startPbx(dir, '127.0.0.1', 5060, ns.hub, { ...pbxOptions, trustRegistersFrom: '127.0.0.1' });
  await modeUntil('normal', 30_000);
  const failbackMs = Date.now() - restarted;
  process.stdout.write(`survival: failback ${failbackMs} ms after Kamailio restarted (hold-down 10 s)\n`);
  assert.ok(failbackMs >= 10_000, `not before the hold-down (${failbackMs} ms)`);
  assert.equal(locationTable().length, 2, `both phones at Kamailio again: ${locationTable().join(', ')}\n${agent.stderr.split('\n').filter((l) => /failback|"mode/.test(l)).join('\n')}`);
  assert.equal(registers(), registersBefore, 'no phone registered again');
});
