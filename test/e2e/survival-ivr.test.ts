/**
 * Issue 13: IVR, queue and voicemail run by the agent in survival, in network namespaces this
 * test creates:
 *
 *   phones 10.214.1.10 ── lan0 10.214.1.1 [agent, calls: auto] wan0 10.214.2.2 ── 10.214.2.1 [hub + Kamailio on 127.0.0.1]
 *   1004   10.214.1.20 (two phones)                                            └─ 10.214.2.5 [ITSP: SIPp caller]
 *
 * The hub's routing model: the branch number (any DID from the ITSP's IP trunk) lands on IVR
 * 7000, whose prompt is a tone sequence written here (three tones, `reception.wav` in the agent's
 * prompts folder); key 2 → queue 8000, a prioritized hunt of three baresip agents 1001, 1002,
 * 1003; with no agent signed in, voicemail:1004. The agent is in survival (Kamailio killed and
 * the WAN toward the hub dropped, as in survival-model.test.ts) when SIPp, as the ITSP, calls:
 *   1. SIPp hears the IVR: the PCMA payloads the agent sends it, captured by dumpcap in the
 *      ITSP's namespace, hold the prompt's samples encoded byte for byte, in 20 ms packets;
 *   2. SIPp presses 2 with SIPp's own RFC 4733 pcap (dtmf_2833_2.pcap): 1001, first in order,
 *      rings and answers (1002 and 1003 never ring); SIPp hears 1001's tone and 1001 hears the
 *      audio SIPp plays (g711a.pcap);
 *   3. each agent dials `*52*`: answered by the agent with the confirmation prompt (`confirm.wav`,
 *      a tone written here, heard by baresip), then hung up: signed out;
 *   4. SIPp calls again and presses 2: voicemail:1004 answers on the same media (the caller hears
 *      the greeting), SIPp speaks for 7 s and hangs up; the message is in 1004's box and holds
 *      SIPp's audio sample for sample, and 1004's two phones (SIPp, registered in survival) get an
 *      MWI NOTIFY `Voice-Message: 1/0` (RFC 3842): the one that subscribed to its mailbox in its
 *      subscription, the other unsolicited.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { decodeG711, encodeG711, encodeWav, readPromptWav, rms, toneSamples, dominantFrequency as toneOf } from '../../src/media/index.js';
import { BaresipPhone, dominantFrequency as heardHz } from '../support/baresip.js';
import { enrollByCli, namespaceHubYaml, startCliHub, type CliHub } from '../support/cli-hub.js';
import { CliProcess, runCli } from '../support/integ-process.js';
import { Testbed } from '../support/netns.js';
import { SCENARIOS, spawnCollect, type Finished } from '../support/pnp-e2e.js';
import { PBX_DOMAIN, PBX_PASSWORD, startPbx, type PbxProcess } from '../support/sbc-kamailio.js';
import { sippTimeline } from '../support/local-rig.js';

const AGENT_LAN = '10.214.1.1';
const AGENT_WAN = '10.214.2.2';
const PHONES = '10.214.1.10';
const MAILBOX_PHONE = '10.214.1.20';
const HUB = '10.214.2.1';
const ITSP = '10.214.2.5';
const ITSP_MEDIA_PORT = 36000;
const SBC_NAME = 'branch-svivr';
const BRANCH_NUMBER = '+33123450000';
/** Each agent's tone, told apart in what the caller hears. */
const AGENTS = [
  { user: '1001', hz: 1700 },
  { user: '1002', hz: 2200 },
  { user: '1003', hz: 2700 },
] as const;
/** The IVR prompt: three tones with a short silence after each (1.5 s). */
const PROMPT_TONES = [600, 900, 1300] as const;
/** The dial codes' confirmation prompt (`confirm.wav`): a 1,100 Hz tone of 400 ms. */
const CONFIRM_HZ = 1100;
/** How long SIPp listens to the IVR before pressing 2 (-d). */
const LISTEN_MS = 2500;

