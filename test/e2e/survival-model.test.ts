/**
 * Issue 12, survival WITH a routing model, in network namespaces this test creates:
 *
 *   phones 10.212.1.10 ── lan0 10.212.1.1 [agent, calls: auto] wan0 10.212.2.2 ── 10.212.2.1 [hub + Kamailio on 127.0.0.1]
 *                                                                              └─ 10.212.2.5 [ITSP, a SIPp UAS]
 *
 * The hub has a `hub.routing` model whose extensions are Kamailio's users (1001–1003, password
 * "secret", realm pbx.test), an outbound rule 0… → the ITSP as +33…, the ITSP as the branch's local
 * trunk and emergency number 112. Two baresip phones register through the agent to Kamailio.
 * Then Kamailio is killed and the WAN toward the hub is dropped (nftables in the agent's
 * namespace; the ITSP is on a line of its own, which stays): the agent is in survival within 5 s
 * of the cut (measured and printed). In survival: a phone that registers anew is checked against
 * the snapshot's HA1s (right and wrong password), a branch call has audio both ways, a national
 * number goes out of the local trunk by the outbound rule, 112 goes out of it too, and a watcher
 * of 1002 (SUBSCRIBE Event: dialog) gets the agent's own dialog-state NOTIFYs for a survival call.
 * Then Kamailio comes back (as a presence server) and the WAN returns: after the hold-down the
 * agent's BLF subscriptions end with "deactivated" and a watcher's new SUBSCRIBE reaches Kamailio.
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
import { SCENARIOS, spawnCollect, type Finished } from '../support/pnp-e2e.js';
import { PBX_DOMAIN, PBX_PASSWORD, startPbx, type PbxProcess } from '../support/sbc-kamailio.js';
import { sippTimeline } from '../support/local-rig.js';

const AGENT_LAN = '10.212.1.1';
const AGENT_WAN = '10.212.2.2';
const PHONES = '10.212.1.10';
const SIPP_PHONE = '10.212.1.20';
const WATCHER = '10.212.1.21';
const HUB = '10.212.2.1';
const ITSP = '10.212.2.5';
const SBC_NAME = 'branch-svm';
const TONE = { A: 1000, B: 500 } as const;

/** The model's extensions are Kamailio's users with Kamailio's password, in Kamailio's realm. */
const ROUTING_YAML = `version: 1
realm: ${PBX_DOMAIN}
extensions:
  - { number: "1001", name: Phone A, password: ${PBX_PASSWORD} }
  - { number: "1002", name: Phone B, password: ${PBX_PASSWORD}, emergencyCallerId: "+33123451002" }
  - { number: "1003", name: Desk phone, password: ${PBX_PASSWORD} }
outbound:
  - name: National
    prefixes: ["0"]
    routes: [{ trunk: itsp, strip: 1, prepend: "+33" }]
trunks:
  - { name: itsp, kind: ip, host: ${ITSP}, port: 5060, agent: ${SBC_NAME} }
emergencyNumbers: ["112"]
localTrunks:
  ${SBC_NAME}: itsp
`;

let bed: Testbed;
let dir: string;
let ns: Record<'lan' | 'agent' | 'hub', string>;
let pbx: PbxProcess;
let hub: CliHub;
let agent: CliProcess;
let agentState: string;
const phones: Partial<Record<keyof typeof TONE, BaresipPhone>> = {};
const background: { child: { kill(signal?: NodeJS.Signals): boolean; exitCode: number | null }; done: Promise<Finished> }[] = [];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface AgentStatus {
  readonly tunnels: readonly { readonly state: string }[];
  readonly parts: { readonly routing?: { readonly version: number }; readonly survival?: { readonly mode: string; readonly reason: string } };
}

async function status(): Promise<AgentStatus | undefined> {
  const r = await runCli(['status', '--json', '--state-dir', agentState]);
  if (r.code !== 0) return undefined;
  return (JSON.parse(r.stdout) as { agent: AgentStatus }).agent;
}

