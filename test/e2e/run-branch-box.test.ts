/**
 * Issue 10: one `sbc-agent run` process, configured by an agent.yaml with no LAN and no port named,
 * serves a branch LAN, in network namespaces this test creates (10.210.x.y exists only inside them):
 *
 *   phones (10.210.1.10) ── lan0 10.210.1.1 [agent] wan0 10.210.2.2 ── 10.210.2.1 [hub + Kamailio + provisioning server on 127.0.0.1]
 *
 * The agent's default route leaves by wan0, so it chooses lan0 as its LAN by itself. The phone's
 * plug-and-play SUBSCRIBE (SIPp, multicast) gets its 200 and NOTIFY; the phone fetches its
 * configuration from the agent, which gets it through the tunnel from a provisioning server only
 * the hub can reach, with the registrar rewritten to the agent; phones (baresip) register with
 * that registrar and call each other; turnutils_stunclient gets its mapped address from the
 * agent; `status --json` shows all of it. Then, with calls up: SIGHUP with a changed PnP policy
 * (and with a broken file), and SIGTERM's drain: a new call gets 503, the calls keep their audio,
 * and the process exits 0 once they end.
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
import { NotifySocket } from '../support/notify-socket.js';
import { SCENARIOS, sippMessages, spawnCollect, type Finished } from '../support/pnp-e2e.js';
import { PBX_DOMAIN, PBX_PASSWORD, startPbx, type PbxProcess } from '../support/sbc-kamailio.js';

const AGENT_LAN = '10.210.1.1';
const PHONES = '10.210.1.10';
const HUB = '10.210.2.1';
const MAC = '001565aabbcc';
const TONE = { A: 1000, B: 500, C: 750, D: 1250 } as const;

const PROVISIONING_FILE = `#!version:1.0.0.1
account.1.enable = 1
account.1.label = 1001
account.1.user_name = 1001
account.1.auth_name = 1001
account.1.password = ${PBX_PASSWORD}
account.1.sip_server.1.address = pbx.example.net
account.1.sip_server.1.port = 5060
`;

/** The PBX's provisioning server: plain HTTP on the hub's loopback, so only the hub reaches it. */
const PROVISIONING_SERVER = `import { createServer } from 'node:http';
const files = { '/${MAC}.cfg': ${JSON.stringify(PROVISIONING_FILE)} };
const server = createServer((req, res) => {
  const body = files[req.url ?? ''];
  process.stdout.write(JSON.stringify({ event: 'request', url: req.url }) + '\\n');
  if (body === undefined) { res.writeHead(404).end(); return; }
  res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
});
server.listen(8089, '127.0.0.1', () => process.stdout.write(JSON.stringify({ event: 'listening' }) + '\\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const INVITE_503 = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="new call while draining">
  <send retrans="500"><![CDATA[
INVITE sip:1002@${PBX_DOMAIN} SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch];rport
From: <sip:1009@${PBX_DOMAIN}>;tag=[pid]d[call_number]
To: <sip:1002@${PBX_DOMAIN}>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:1009@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="503"/>
  <send><![CDATA[
ACK sip:1002@${PBX_DOMAIN} SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch];rport
From: <sip:1009@${PBX_DOMAIN}>;tag=[pid]d[call_number]
To: <sip:1002@${PBX_DOMAIN}>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
</scenario>
`;

let bed: Testbed;
let dir: string;
let ns: Record<'lan' | 'agent' | 'hub', string>;
let pbx: PbxProcess;
let hub: CliHub;
let agent: CliProcess;
let provisioning: ReturnType<typeof spawnCollect>;
let wanStun: CliProcess;
let notify: NotifySocket;
const provisioningRequests: string[] = [];
let agentState: string;
let agentYaml: string;
const phones: Partial<Record<keyof typeof TONE, BaresipPhone>> = {};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function yaml(policy: string): string {
  return `log:\n  level: info\nagent:\n  pnp:\n    policy: ${policy}\n  media:\n    ports: { min: 31000, max: 31199 }\n  stun:\n    server: '${HUB}:3478'\n`;
}