const ROUTING_YAML = `version: 1
realm: ${PBX_DOMAIN}
extensions:
  - { number: "1001", name: Agent one, password: ${PBX_PASSWORD} }
  - { number: "1002", name: Agent two, password: ${PBX_PASSWORD} }
  - { number: "1003", name: Agent three, password: ${PBX_PASSWORD} }
  - { number: "1004", name: Office manager, password: ${PBX_PASSWORD} }
queues:
  - number: 8000
    name: Support
    agents: ["1001", "1002", "1003"]
    strategy: prioritized-hunt
    noAnswer: voicemail:1004
ivrs:
  - number: 7000
    name: Reception
    prompt: reception
    options: { '2': queue:8000 }
inbound:
  - name: Branch number
    did: "*"
    destination: ivr:7000
trunks:
  - { name: itsp, kind: ip, host: ${ITSP}, port: 5060, agent: ${SBC_NAME} }
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
const agents: BaresipPhone[] = [];
const background: { child: { kill(signal?: NodeJS.Signals): boolean; exitCode: number | null }; done: Promise<Finished> }[] = [];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The prompt's samples: each tone 400 ms then 100 ms of silence. */
function promptSamples(): Int16Array {
  const parts = PROMPT_TONES.map((hz) => {
    const part = new Int16Array(4000);
    part.set(toneSamples(hz, 400));
    return part;
  });
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

interface AgentStatus {
  readonly parts: { readonly routing?: { readonly version: number }; readonly survival?: { readonly mode: string; readonly reason: string } };
}

async function statusUntil(ok: (s: AgentStatus) => boolean, what: string, timeoutMs: number): Promise<AgentStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await runCli(['status', '--json', '--state-dir', agentState]);
    const s = r.code === 0 ? (JSON.parse(r.stdout) as { agent: AgentStatus }).agent : undefined;
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

/** The ITSP calling the branch number: listens LISTEN_MS, presses 2, waits, speaks 7 s, hangs up. */
function caller(name: string): Promise<Finished & { trace: string }> {
  return sipp(name, ns.hub, 'survival-ivr-caller.xml', [
    `${AGENT_LAN}:5060`, '-key', 'caller', '0612345678', '-key', 'dialled', BRANCH_NUMBER, '-d', String(LISTEN_MS),
    '-i', ITSP, '-p', '5060', '-mi', ITSP, '-mp', String(ITSP_MEDIA_PORT), '-timeout', '60s',
  ]);
}

interface RtpRow {
  readonly at: number;
  readonly payloadType: number;
  readonly seq: number;
  readonly timestamp: number;
  readonly marker: boolean;
  readonly payload: Buffer;
}

/**
 * dumpcap in the ITSP's namespace, recording the RTP the agent sends to SIPp's media port;
 * `stop()` ends it and reads the packets back with tshark.
 */
async function captureCallerRtp(name: string): Promise<{ stop(): Promise<RtpRow[]> }> {
  const file = join(dir, `${name}.pcap`);
  const run = spawnCollect('ip', ['netns', 'exec', ns.hub, 'dumpcap', '-i', 'eth0', '-f', `udp and dst host ${ITSP} and dst port ${ITSP_MEDIA_PORT}`, '-w', file], dir);
  background.push(run);
  let said = '';
  run.child.stderr?.on('data', (d: Buffer) => {
    said += d.toString();
  });
  const deadline = Date.now() + 10_000;
  while (!/Capturing on/.test(said)) {
    assert.ok(Date.now() < deadline && run.child.exitCode === null, `dumpcap started: ${said}`);
    await sleep(50);
  }
  return {
    async stop(): Promise<RtpRow[]> {
      run.child.kill('SIGINT');
      await run.done;
      const out = execFileSync('tshark', ['-r', file, '-d', `udp.port==${ITSP_MEDIA_PORT},rtp`, '-T', 'fields', '-E', 'separator=|',
        '-e', 'frame.time_relative', '-e', 'rtp.p_type', '-e', 'rtp.seq', '-e', 'rtp.timestamp', '-e', 'rtp.marker', '-e', 'rtp.payload'], { encoding: 'utf8', maxBuffer: 64 << 20 });
      return out.split('\n').filter((l) => l.trim() !== '').map((l) => {
        const [at = '', pt = '', seq = '', ts = '', marker = '', payload = ''] = l.split('|');
        return { at: Number(at), payloadType: Number(pt), seq: Number(seq), timestamp: Number(ts), marker: marker === '1' || marker === 'True', payload: Buffer.from(payload.replace(/:/g, ''), 'hex') };
      });
    },
  };
}

function agentPhone(i: number): Promise<BaresipPhone> {
  const a = AGENTS[i];
  assert.ok(a !== undefined);
  return BaresipPhone.start({
    dir, name: `agent${a.user}`, address: PHONES, netns: ns.lan, answer: 'auto', outbound: `sip:${AGENT_LAN}:5060;transport=udp`,
    sipPort: 24500 + i * 2, ctrlPort: 24510 + i, rtpPorts: [24600 + i * 20, 24619 + i * 20],
    user: a.user, domain: PBX_DOMAIN, password: PBX_PASSWORD, toneHz: a.hz, regint: 3600,
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sbc-e2e-svivr-'));
  bed = new Testbed('svivr');
  ns = { lan: bed.namespace('lan'), agent: bed.namespace('agt'), hub: bed.namespace('hub') };
  bed.link({ ns: ns.lan, dev: 'eth0', addr: `${PHONES}/24,${MAILBOX_PHONE}/24` }, { ns: ns.agent, dev: 'lan0', addr: `${AGENT_LAN}/24` });
  bed.link({ ns: ns.agent, dev: 'wan0', addr: `${AGENT_WAN}/24` }, { ns: ns.hub, dev: 'eth0', addr: `${HUB}/24,${ITSP}/24` });
  bed.defaultRoute(ns.agent, HUB);
  // The B2BUA sends from the agent's LAN address: the ITSP reaches it through wan0.
  bed.exec(ns.hub, 'ip', ['route', 'add', '10.214.1.0/24', 'via', AGENT_WAN]);
  pbx = startPbx(dir, '127.0.0.1', 5060, ns.hub);
  writeFileSync(join(dir, 'routing.yaml'), ROUTING_YAML);
  const yaml = namespaceHubYaml(HUB, 'info', '  routing: routing.yaml\n').replace('pbx: { host: 127.0.0.1, port: 5060 }', 'pbx: { host: 127.0.0.1, port: 5060, probeInterval: 500ms }');
  hub = await startCliHub({ dir, netns: ns.hub, yaml });
  agentState = join(dir, 'agent');
  await enrollByCli(hub, SBC_NAME, agentState, ns.agent);
  // The IVR's prompt, where the agent looks for it: <state>/agent/prompts/reception.wav.
  mkdirSync(join(agentState, 'agent', 'prompts'), { recursive: true });
  writeFileSync(join(agentState, 'agent', 'prompts', 'reception.wav'), encodeWav(promptSamples()));
  writeFileSync(join(agentState, 'agent', 'prompts', 'confirm.wav'), encodeWav(toneSamples(CONFIRM_HZ, 400)));
  const agentYaml = join(dir, 'agent.yaml');
  writeFileSync(agentYaml, 'log:\n  level: info\nagent:\n  calls: auto\n  survival: { holdDown: 10s }\n  media:\n    ports: { min: 31000, max: 31199 }\n  pnp:\n    provisioning: off\n');
  agent = new CliProcess(['run', '--config', agentYaml, '--state-dir', agentState], undefined, ns.agent);
  await agent.waitForOutput(/run: SBC 'branch-svivr'/, 30_000);
  await statusUntil((s) => s.parts.survival?.mode === 'normal' && s.parts.routing?.version === 1, 'normal mode with the routing model', 20_000);
  for (let i = 0; i < AGENTS.length; i++) agents.push(await agentPhone(i));
  for (const p of agents) await p.waitRegistered();
});

after(async () => {
  for (const p of agents) await p.stop().catch(() => undefined);
  for (const b of background) if (b.child.exitCode === null) b.child.kill('SIGKILL');
  await Promise.all(background.map((b) => b.done));
  await agent?.stop('SIGINT');
  await hub?.process.stop();
  await pbx?.stop();
  bed?.remove();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('Kamailio killed and the WAN dropped: the agent is in survival', { timeout: 30_000 }, async () => {
  const killed = pbx.stop();
  bed.nft(ns.agent, `table inet wancut {\n chain in {\n  type filter hook input priority 0;\n  ip saddr ${HUB} drop\n }\n chain out {\n  type filter hook output priority 0;\n  ip daddr ${HUB} drop\n }\n}\n`);
  const s = await statusUntil((x) => x.parts.survival?.mode === 'survival', 'survival mode', 10_000);
  assert.equal(s.parts.routing?.version, 1, 'the snapshot stays');
  await killed;
});

test('the branch number: SIPp hears the IVR prompt byte for byte, presses 2 (RFC 4733 pcap), and 1001, first in order, answers with audio both ways', { timeout: 90_000 }, async () => {
  const since = agents.map((p) => p.events.length);
  const capture = await captureCallerRtp('ivr-queue');
  const done = await caller('ivr-queue');
  const rows = (await capture.stop()).filter((r) => r.payloadType === 8);
  assert.equal(done.code, 0, `${done.stderr}\n${done.trace.slice(-3000)}\nagent: ${agent.stderr.slice(-3000)}`);

  // 1. The IVR: the prompt's samples as PCMA, in 20 ms packets from the answer on.
  const wholeFrames = promptPcma();
  const heard = Buffer.concat(rows.map((r) => r.payload));
  const at = heard.indexOf(wholeFrames);
  assert.ok(at >= 0, `the prompt's ${wholeFrames.length} PCMA bytes in what SIPp received (${rows.length} packets): first packets ${rows.slice(0, 3).map((r) => r.payload.subarray(0, 8).toString('hex')).join(' ')}`);
  const promptRows = rows.slice(at / 160, at / 160 + wholeFrames.length / 160);
  assert.ok(at % 160 === 0 && promptRows.every((r) => r.payload.length === 160), 'whole 20 ms packets (160 samples)');
  for (let i = 1; i < promptRows.length; i++) {
    const [a, b] = [promptRows[i - 1], promptRows[i]];
    assert.ok(a !== undefined && b !== undefined);
    assert.equal((b.seq - a.seq + 65536) % 65536, 1, `sequence continuous at packet ${i}`);
    assert.equal((b.timestamp - a.timestamp + 2 ** 32) % 2 ** 32, 160, `timestamp +160 at packet ${i}`);
  }
  process.stdout.write(`# IVR prompt: ${promptRows.length} packets of the prompt found from packet ${at / 160} of ${rows.length}\n`);

  // 2. Key 2 → queue 8000: 1001 rings and answers; 1002 and 1003 never ring.
  const [first, second, third] = agents;
  assert.ok(first !== undefined && second !== undefined && third !== undefined);
  await first.waitFor('CALL_ESTABLISHED', 1_000, since[0]);
  await first.waitFor('CALL_CLOSED', 10_000, since[0]);
  for (const [i, p] of [second, third].entries()) {
    assert.equal(p.events.slice(since[i + 1]).filter((e) => e.type === 'CALL_INCOMING').length, 0, `${AGENTS[i + 1]?.user} did not ring`);
  }
  // SIPp hears 1001's tone over its last 5 s; 1001 hears SIPp's g711a.pcap (not silence).
  const tail = decodeG711(Buffer.concat(rows.slice(-250).map((r) => r.payload)), 'alaw');
  assert.equal(toneOf(tail, [...PROMPT_TONES, ...AGENTS.map((a) => a.hz), 425]), AGENTS[0].hz, 'SIPp hears 1001');
  const recording = first.decodedRecordings().at(-1) ?? '';
  const got = readPcm(recording);
  assert.ok(rms(got) > 300, `1001 hears SIPp's audio (rms ${rms(got).toFixed(0)} over ${got.length / 8000} s)`);
});