async function statusUntil(ok: (s: AgentStatus) => boolean, what: string, timeoutMs: number): Promise<AgentStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await status();
    if (s !== undefined && ok(s)) return s;
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(s)}\nagent: ${agent.stderr.slice(-3000)}`);
    await sleep(100);
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** A SIPp run in namespace `netns` (`args` after the scenario), its -trace_msg text with it. */
function sipp(name: string, netns: string, scenario: string, args: readonly string[]): Promise<Finished & { trace: string }> {
  const log = join(dir, `${name}.log`);
  const run = spawnCollect('ip', [
    'netns', 'exec', netns, 'sipp', ...args, '-sf', join(SCENARIOS, scenario), '-m', '1', '-nostdin', '-timeout_error',
    '-trace_msg', '-message_file', log, '-trace_err', '-error_file', join(dir, `${name}.err`),
  ], dir);
  background.push(run);
  return run.done.then((f) => ({ ...f, trace: readText(log) }));
}

/** The ITSP behind the local trunk answering one call. */
function itsp(name: string): Promise<Finished & { trace: string }> {
  return sipp(name, ns.hub, 'local-itsp-uas.xml', ['-i', ITSP, '-p', '5060', '-timeout', '60s']);
}

function phone(name: keyof typeof TONE, i: number): Promise<BaresipPhone> {
  return BaresipPhone.start({
    dir, name, address: PHONES, netns: ns.lan, answer: 'auto', outbound: `sip:${AGENT_LAN}:5060;transport=udp`,
    sipPort: 23500 + i * 2, ctrlPort: 23510 + i, rtpPorts: [23600 + i * 20, 23619 + i * 20],
    user: `100${i + 1}`, domain: PBX_DOMAIN, password: PBX_PASSWORD, toneHz: TONE[name], regint: 3600,
  });
}

function both(): { a: BaresipPhone; b: BaresipPhone } {
  const { A: a, B: b } = phones;
  assert.ok(a !== undefined && b !== undefined);
  return { a, b };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sbc-e2e-survmodel-'));
  bed = new Testbed('svm');
  ns = { lan: bed.namespace('lan'), agent: bed.namespace('agt'), hub: bed.namespace('hub') };
  bed.link({ ns: ns.lan, dev: 'eth0', addr: `${PHONES}/24,${SIPP_PHONE}/24,${WATCHER}/24` }, { ns: ns.agent, dev: 'lan0', addr: `${AGENT_LAN}/24` });
  bed.link({ ns: ns.agent, dev: 'wan0', addr: `${AGENT_WAN}/24` }, { ns: ns.hub, dev: 'eth0', addr: `${HUB}/24,${ITSP}/24` });
  bed.defaultRoute(ns.agent, HUB);
  // The B2BUA sends from the agent's LAN address: the ITSP answers there through wan0.
  bed.exec(ns.hub, 'ip', ['route', 'add', '10.212.1.0/24', 'via', AGENT_WAN]);
  pbx = startPbx(dir, '127.0.0.1', 5060, ns.hub);
  writeFileSync(join(dir, 'routing.yaml'), ROUTING_YAML);
  const yaml = namespaceHubYaml(HUB, 'info', '  routing: routing.yaml\n').replace('pbx: { host: 127.0.0.1, port: 5060 }', 'pbx: { host: 127.0.0.1, port: 5060, probeInterval: 500ms }');
  hub = await startCliHub({ dir, netns: ns.hub, yaml });
  agentState = join(dir, 'agent');
  await enrollByCli(hub, SBC_NAME, agentState, ns.agent);
  const agentYaml = join(dir, 'agent.yaml');
  writeFileSync(agentYaml, 'log:\n  level: info\nagent:\n  calls: auto\n  survival: { holdDown: 10s }\n  media:\n    ports: { min: 31000, max: 31199 }\n  pnp:\n    provisioning: off\n');
  agent = new CliProcess(['run', '--config', agentYaml, '--state-dir', agentState], undefined, ns.agent);
  await agent.waitForOutput(/run: SBC 'branch-svm'/, 30_000);
  await statusUntil((s) => s.parts.survival?.mode === 'normal' && s.parts.routing?.version === 1, 'normal mode with the routing model', 20_000);
  phones.A = await phone('A', 0);
  phones.B = await phone('B', 1);
  await phones.A.waitRegistered();
  await phones.B.waitRegistered();
});

after(async () => {
  for (const p of Object.values(phones)) await p.stop().catch(() => undefined);
  for (const b of background) if (b.child.exitCode === null) b.child.kill('SIGKILL');
  await Promise.all(background.map((b) => b.done));
  await agent?.stop('SIGINT');
  await hub?.process.stop();
  await pbx?.stop();
  bed?.remove();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('Kamailio killed and the WAN dropped: survival within 5 s of the cut', { timeout: 30_000 }, async () => {
  // The first lost packet: from here nothing passes between the agent and the hub (the ITSP's address stays reachable).
  const cut = Date.now();
  const killed = pbx.stop();
  bed.nft(ns.agent, `table inet wancut {\n chain in {\n  type filter hook input priority 0;\n  ip saddr ${HUB} drop\n }\n chain out {\n  type filter hook output priority 0;\n  ip daddr ${HUB} drop\n }\n}\n`);
  const s = await statusUntil((x) => x.parts.survival?.mode === 'survival', 'survival mode', 8_000);
  const seenMs = Date.now() - cut;
  // The agent's own log line of the transition is the takeover; `status` (written each second, read by a CLI process) lags it.
  const line = agent.stderr.split('\n').find((l) => /"msg":"mode survival"/.test(l)) ?? '';
  const takeoverMs = Date.parse((/"time":"([^"]+)"/.exec(line) ?? [])[1] ?? '') - cut;
  process.stdout.write(`# survival (model): takeover ${takeoverMs} ms after the WAN cut, seen in status after ${seenMs} ms (${s.parts.survival?.reason})\n`);
  assert.ok(takeoverMs <= 5_000, `survival within 5 s (took ${takeoverMs} ms): ${line}`);
  assert.equal(s.parts.routing?.version, 1, 'the snapshot stays');
  await killed;
});