interface AgentStatus {
  running: boolean;
  listeners: { name: string; address: string; port: number }[];
  tunnels: { state: string }[];
  parts: {
    mode: string;
    lans: { name: string; address: string; reason: string }[];
    pnp: { policy: string; answered: number; pending: number; phones: { approved: number } };
    provisioning: { source: string; relay?: { requests: number; upstreamFetches: number } };
    stun: { port: number; counters: { success: number } };
    nat: { state: string; mappedAddress?: string; natPresent?: boolean | null; mapping?: string | null };
    registrations: { count: number; phones: { aor: string }[] };
    calls: { active: number; refusedDraining: number };
  };
}

async function status(): Promise<AgentStatus> {
  const r = await runCli(['status', '--json', '--state-dir', agentState]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { agent: AgentStatus }).agent;
}

async function statusUntil(ok: (s: AgentStatus) => boolean, what: string, timeoutMs = 10_000): Promise<AgentStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await status();
    if (s.running && ok(s)) return s;
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(s)}\nagent: ${agent.stderr.slice(-3000)}`);
    await sleep(250);
  }
}

function phone(name: keyof typeof TONE, i: number, outbound: string): Promise<BaresipPhone> {
  return BaresipPhone.start({
    dir, name, address: PHONES, netns: ns.lan, answer: 'auto', outbound,
    sipPort: 23300 + i * 2, ctrlPort: 23310 + i, rtpPorts: [23400 + i * 20, 23419 + i * 20],
    user: `100${i + 1}`, domain: PBX_DOMAIN, password: PBX_PASSWORD, toneHz: TONE[name],
  });
}

async function call(from: BaresipPhone, to: BaresipPhone): Promise<void> {
  const since = { from: from.events.length, to: to.events.length };
  await from.command('dial', `sip:${to.options.user}@${PBX_DOMAIN}`);
  await from.waitFor('CALL_ESTABLISHED', 15_000, since.from);
  await to.waitFor('CALL_ESTABLISHED', 15_000, since.to);
}

/** RTP packets the agent relayed so far, per call (from `sbc-agent calls --json`). */
async function packetsByCall(): Promise<Map<string, number>> {
  const r = await runCli(['calls', '--json', '--state-dir', agentState]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { calls: { callId: string; fromEdge?: { packets: number } }[] };
  const out = new Map<string, number>();
  for (const c of doc.calls) out.set(c.callId, (out.get(c.callId) ?? 0) + (c.fromEdge?.packets ?? 0));
  return out;
}

function sipp(name: string, args: readonly string[]): Promise<Finished & { trace: string }> {
  const log = join(dir, `${name}.log`);
  const { done } = spawnCollect('ip', ['netns', 'exec', ns.lan, 'sipp', ...args, '-nostdin', '-trace_msg', '-message_file', log], dir);
  return done.then((f) => {
    let trace = '';
    try {
      trace = readFileSync(log, 'utf8');
    } catch {
      // SIPp traced nothing.
    }
    return { ...f, trace };
  });
}

/** One plug-and-play boot of a Yealink phone with `mac` (SIPp to the multicast group). */
function pnpBoot(mac: string, port: number, timeout: string): Promise<Finished & { trace: string }> {
  return sipp(`pnp-${mac}`, [
    '224.0.1.75:5060', '-sf', join(SCENARIOS, 'pnp-subscribe.xml'),
    '-key', 'ruri', `sip:MAC${mac}@224.0.1.75`, '-key', 'from', `<sip:MAC${mac}@224.0.1.75>`, '-key', 'contact_user', `MAC${mac}@`,
    '-key', 'event', 'ua-profile;profile-type="device";vendor="yealink";model="T54W";version="96.86.0.70"', '-key', 'ua', 'Yealink SIP-T54W 96.86.0.70',
    '-i', PHONES, '-p', String(port), '-m', '1', '-timeout', timeout,
  ]);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sbc-e2e-box-'));
  bed = new Testbed('box');
  ns = { lan: bed.namespace('lan'), agent: bed.namespace('agt'), hub: bed.namespace('hub') };
  bed.link({ ns: ns.lan, dev: 'eth0', addr: `${PHONES}/24` }, { ns: ns.agent, dev: 'lan0', addr: `${AGENT_LAN}/24` });
  bed.link({ ns: ns.agent, dev: 'wan0', addr: '10.210.2.2/24' }, { ns: ns.hub, dev: 'eth0', addr: `${HUB}/24` });
  bed.defaultRoute(ns.agent, HUB);
  // Multicast from the phones leaves by their LAN interface (there is no default route in that namespace).
  bed.exec(ns.lan, 'ip', ['route', 'add', '224.0.0.0/4', 'dev', 'eth0']);

  pbx = startPbx(dir, '127.0.0.1', 5060, ns.hub);
  // An RFC 5780 STUN server on the WAN side (two addresses) for the agent's NAT check at start.
  bed.addAddress(ns.hub, 'eth0', '10.210.2.3/24');
  wanStun = new CliProcess(['stun-server', '--listen', `${HUB}:3478`, '--alternate', '10.210.2.3:3479'], undefined, ns.hub);
  await wanStun.waitForOutput(/stun-server listening/, 10_000);
  writeFileSync(join(dir, 'provisioning.mjs'), PROVISIONING_SERVER);
  provisioning = spawnCollect('ip', ['netns', 'exec', ns.hub, process.execPath, join(dir, 'provisioning.mjs')]);
  provisioning.child.stdout?.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n').filter((l) => l.trim() !== '')) {
      const e = JSON.parse(line) as { event: string; url?: string };
      if (e.event === 'request' && e.url !== undefined) provisioningRequests.push(e.url);
    }
  });
  hub = await startCliHub({ dir, netns: ns.hub, yaml: namespaceHubYaml(HUB, 'info', "  provisioning: { upstream: 'http://127.0.0.1:8089/' }\n") });
  agentState = join(dir, 'agent');
  await enrollByCli(hub, 'branch-box', agentState, ns.agent);
  agentYaml = join(dir, 'agent.yaml');
  writeFileSync(agentYaml, yaml('auto'));
  // As systemd runs it: a notification socket of the test's own, and a 2 s watchdog.
  notify = new NotifySocket();
  agent = new CliProcess(['run', '--config', agentYaml, '--state-dir', agentState], undefined, ns.agent, { ...process.env, NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: '2000000' });
  await agent.waitForOutput(/run: SBC 'branch-box'/, 30_000);
  await statusUntil((s) => s.tunnels[0]?.state === 'up', 'the tunnel comes up');
});

after(async () => {
  for (const p of Object.values(phones)) await p.stop().catch(() => undefined);
  await agent?.stop('SIGINT');
  await hub?.process.stop();
  await wanStun?.stop();
  provisioning?.child.kill('SIGTERM');
  await pbx?.stop();
  bed?.remove();
  notify?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('the agent chose lan0 as its LAN by itself and listens there on the default ports', async () => {
  const s = await status();
  assert.deepEqual(s.parts.lans.map((l) => [l.name, l.address]), [['lan0', AGENT_LAN]]);
  assert.match(s.parts.lans[0]?.reason ?? '', /not on the default route's interface \(wan0\)/);
  const listening = s.listeners.map((l) => `${l.name} ${l.address}:${l.port}`);
  for (const l of [`sip-udp ${AGENT_LAN}:5060`, `sip-tcp ${AGENT_LAN}:5060`, 'pnp-group 224.0.1.75:5060', `provisioning ${AGENT_LAN}:8080`, `stun ${AGENT_LAN}:3478`]) {
    assert.ok(listening.includes(l), `${l} in ${listening.join(', ')}`);
  }
});

test('systemd hears READY=1 with a status line once everything is bound, and watchdog pings from the event loop', { timeout: 20_000 }, async () => {
  const ready = await notify.waitFor((n) => n.lines.includes('READY=1'), 10_000);
  assert.ok(ready.lines.some((l) => /^STATUS=normal; tunnel (up|down); \d+ phones; \d+ calls$/.test(l)), ready.lines.join(' | '));
  await notify.waitFor((n) => n.at > ready.at && n.lines.includes('WATCHDOG=1'), 5_000);
});

let registrar = '';

test('a phone\'s plug-and-play SUBSCRIBE gets its 200 and NOTIFY, and its configuration comes through the tunnel naming the agent as registrar', { timeout: 60_000 }, async () => {
  const boot = await pnpBoot(MAC, 5062, '20s');
  assert.equal(boot.code, 0, `${boot.stderr}\n${boot.trace.slice(-3000)}\nagent: ${agent.stderr.slice(-2000)}`);
  const received = sippMessages(boot.trace).filter((m) => m.direction === 'received');
  assert.match(received[0]?.text ?? '', /^SIP\/2\.0 200 OK/);
  const notify = received.find((m) => m.text.startsWith('NOTIFY'))?.text ?? '';
  const url = /\r?\n\r?\n(http:\/\/\S+)/.exec(notify)?.[1];
  assert.equal(url, `http://${AGENT_LAN}:8080/`, notify);

  const fetched = spawnCollect('ip', ['netns', 'exec', ns.lan, process.execPath, '-e',
    `fetch(${JSON.stringify(`${url}${MAC}.cfg`)}).then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() })))`]);
  const f = await fetched.done;
  assert.equal(f.code, 0, f.stderr);
  const reply = JSON.parse(f.stdout) as { status: number; body: string };
  assert.equal(reply.status, 200, `${f.stdout}\nagent: ${agent.stderr.slice(-2000)}\nhub: ${hub.process.stderr.slice(-2000)}`);
  assert.equal(reply.body, PROVISIONING_FILE.replace('account.1.sip_server.1.address = pbx.example.net', `account.1.sip_server.1.address = ${AGENT_LAN}`));
  assert.deepEqual(provisioningRequests, [`/${MAC}.cfg`], 'the provisioning server, reachable only from the hub, was asked once');
  registrar = /account\.1\.sip_server\.1\.address = (\S+)/.exec(reply.body)?.[1] ?? '';
  assert.equal(registrar, AGENT_LAN);
});