test('all three agents sign out with *52*, each answered by the confirmation prompt', { timeout: 60_000 }, async () => {
  for (const p of agents) {
    const since = p.events.length;
    await p.command('dial', `sip:*52*@${PBX_DOMAIN}`);
    await p.waitFor('CALL_ESTABLISHED', 10_000, since);
    await p.waitFor('CALL_CLOSED', 10_000, since);
    const heard = heardHz(p.decodedRecordings().at(-1) ?? '').hz;
    assert.ok(Math.abs(heard - CONFIRM_HZ) <= CONFIRM_HZ * 0.05, `${p.aor} hears confirm.wav's ${CONFIRM_HZ} Hz (got ${heard})`);
  }
  await agent.waitForStderr(/queue-sign-out:8000[\s\S]*queue-sign-out:8000[\s\S]*queue-sign-out:8000/, 5_000);
});

test('no agent signed in: key 2 → voicemail:1004, the message is kept and both of 1004\'s phones get MWI 1/0 (subscribed and unsolicited)', { timeout: 90_000 }, async () => {
  // 1004 has two desk phones: one subscribes to its mailbox (RFC 3842), one does not (unsolicited NOTIFYs).
  const register = (port: number): Promise<Finished & { trace: string }> => sipp(`register-1004-${port}`, ns.lan, 'local-register.xml', [
    `${AGENT_LAN}:5060`, '-s', '1004', '-au', '1004', '-ap', PBX_PASSWORD, '-key', 'expires', '600', '-i', MAILBOX_PHONE, '-p', String(port), '-timeout', '10s',
  ]);
  for (const port of [5074, 5076]) {
    const registered = await register(port);
    assert.equal(registered.code, 0, `1004 registers from ${port}: ${registered.trace.slice(-2000)}\nagent: ${agent.stderr.slice(-2000)}`);
  }
  const subscriber = sipp('mwi-1004-subscribed', ns.lan, 'survival-ivr-mwi-subscriber.xml', [`${AGENT_LAN}:5060`, '-s', '1004', '-i', MAILBOX_PHONE, '-p', '5074', '-timeout', '60s']);
  const lamp = sipp('mwi-1004-unsolicited', ns.lan, 'survival-ivr-mwi.xml', ['-i', MAILBOX_PHONE, '-p', '5076', '-timeout', '60s']);
  const subscribed = join(dir, 'mwi-1004-subscribed.log');
  const deadline = Date.now() + 10_000;
  while (!/NOTIFY sip:/.test(readText(subscribed))) {
    assert.ok(Date.now() < deadline, `the subscription's first NOTIFY within 10 s: ${readText(subscribed).slice(-2000)}\nagent: ${agent.stderr.slice(-2000)}`);
    await sleep(100);
  }
  const since = agents.map((p) => p.events.length);
  const capture = await captureCallerRtp('voicemail');
  const done = await caller('voicemail');
  const rows = (await capture.stop()).filter((r) => r.payloadType === 8);
  assert.equal(done.code, 0, `${done.stderr}\n${done.trace.slice(-3000)}\nagent: ${agent.stderr.slice(-3000)}`);
  for (const [i, p] of agents.entries()) {
    assert.equal(p.events.slice(since[i]).filter((e) => e.type === 'CALL_INCOMING').length, 0, `${AGENTS[i]?.user} signed out, not rung`);
  }
  // After the menu, the caller hears the greeting (no recorded one: the built-in 425 Hz cue), then the 1 kHz beep.
  const menu = promptPcma();
  const menuAt = Buffer.concat(rows.map((r) => r.payload)).indexOf(menu);
  assert.ok(menuAt >= 0 && menuAt % 160 === 0, 'the menu first');
  const tones: number[] = [];
  const afterMenu = rows.slice(menuAt / 160 + menu.length / 160);
  for (let i = 0; i + 5 <= afterMenu.length; i += 5) {
    const hz = toneOf(decodeG711(Buffer.concat(afterMenu.slice(i, i + 5).map((r) => r.payload)), 'alaw'), [...PROMPT_TONES, ...AGENTS.map((a) => a.hz), 425, 1000], 300);
    if (hz !== undefined && hz !== tones.at(-1)) tones.push(hz);
  }
  assert.deepEqual(tones.slice(0, 2), [425, 1000], `greeting then beep after the menu, in 100 ms windows: ${tones.join(' ')}`);

  const box = join(agentState, 'agent', 'voicemail', 'ext-1004');
  const written = Date.now() + 10_000;
  while (!existsSync(join(box, 'index.json'))) {
    assert.ok(Date.now() < written, `1004's box written: ${agent.stderr.slice(-3000)}`);
    await sleep(100);
  }
  const index = JSON.parse(readFileSync(join(box, 'index.json'), 'utf8')) as { messages: { id: string; caller: string; seconds: number; status: string }[] };
  assert.equal(index.messages.length, 1, JSON.stringify(index));
  const message = index.messages[0];
  assert.ok(message !== undefined);
  assert.equal(message.status, 'new');
  assert.equal(message.caller, '0612345678');
  const wav = `m-${message.id}.wav`;
  assert.ok(existsSync(join(box, wav)), `the message's WAV in ${readdirSync(box).join(', ')}`);
  // The message holds what SIPp played (g711a.pcap), sample for sample once decoded.
  const samples = readPromptWav(readFileSync(join(box, wav)), wav);
  const spoken = pcapAlawSamples('/usr/share/sip-tester/g711a.pcap');
  const first = Buffer.from(spoken.buffer, spoken.byteOffset, 2 * 4000);
  const found = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).indexOf(first);
  process.stdout.write(`# voicemail: ${message.seconds} s from ${message.caller}; SIPp's first 0.5 s found at sample ${found / 2}\n`);
  assert.ok(message.seconds >= 5 && message.seconds <= 10, `about SIPp's 7.08 s of audio (${message.seconds} s)`);
  assert.ok(found >= 0 && found % 2 === 0, 'the recording holds SIPp\'s audio sample for sample');

  const unsolicited = await lamp;
  assert.equal(unsolicited.code, 0, `an unsolicited MWI NOTIFY reached 1004's phone on 5076: ${unsolicited.stderr}\n${unsolicited.trace.slice(-3000)}\nagent: ${agent.stderr.slice(-3000)}`);
  const mwi = await subscriber;
  assert.equal(mwi.code, 0, `a NOTIFY in the subscription of 1004's phone on 5074: ${mwi.stderr}\n${mwi.trace.slice(-3000)}\nagent: ${agent.stderr.slice(-3000)}`);
  const inSubscription = sippTimeline(mwi.trace).filter((m) => m.direction === 'received' && m.firstLine.startsWith('NOTIFY')).map((m) => m.text);
  const outOfIt = sippTimeline(unsolicited.trace).filter((m) => m.direction === 'received' && m.firstLine.startsWith('NOTIFY')).map((m) => m.text);
  for (const notify of [inSubscription.at(-1) ?? '', outOfIt.at(-1) ?? '']) {
    assert.match(notify, /\r?\nEvent: message-summary\r?\n/i);
    assert.match(notify, /Messages-Waiting: yes/);
    assert.match(notify, /Voice-Message: 1\/0/);
  }
  assert.match(inSubscription.at(-1) ?? '', /\r?\nSubscription-State: active/i, 'the change in the subscription');
});

