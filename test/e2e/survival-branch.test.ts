/**
 * Issue 12, survival without a routing model (Kamailio's users only), in network namespaces this
 * test creates:
 *
 *   phones (10.212.1.10) ── lan0 10.212.1.1 [agent, calls: auto] wan0 10.212.2.2 ── 10.212.2.1 [hub + Kamailio on 127.0.0.1]
 *
 * Four baresip phones (1001–1004) register through the agent to Kamailio, and A calls B through
 * the PBX (its media stays in the LAN). Then Kamailio is stopped and the WAN dropped (nftables on
 * the agent's wan0) at the same moment: the tunnel declares its dead path after 3 s of silence and
 * the agent is in survival within 5 s of the first lost packet (measured and printed). C then calls
 * D through the agent alone, by the registrations it relayed, with audio both ways, while A and B
 * go on hearing each other. Kamailio starts again with an empty location table and the WAN
 * returns: the hold-down (10 s) passes, but failback waits (`when-idle`) while C and D talk; once
 * they hang up the agent re-registers every binding upstream, and all four phones are in
 * Kamailio's location table again (kamcmd ul.dump) without any phone re-registering (their
 * registration interval is an hour), and C calls a phone registered directly at the restarted
 * Kamailio through the tunnel with audio both ways. A and B's call was up through both transitions with its
 * audio throughout. Then the agent is restarted while the WAN is down: it reads back the
 * registrations it had relayed (`<state>/agent/relayed-registrations.json`), is in survival once
 * the start-up grace passes without a tunnel, A calls B by them with audio both ways, and when the
 * WAN returns it fails back and re-registers all four. Kamailio refuses any nonce older than its own start, so the phones' last
 * credentials, which the agent replays, cannot pass a restarted Kamailio: the restarted one trusts
 * REGISTERs from its SBC peer (the hub) by address, as PBXs behind an SBC commonly do.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { heardSince, recordedSamples } from '../support/audio-window.js';
import { BaresipPhone } from '../support/baresip.js';
import { enrollByCli, namespaceHubYaml, startCliHub, type CliHub } from '../support/cli-hub.js';
import { CliProcess } from '../support/integ-process.js';
import { Testbed } from '../support/netns.js';
import { survivalStatus, survivalUntil as waitSurvival, type SurvivalStatus } from '../support/survival-status.js';
import { PBX_DOMAIN, PBX_PASSWORD, startPbx, type PbxOptions, type PbxProcess } from '../support/sbc-kamailio.js';

const AGENT_LAN = '10.212.1.1';
const PHONES = '10.212.1.10';
const HUB = '10.212.2.1';
const TONE = { A: 1000, B: 500, C: 750, D: 1250, E: 1500 } as const;
type Name = keyof typeof TONE;
const HOLD_DOWN_MS = 10_000;

let bed: Testbed;
let dir: string;
let ns: Record<'lan' | 'agent' | 'hub', string>;
let pbx: PbxProcess;
let pbxOptions: PbxOptions;
let hub: CliHub;
let agent: CliProcess;
let agentState: string;
let agentYaml: string;
const phones: Partial<Record<Name, BaresipPhone>> = {};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const survival = (): Promise<SurvivalStatus | undefined> => survivalStatus(agentState);
const survivalUntil = (what: string, ok: (s: SurvivalStatus) => boolean, timeoutMs: number): Promise<SurvivalStatus> =>
  waitSurvival(agentState, what, ok, timeoutMs, () => agent.stderr.slice(-3000));
const modeUntil = (mode: string, timeoutMs: number): Promise<SurvivalStatus> => survivalUntil(`mode ${mode}`, (s) => s.mode === mode, timeoutMs);

/** The AORs in Kamailio's location table. */
function locationTable(): string[] {
  const socket = pbxOptions.ctlSocket ?? '';
  const out = execFileSync('kamcmd', ['-s', `unix:${socket}`, 'ul.dump'], { encoding: 'utf8' });
  return [...out.matchAll(/AoR:\s*(\S+)/g)].map((m) => m[1] ?? '').sort();
}

/** Silently drops everything on the agent's WAN side, both ways (a cut cable upstream). */
function dropWan(): void {
  bed.nft(ns.agent, 'table inet wancut {\n chain in { type filter hook input priority 0; policy accept; iifname "wan0" drop; }\n chain out { type filter hook output priority 0; policy accept; oifname "wan0" drop; }\n}\n');
}