test('in survival a phone registering anew is checked against the snapshot\'s HA1s: right password 200, wrong one refused', { timeout: 40_000 }, async () => {
  const args = (password: string): string[] => [`${AGENT_LAN}:5060`, '-s', '1003', '-au', '1003', '-ap', password, '-key', 'expires', '600', '-i', SIPP_PHONE, '-p', '5070', '-timeout', '10s'];
  const ok = await sipp('register-ok', ns.lan, 'local-register.xml', args(PBX_PASSWORD));
  assert.equal(ok.code, 0, `1003 registers with the model's password: ${ok.stderr}\n${ok.trace.slice(-2000)}\nagent: ${agent.stderr.slice(-2000)}`);
  const wrong = await sipp('register-wrong', ns.lan, 'local-register.xml', args('not-the-password'));
  assert.notEqual(wrong.code, 0, 'a wrong password is not registered');
  const finals = sippTimeline(wrong.trace).filter((m) => m.direction === 'received').map((m) => m.firstLine);
  assert.ok(finals.every((l) => !/^SIP\/2\.0 200/.test(l)), `no 200 for a wrong password: ${finals.join(' | ')}`);
  assert.ok(finals.some((l) => /^SIP\/2\.0 (401|403)/.test(l)), `refused: ${finals.join(' | ')}`);
});

test('in survival 1001 calls 1002 by the model: audio both ways', { timeout: 60_000 }, async () => {
  const { a, b } = both();
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
});

test('in survival a national number goes out of the local trunk by the outbound rule: stripped of its 0, prefixed +33', { timeout: 60_000 }, async () => {
  const { a } = both();
  const run = itsp('itsp-national');
  const since = a.events.length;
  await a.command('dial', `sip:0612345678@${PBX_DOMAIN}`);
  await a.waitFor('CALL_ESTABLISHED', 15_000, since);
  await sleep(1000);
  await a.command('hangup');
  const done = await run;
  assert.equal(done.code, 0, `${done.stderr}\n${done.trace.slice(-3000)}\nagent: ${agent.stderr.slice(-3000)}`);
  assert.match(sippTimeline(done.trace)[0]?.firstLine ?? '', /^INVITE sip:\+33612345678@10\.212\.2\.5:5060 SIP\/2\.0$/);
});

test('in survival 112 goes out of the local trunk with the emergency caller ID', { timeout: 60_000 }, async () => {
  const { b } = both();
  const run = itsp('itsp-emergency');
  const since = b.events.length;
  await b.command('dial', `sip:112@${PBX_DOMAIN}`);
  await b.waitFor('CALL_ESTABLISHED', 15_000, since);
  await sleep(500);
  await b.command('hangup');
  const done = await run;
  assert.equal(done.code, 0, `${done.stderr}\n${done.trace.slice(-3000)}\nagent: ${agent.stderr.slice(-3000)}`);
  const invite = sippTimeline(done.trace)[0]?.text ?? '';
  assert.match(invite, /^INVITE sip:112@10\.212\.2\.5:5060 SIP\/2\.0/);
  assert.match(invite, /\r?\nFrom: [^\r\n]*\+33123451002\b/, 'the emergency caller ID of 1002');
  await agent.waitForStderr(/"kind":"emergency"/, 5_000);
});