/** The prompt file as the agent reads it, encoded PCMA, whole 20 ms frames only. */
function promptPcma(): Buffer {
  const prompt = encodeG711(readPromptWav(readFileSync(join(agentState, 'agent', 'prompts', 'reception.wav')), 'reception.wav'), 'alaw');
  return prompt.subarray(0, Math.floor(prompt.length / 160) * 160);
}

/** The A-law payloads of a pcap (each UDP packet's RTP payload, 12-byte header), decoded. */
function pcapAlawSamples(path: string): Int16Array {
  const out = execFileSync('tshark', ['-r', path, '-T', 'fields', '-e', 'udp.payload'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const payloads = out.split('\n').filter((l) => l.trim() !== '').map((l) => Buffer.from(l.replace(/:/g, ''), 'hex').subarray(12));
  return decodeG711(Buffer.concat(payloads), 'alaw');
}

/** The samples of a 16-bit WAV baresip is done writing. */
function readPcm(path: string): Int16Array {
  const data = readFileSync(path);
  const at = data.indexOf('data', 12, 'latin1');
  const body = data.subarray(at + 8);
  const out = new Int16Array(Math.floor(body.length / 2));
  for (let i = 0; i < out.length; i++) out[i] = body.readInt16LE(i * 2);
  return out;
}