test('phones register with the registrar from that configuration and call each other through the same process', { timeout: 90_000 }, async () => {
  const outbound = `sip:${registrar || AGENT_LAN}:5060;transport=udp`;
  phones.A = await phone('A', 0, outbound);
  phones.B = await phone('B', 1, outbound);
  await phones.A.waitRegistered();
  await phones.B.waitRegistered();
  await call(phones.A, phones.B);
  await sleep(4000);
  const recordings = phones.B.decodedRecordings();
  const heard = dominantFrequency(recordings[recordings.length - 1] ?? '').hz;
  assert.ok(Math.abs(heard - TONE.A) <= TONE.A * 0.05, `B hears A's ${TONE.A} Hz (got ${heard})`);
  const s = await statusUntil((x) => x.parts.calls.active === 1 && x.parts.registrations.count === 2, 'the call and both registrations in status');
  assert.deepEqual(s.parts.registrations.phones.map((p) => p.aor).sort(), [`sip:1001@${PBX_DOMAIN}`, `sip:1002@${PBX_DOMAIN}`]);
});

test('turnutils_stunclient gets its mapped address from the agent, on the STUN port and on the SIP port', { timeout: 30_000 }, async () => {
  for (const port of ['3478', '5060']) {
    const { done } = spawnCollect('ip', ['netns', 'exec', ns.lan, 'turnutils_stunclient', '-p', port, AGENT_LAN]);
    const r = await done;
    assert.equal(r.code, 0, `port ${port}: ${r.stderr}`);
    const reflexive = [...r.stdout.matchAll(/UDP reflexive addr: ([\d.]+):(\d+)/g)];
    assert.ok(reflexive.length >= 1, `port ${port}: ${r.stdout}`);
    for (const m of reflexive) assert.equal(m[1], PHONES);
  }
});