function restoreWan(): void {
  bed.exec(ns.agent, 'nft', ['delete', 'table', 'inet', 'wancut']);
}

function phone(name: Name, i: number): Promise<BaresipPhone> {
  return BaresipPhone.start({
    dir, name, address: PHONES, netns: ns.lan, answer: 'auto', outbound: `sip:${AGENT_LAN}:5060;transport=udp`,
    sipPort: 23500 + i * 2, ctrlPort: 23510 + i, rtpPorts: [23600 + i * 20, 23619 + i * 20],
    user: `100${i + 1}`, domain: PBX_DOMAIN, password: PBX_PASSWORD, toneHz: TONE[name], regint: 3600,
  });
}

function get(name: Name): BaresipPhone {
  const p = phones[name];
  assert.ok(p !== undefined, `phone ${name} started`);
  return p;
}

/** The recording of the call `phone` is in now (its newest). */
function recording(p: BaresipPhone): string {
  const path = p.decodedRecordings().at(-1);
  assert.ok(path !== undefined, `${p.options.name} records its call`);
  return path;
}

/**
 * `listener` heard `speaker`'s tone since `mark` (samples) taken at `markedAt`: at least all but
 * 1.5 s of the wall-clock time as audio, 97 % of its 20 ms frames loud, at the speaker's frequency (±5 %).
 */
function assertHeard(listener: Name, speaker: Name, mark: number, markedAt: number, what: string): string {
  const heard = heardSince(recording(get(listener)), mark);
  const elapsed = (Date.now() - markedAt) / 1000;
  const line = `${listener} heard ${speaker} ${what}: ${heard.seconds.toFixed(1)} s of audio in ${elapsed.toFixed(1)} s, ${Math.round(heard.loud * 100)} % loud, ${heard.hz} Hz`;
  assert.ok(heard.seconds >= elapsed - 1.5, `${line}: audio missing`);
  assert.ok(heard.loud >= 0.97, `${line}: silence in it`);
  assert.ok(Math.abs(heard.hz - TONE[speaker]) <= TONE[speaker] * 0.05, `${line}: not ${speaker}'s ${TONE[speaker]} Hz`);
  return line;
}

async function dial(from: Name, to: Name, user: string): Promise<number> {
  const a = get(from);
  const b = get(to);
  const since = { a: a.events.length, b: b.events.length };
  await a.command('dial', `sip:${user}@${PBX_DOMAIN}`);
  await a.waitFor('CALL_ESTABLISHED', 15_000, since.a);
  await b.waitFor('CALL_ESTABLISHED', 15_000, since.b);
  return Date.now();
}

async function hangUp(from: Name, to: Name): Promise<void> {
  const a = get(from);
  const b = get(to);
  const since = { a: a.events.length, b: b.events.length };
  await a.command('hangup');
  await a.waitFor('CALL_CLOSED', 10_000, since.a);
  await b.waitFor('CALL_CLOSED', 10_000, since.b);
}

async function startAgent(): Promise<void> {
  agent = new CliProcess(['run', '--config', agentYaml, '--state-dir', agentState], undefined, ns.agent);
  await agent.waitForOutput(/run: SBC 'branch-srv'/, 30_000);
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
  agentYaml = join(dir, 'agent.yaml');
  writeFileSync(agentYaml, `log:\n  level: info\nagent:\n  calls: auto\n  survival: { holdDown: ${HOLD_DOWN_MS / 1000}s, failback: when-idle }\n  media:\n    ports: { min: 31000, max: 31199 }\n`);
  await startAgent();
  await modeUntil('normal', 10_000);
  for (const [i, name] of (['A', 'B', 'C', 'D'] as const).entries()) phones[name] = await phone(name, i);
  for (const p of Object.values(phones)) await p.waitRegistered();
});