test('BLF in survival: a watcher of 1002 gets the agent\'s own NOTIFYs for a survival call: idle, early, confirmed, terminated', { timeout: 60_000 }, async () => {
  const { a } = both();
  // The watcher is the desk phone 1003, from the flow it registered from in survival (port 5070).
  const watcher = sipp('blf-watcher', ns.lan, 'survival-blf-watcher.xml', [`${AGENT_LAN}:5060`, '-s', '1002', '-key', 'watcher', '1003', '-i', SIPP_PHONE, '-p', '5070', '-timeout', '40s']);
  const trace = join(dir, 'blf-watcher.log');
  const deadline = Date.now() + 10_000;
  while (!/NOTIFY sip:/.test(readText(trace))) {
    assert.ok(Date.now() < deadline, `the first NOTIFY within 10 s: ${readText(trace).slice(-2000)}\nagent: ${agent.stderr.slice(-2000)}`);
    await sleep(100);
  }
  const since = a.events.length;
  await a.command('dial', `sip:1002@${PBX_DOMAIN}`);
  await a.waitFor('CALL_ESTABLISHED', 15_000, since);
  await sleep(1000);
  await a.command('hangup');
  await a.waitFor('CALL_CLOSED', 10_000, since);
  const done = await watcher;
  assert.equal(done.code, 0, `${done.stderr}\n${done.trace.slice(-4000)}\nagent: ${agent.stderr.slice(-2000)}`);
  const notifies = sippTimeline(done.trace).filter((m) => m.direction === 'received' && m.firstLine.startsWith('NOTIFY'));
  const states = notifies.map((n) => [...n.text.matchAll(/direction="(\w+)">\s*<state[^>]*>(\w+)</g)].map((m) => `${m[1]} ${m[2]}`).join(','));
  assert.deepEqual(states, ['', 'recipient early', 'recipient confirmed', 'recipient terminated'], notifies.map((n) => n.text).join('\n----\n'));
  assert.ok(notifies.every((n) => /\r?\nEvent: dialog\r?\n/.test(n.text) && /application\/dialog-info\+xml/.test(n.text)));
});

test('failback ends the agent\'s BLF subscriptions with "deactivated" and the watcher\'s new SUBSCRIBE reaches the PBX again', { timeout: 120_000 }, async () => {
  // 1003 from a flow of its own (port 5072): the earlier watcher's subscription on port 5070 is not this one.
  const registered = await sipp('register-5072', ns.lan, 'local-register.xml', [`${AGENT_LAN}:5060`, '-s', '1003', '-au', '1003', '-ap', PBX_PASSWORD, '-key', 'expires', '600', '-i', SIPP_PHONE, '-p', '5072', '-timeout', '10s']);
  assert.equal(registered.code, 0, registered.trace.slice(-2000));
  const watcher = sipp('blf-failback', ns.lan, 'survival-blf-failback.xml', [`${AGENT_LAN}:5060`, '-s', '1002', '-key', 'watcher', '1003', '-au', '1003', '-ap', PBX_PASSWORD, '-i', SIPP_PHONE, '-p', '5072', '-timeout', '100s']);
  const trace = join(dir, 'blf-failback.log');
  const deadline = Date.now() + 10_000;
  while (!/NOTIFY sip:/.test(readText(trace))) {
    assert.ok(Date.now() < deadline, `the first NOTIFY within 10 s: ${readText(trace).slice(-2000)}`);
    await sleep(100);
  }
  // The PBX comes back as a presence server (RFC 4235 from Kamailio), trusting its SBC peer's REGISTERs; the WAN returns.
  pbx = startPbx(dir, '127.0.0.1', 5060, ns.hub, { presence: true, trustRegistersFrom: '127.0.0.1' });
  bed.exec(ns.agent, 'nft', ['delete', 'table', 'inet', 'wancut']);
  const back = Date.now();
  await statusUntil((s) => s.parts.survival?.mode === 'normal', 'normal mode after the hold-down', 60_000);
  process.stdout.write(`# failback ${Date.now() - back} ms after the WAN and the PBX returned (hold-down 10 s)\n`);
  const done = await watcher;
  assert.equal(done.code, 0, `${done.stderr}\n${done.trace.slice(-4000)}\nagent: ${agent.stderr.slice(-2000)}`);
  const notifies = sippTimeline(done.trace).filter((m) => m.direction === 'received' && m.firstLine.startsWith('NOTIFY'));
  const states = notifies.map((n) => /\r?\nSubscription-State: *([^\r\n]+)/i.exec(n.text)?.[1] ?? '');
  assert.match(states[0] ?? '', /^active/, 'the agent\'s first NOTIFY in survival');
  assert.equal(states[1], 'terminated;reason=deactivated', 'ended at failback, so the phone subscribes again');
  assert.match(states[2] ?? '', /^active/, 'the new subscription is served');
  // Kamailio logs each SUBSCRIBE for the dialog package it serves (the agent swaps Call-IDs at the LAN edge, so it is not matched on).
  assert.ok(pbx.log.some((l) => /BLF SUBSCRIBE /.test(l)), `the new SUBSCRIBE reached Kamailio: ${pbx.log.slice(-20).join('\n')}`);
});