test('status --json shows every part: LAN, PnP, provisioning through the tunnel, STUN, registrations, the call', { timeout: 30_000 }, async () => {
  const s = await statusUntil((x) => x.parts.stun.counters.success >= 1, 'STUN answers counted');
  assert.equal(s.parts.mode, 'normal');
  assert.equal(s.parts.pnp.policy, 'auto');
  assert.ok(s.parts.pnp.answered >= 1 && s.parts.pnp.phones.approved >= 1, JSON.stringify(s.parts.pnp));
  assert.equal(s.parts.provisioning.source, 'tunnel');
  assert.ok((s.parts.provisioning.relay?.upstreamFetches ?? 0) >= 1, JSON.stringify(s.parts.provisioning));
  assert.equal(s.parts.registrations.count, 2);
  assert.equal(s.parts.calls.active, 1);
  assert.equal(s.tunnels[0]?.state, 'up');
  assert.equal(s.parts.nat.state, 'done', JSON.stringify(s.parts.nat));
  assert.match(s.parts.nat.mappedAddress ?? '', /^10\.210\.2\.2:\d+$/, 'the WAN address as the STUN server saw it');
  assert.equal(s.parts.nat.natPresent, false, 'no NAT between the agent and the hub side here');
  assert.equal(s.parts.nat.mapping, 'endpoint-independent');
  const human = await runCli(['status', '--state-dir', agentState]);
  assert.match(human.stdout, /LANs: +lan0 10\.210\.1\.1: private address/);
  assert.match(human.stdout, /provisioning: from tunnel, \d+ requests, [1-9]\d* fetched/);
  assert.match(human.stdout, /phones: +2 registered/);
  assert.match(human.stdout, /NAT: +public 10\.210\.2\.2:\d+/);
});