after(async () => {
  for (const p of Object.values(phones)) await p.stop().catch(() => undefined);
  await agent?.stop('SIGINT');
  await hub?.process.stop();
  await pbx?.stop();
  bed?.remove();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('PBX killed and WAN dropped: survival within 5 s, a call up keeps its audio, a branch call by the relayed registrations, failback when idle re-registers every phone into a PBX restarted empty', { timeout: 150_000 }, async () => {
  assert.equal(locationTable().length, 4, `all phones at Kamailio before: ${locationTable().join(', ')}`);
  const registers = (): number => Object.values(phones).flatMap((p) => p.events).filter((e) => /^REGISTER/.test(e.type ?? '')).length;
  const registersBefore = registers();
  const closedBefore = { A: get('A').events.length, B: get('B').events.length };

  // A ↔ B through the PBX, up before the cut.
  const abUp = await dial('A', 'B', '1002');
  await sleep(2000);
  const abMark = { A: recordedSamples(recording(get('A'))), B: recordedSamples(recording(get('B'))) };
  const abMarkedAt = Date.now();

  // The cut: the first packet lost is the first one after the drop rule.
  dropWan();
  const cut = Date.now();
  await pbx.stop();
  const down = await modeUntil('survival', 8_000);
  // The agent's own time of the switch (its status file is written once a second, and read here by a CLI).
  const takeoverMs = down.since - cut;
  process.stdout.write(`survival: takeover ${takeoverMs} ms after the WAN drop and Kamailio kill (${down.reason}; seen in the status ${Date.now() - cut} ms after)\n`);
  assert.ok(takeoverMs <= 5_000, `survival within 5 s of the first lost packet (took ${takeoverMs} ms)`);
  assert.match(down.reason, /^tunnel down/, 'the tunnel\'s dead path drives it (the PBX report cannot cross a dropped WAN)');
  process.stdout.write(`survival: call kept across takeover: ${assertHeard('B', 'A', abMark.B, abMarkedAt, 'since before the cut')}; ${assertHeard('A', 'B', abMark.A, abMarkedAt, 'since before the cut')}\n`);

  // C → D in survival, by the registrations the agent relayed to the PBX.
  await dial('C', 'D', '1004');
  await sleep(1000);
  const cdMark = { C: recordedSamples(recording(get('C'))), D: recordedSamples(recording(get('D'))) };
  const cdMarkedAt = Date.now();
  await survivalUntil('one survival call counted', (s) => s.survivalCalls === 1, 5_000);

  // Kamailio back with an empty location table, the WAN back.
  const mark2 = { A: recordedSamples(recording(get('A'))), B: recordedSamples(recording(get('B'))) };
  const mark2At = Date.now();
  pbx = startPbx(dir, '127.0.0.1', 5060, ns.hub, { ...pbxOptions, trustRegistersFrom: '127.0.0.1' });
  restoreWan();
  const restored = Date.now();
  const held = await survivalUntil('failback held by the survival call', (s) => s.tunnel === 'up' && s.pbx === 'reachable' && s.waitingFor === 'calls', HOLD_DOWN_MS + 20_000);
  const heldAfterMs = Date.now() - restored;
  await sleep(2000);
  const still = await survival();
  assert.equal(still?.mode, 'survival', `when-idle: still survival while C and D talk, ${Date.now() - restored} ms after the return (hold-down ${HOLD_DOWN_MS} ms)`);
  process.stdout.write(`survival: failback held ${Date.now() - restored} ms after the return (waiting for ${held.waitingFor ?? '?'} since ${heldAfterMs} ms) while a survival call is up\n`);
  const cdLines = [assertHeard('D', 'C', cdMark.D, cdMarkedAt, 'in the survival call'), assertHeard('C', 'D', cdMark.C, cdMarkedAt, 'in the survival call')];
  process.stdout.write(`survival: ${cdLines.join('; ')}\n`);

  await hangUp('C', 'D');
  const idle = Date.now();
  const now = (await modeUntil('normal', 15_000)).since;
  process.stdout.write(`survival: failback ${now - restored} ms after Kamailio and the WAN returned (hold-down ${HOLD_DOWN_MS} ms), ${now - idle} ms after the survival call ended\n`);
  assert.ok(now - restored >= HOLD_DOWN_MS, `not before the hold-down (${now - restored} ms)`);
  assert.deepEqual(locationTable(), ['1001', '1002', '1003', '1004'],
    `every phone at Kamailio again\n${agent.stderr.split('\n').filter((l) => /failback|"mode/.test(l)).join('\n')}`);
  assert.equal(registers(), registersBefore, 'no phone registered again');

  // A phone registered directly at the restarted Kamailio reaches a branch phone through the tunnel again.
  phones.E = await BaresipPhone.start({
    dir, name: 'E', address: '127.0.0.1', netns: ns.hub, answer: 'auto', outbound: 'sip:127.0.0.1:5060;transport=udp',
    sipPort: 23540, ctrlPort: 23545, rtpPorts: [23800, 23819], user: '1005', domain: PBX_DOMAIN, password: PBX_PASSWORD, toneHz: TONE.E, regint: 3600,
  });
  await get('E').waitRegistered();
  await dial('C', 'E', '1005');
  await sleep(1000);
  const ceMark = { C: recordedSamples(recording(get('C'))), E: recordedSamples(recording(get('E'))) };
  const ceMarkedAt = Date.now();
  await sleep(3000);
  process.stdout.write(`survival: after failback ${assertHeard('E', 'C', ceMark.E, ceMarkedAt, 'through the tunnel')}; ${assertHeard('C', 'E', ceMark.C, ceMarkedAt, 'through the tunnel')}\n`);
  await hangUp('C', 'E');

  // A ↔ B: never closed, audio throughout.
  await sleep(1000);
  const kept = [assertHeard('B', 'A', mark2.B, mark2At, 'across failback'), assertHeard('A', 'B', mark2.A, mark2At, 'across failback')];
  for (const name of ['A', 'B'] as const) {
    assert.equal(get(name).events.slice(closedBefore[name]).filter((e) => e.type === 'CALL_CLOSED').length, 0, `${name}'s call was not closed`);
  }
  const total = { A: heardSince(recording(get('A')), 0), B: heardSince(recording(get('B')), 0) };
  const upFor = (Date.now() - abUp) / 1000;
  process.stdout.write(`survival: call kept across failback: ${kept.join('; ')}; over the whole call (${upFor.toFixed(1)} s) A heard ${total.A.seconds.toFixed(1)} s, B heard ${total.B.seconds.toFixed(1)} s\n`);
  assert.ok(total.A.seconds >= upFor - 2 && total.B.seconds >= upFor - 2, 'no gap in the call that was up through both transitions');
  await hangUp('A', 'B');
});

test('the agent restarted while the WAN is down: survival after the start-up grace with its stored registrations, a branch call works, failback re-registers them', { timeout: 120_000 }, async () => {
  // What the agent keeps across a restart (within a second of the last change).
  await sleep(1500);
  const file = join(agentState, 'agent', 'relayed-registrations.json');
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { lans: Record<string, { aor: string; last?: unknown }[]> };
  const bindings = stored.lans[AGENT_LAN] ?? [];
  assert.deepEqual(bindings.map((b) => b.aor).sort(), ['1001', '1002', '1003', '1004'].map((u) => `sip:${u}@${PBX_DOMAIN}`), 'the four relayed bindings stored');
  assert.ok(bindings.every((b) => b.last !== undefined), 'each with its last REGISTER (failback sends it again)');
  assert.equal(statSync(file).mode & 0o777, 0o600, 'owner-only: the REGISTERs carry digest responses');

  dropWan();
  await agent.stop('SIGINT');
  const started = Date.now();
  await startAgent();
  const down = await modeUntil('survival', 15_000);
  process.stdout.write(`survival: restarted agent in survival ${down.since - started} ms after it was started (${down.reason})\n`);
  assert.match(down.reason, /^no tunnel within/);
  assert.match(agent.stderr, /"restored":4[,}].*relayed registrations restored/, 'the four bindings restored from the file');

  await dial('A', 'B', '1002');
  await sleep(1000);
  const mark = { A: recordedSamples(recording(get('A'))), B: recordedSamples(recording(get('B'))) };
  const markedAt = Date.now();
  await sleep(3000);
  process.stdout.write(`survival: after the restart ${assertHeard('B', 'A', mark.B, markedAt, 'in a survival call')}; ${assertHeard('A', 'B', mark.A, markedAt, 'in a survival call')}\n`);
  await hangUp('A', 'B');

  restoreWan();
  const restored = Date.now();
  const normal = await modeUntil('normal', HOLD_DOWN_MS + 40_000);
  process.stdout.write(`survival: the restarted agent failed back ${normal.since - restored} ms after the WAN returned (hold-down ${HOLD_DOWN_MS} ms)\n`);
  const failback = agent.stderr.split('\n').find((l) => /failback: bindings re-registered upstream/.test(l)) ?? '';
  assert.match(failback, /"sent":4,"registered":4,/, `the stored bindings re-registered upstream: ${failback}`);
});