test('SIGHUP applies a new PnP policy without dropping the call; a broken file keeps the running configuration', { timeout: 60_000 }, async () => {
  const before = await packetsByCall();
  writeFileSync(agentYaml, yaml('off'));
  const since = agent.stderr.length;
  agent.child.kill('SIGHUP');
  await agent.waitForStderr(/configuration reloaded/, 10_000, since);
  const reloading = await notify.waitFor((n) => n.lines.includes('RELOADING=1'), 5_000);
  await notify.waitFor((n) => n.at >= reloading.at && n.lines.includes('READY=1'), 5_000);
  await statusUntil((s) => s.parts.pnp.policy === 'off', 'the new policy in status');
  const pending = (await status()).parts.pnp.pending;
  const silent = await pnpBoot('001565000002', 5064, '3s');
  assert.notEqual(silent.code, 0, 'a new phone gets no answer with policy off');
  await statusUntil((s) => s.parts.pnp.pending > pending, 'the unanswered SUBSCRIBE counted');

  writeFileSync(agentYaml, 'agent:\n  pnp: [\n');
  const since2 = agent.stderr.length;
  agent.child.kill('SIGHUP');
  await agent.waitForStderr(/reload refused: the configuration is not valid/, 10_000, since2);
  assert.equal((await status()).parts.pnp.policy, 'off', 'the running configuration stays');
  assert.equal(agent.running, true);
  await sleep(1500);
  const afterReload = await packetsByCall();
  for (const [callId, n] of before) assert.ok((afterReload.get(callId) ?? 0) > n + 50, `call ${callId} kept its audio (${n} → ${afterReload.get(callId) ?? 0})`);
  writeFileSync(agentYaml, yaml('off'));
});

test('SIGTERM drains: a new call gets 503, both calls up keep their audio, and the process exits 0 when they end', { timeout: 90_000 }, async () => {
  const outbound = `sip:${AGENT_LAN}:5060;transport=udp`;
  phones.C = await phone('C', 2, outbound);
  phones.D = await phone('D', 3, outbound);
  await phones.C.waitRegistered();
  await phones.D.waitRegistered();
  await call(phones.C, phones.D);
  await statusUntil((s) => s.parts.calls.active === 2, 'two calls up');
  const since = agent.stderr.length;
  agent.child.kill('SIGTERM');
  await agent.waitForStderr(/draining: new calls get 503/, 10_000, since);
  const stopping = await notify.waitFor((n) => n.lines.includes('STOPPING=1'), 5_000);
  assert.ok(stopping.lines.some((l) => /^STATUS=draining: 2 calls up$/.test(l)), stopping.lines.join(' | '));
  writeFileSync(join(dir, 'invite-503.xml'), INVITE_503);
  const refused = await sipp('refused', [`${AGENT_LAN}:5060`, '-sf', join(dir, 'invite-503.xml'), '-i', PHONES, '-p', '5066', '-m', '1', '-timeout', '10s']);
  assert.equal(refused.code, 0, `the new call got 503: ${refused.trace.slice(-2000)}`);
  assert.match(refused.trace, /SIP\/2\.0 503 Draining[\s\S]*Retry-After: 60/);
  const p0 = await packetsByCall();
  await sleep(2000);
  const p1 = await packetsByCall();
  assert.equal(p0.size, 2, 'both calls are up while draining');
  for (const [callId, n] of p0) assert.ok((p1.get(callId) ?? 0) > n + 100, `call ${callId} keeps its audio while draining (${n} → ${p1.get(callId) ?? 0})`);
  assert.equal(agent.running, true, 'still running while calls are up');
  const s = await status();
  assert.equal(s.parts.mode, 'draining');
  assert.ok(s.parts.calls.refusedDraining >= 1);
  await phones.A?.command('hangup');
  await phones.C.command('hangup');
  assert.equal(await agent.exitWithin(15_000), 0, agent.stderr.slice(-2000));
  assert.match(agent.stdout, /run: drained, stopped/);
});
