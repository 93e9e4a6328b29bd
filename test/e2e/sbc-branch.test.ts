/**
 * The SBC call path end to end, in network namespaces this test creates (10.203.x.y exists only
 * inside them):
 *
 *   lan (phones A B C, 10.203.1.10) ── agent (LAN 10.203.1.1 | WAN 10.203.2.2) ── router (NAT) ── pbx (hub + Kamailio + phone D, 10.203.3.2)
 *   natin (phone E, 10.203.4.10) ── nat (masquerade, 10.203.1.20 on the LAN) ──┘
 *
 * Real peers: baresip phones (tones from sox, recordings checked by frequency), Kamailio as the PBX.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaresipPhone, dominantFrequency, type BaresipOptions } from '../support/baresip.js';
import { Testbed } from '../support/netns.js';
import { NOTIFIER_PORT_OFFSET, NOTIFIER_USER, PBX_DOMAIN, PBX_PASSWORD, startPbx, type PbxProcess } from '../support/sbc-kamailio.js';
import { BLF_NOTIFIER, blfWatchers } from '../support/sbc-blf.js';
import { SbcNode } from '../support/sbc-rig.js';
import { makeTunnelCerts, type TunnelCerts } from '../support/tunnel-certs.js';

const AGENT_LAN = '10.203.1.1';
const PHONES = '10.203.1.10';
const PBX = '10.203.3.2';
const NAT_PHONE = '10.203.4.10';
/** The program as built beside this test (dist/ or dist-NAME/). */
const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
const TONE = { A: 1000, B: 500, C: 750, D: 1250, E: 625 } as const;

let bed: Testbed;
let dir: string;
let certs: TunnelCerts;
let pbx: PbxProcess;
let hub: SbcNode;
let agent: SbcNode;
const phones: Record<string, BaresipPhone> = {};
let ns: Record<'lan' | 'agent' | 'router' | 'pbx' | 'nat' | 'natin', string>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function phone(name: keyof typeof TONE, i: number, netns: string, address: string, outbound: string, answer: 'auto' | 'manual'): Promise<BaresipPhone> {
  const o: BaresipOptions = {
    dir, name, address, netns, answer, outbound,
    sipPort: 20300 + i * 2, ctrlPort: 20310 + i, rtpPorts: [20400 + i * 20, 20419 + i * 20],
    user: `100${i + 1}`, domain: PBX_DOMAIN, password: PBX_PASSWORD, toneHz: TONE[name],
  };
  return BaresipPhone.start(o);
}

interface Leg { callId: string; streams: { local: boolean; stats?: { 'a-to-b': { packets: number }; 'b-to-a': { packets: number } } }[] }
async function agentLegs(): Promise<Leg[]> {
  const r = await agent.ask('calls');
  return ((r.report as { legs: Leg[] } | undefined)?.legs) ?? [];
}

/** Waits `ms`, then the newest received-audio recording of `p` and its dominant frequency. */
function heard(p: BaresipPhone): number {
  const files = p.decodedRecordings();
  const last = files[files.length - 1];
  assert.ok(last !== undefined, `${p.options.name} recorded nothing`);
  return dominantFrequency(last).hz;
}

function near(hz: number, want: number): boolean {
  return Math.abs(hz - want) <= want * 0.05;
}

async function call(from: BaresipPhone, to: BaresipPhone, seconds: number): Promise<void> {
  const since = { from: from.events.length, to: to.events.length };
  await from.command('dial', `sip:${to.options.user}@${PBX_DOMAIN}`);
  await from.waitFor('CALL_ESTABLISHED', 15_000, since.from);
  await to.waitFor('CALL_ESTABLISHED', 15_000, since.to);
  await sleep(seconds * 1000);
}

async function hangupAll(): Promise<void> {
  for (const p of Object.values(phones)) await p.command('hangup').catch(() => undefined);
  await sleep(1000);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sbc-e2e-'));
  bed = new Testbed('sbce');
  ns = {
    lan: bed.namespace('lan'), agent: bed.namespace('agt'), router: bed.namespace('rtr'),
    pbx: bed.namespace('pbx'), nat: bed.namespace('nat'), natin: bed.namespace('nin'),
  };
  // The LAN is a bridge in the agent's namespace: phones, the NAT router's outside leg and the agent share it.
  bed.exec(ns.agent, 'ip', ['link', 'add', 'br0', 'type', 'bridge']);
  bed.exec(ns.agent, 'ip', ['addr', 'add', `${AGENT_LAN}/24`, 'dev', 'br0']);
  bed.exec(ns.agent, 'ip', ['link', 'set', 'br0', 'up']);
  bed.link({ ns: ns.lan, dev: 'eth0', addr: `${PHONES}/24` }, { ns: ns.agent, dev: 'lan0', addr: '' });
  bed.link({ ns: ns.nat, dev: 'out0', addr: '10.203.1.20/24' }, { ns: ns.agent, dev: 'lan1', addr: '' });
  for (const dev of ['lan0', 'lan1']) bed.exec(ns.agent, 'ip', ['link', 'set', dev, 'master', 'br0']);
  bed.link({ ns: ns.agent, dev: 'wan0', addr: '10.203.2.2/24' }, { ns: ns.router, dev: 'in0', addr: '10.203.2.1/24' });
  bed.link({ ns: ns.router, dev: 'out0', addr: '10.203.3.1/24' }, { ns: ns.pbx, dev: 'eth0', addr: `${PBX}/24` });
  bed.link({ ns: ns.natin, dev: 'eth0', addr: `${NAT_PHONE}/24` }, { ns: ns.nat, dev: 'in0', addr: '10.203.4.1/24' });
  bed.defaultRoute(ns.agent, '10.203.2.1');
  bed.defaultRoute(ns.natin, '10.203.4.1');
  bed.forwarding(ns.router);
  bed.forwarding(ns.nat);
  bed.masquerade(ns.router, 'out0');
  bed.masquerade(ns.nat, 'out0');
  // Counters on the agent's WAN leg: UDP (RTP would be) and the tunnel's TCP.
  bed.nft(ns.agent, 'table inet watch {\n chain out {\n  type filter hook output priority 0; policy accept;\n  oifname "wan0" meta l4proto udp counter\n  oifname "wan0" tcp dport 20090 counter\n }\n}\n');

  mkdirSync(join(dir, 'state', 'agent'), { recursive: true });
  certs = makeTunnelCerts([PBX]);
  pbx = startPbx(dir, PBX, 20060, ns.pbx);
  hub = new SbcNode('hub', {
    certs: { key: certs.hub.keyPath, cert: certs.hub.certPath, ca: certs.caPath },
    tunnelHost: PBX, tunnelPort: 20090, sipAddress: PBX, sipPort: 20070, mediaAddress: PBX,
    mediaPorts: { min: 20200, max: 20299 }, pbx: { host: PBX, port: 20060 },
  }, ns.pbx);
  await hub.waitFor('listening');
  agent = new SbcNode('agent', {
    identity: 'agent-1', certs: { key: certs.agent.keyPath, cert: certs.agent.certPath, ca: certs.caPath },
    hub: { host: PBX, port: 20090 }, sipAddress: AGENT_LAN, sipPort: 20060, mediaAddress: AGENT_LAN,
    mediaPorts: { min: 20100, max: 20199 }, callsFile: join(dir, 'state', 'agent', 'calls.json'),
  }, ns.agent);
  await agent.waitFor('tunnel-open', 15_000);
  const viaAgent = `sip:${AGENT_LAN}:20060;transport=udp`;
  phones.A = await phone('A', 0, ns.lan, PHONES, viaAgent, 'manual');
  phones.B = await phone('B', 1, ns.lan, PHONES, viaAgent, 'auto');
  phones.C = await phone('C', 2, ns.lan, PHONES, viaAgent, 'auto');
  phones.D = await phone('D', 3, ns.pbx, PBX, `sip:${PBX}:20060;transport=udp`, 'auto');
  phones.E = await phone('E', 4, ns.natin, NAT_PHONE, viaAgent, 'auto');
});

after(async () => {
  for (const p of Object.values(phones)) await p.stop().catch(() => undefined);
  await agent?.stop();
  await hub?.stop();
  await pbx?.stop();
  bed?.remove();
  certs?.remove();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('three LAN phones register through the agent; Kamailio sees only the hub', { timeout: 60_000 }, async () => {
  for (const name of ['A', 'B', 'C'] as const) await phones[name]?.waitRegistered();
  const r = await agent.ask('calls');
  const bindings = r.bindings as { aor: string; contact: string }[];
  for (const user of ['1001', '1002', '1003']) assert.ok(bindings.some((b) => b.aor === `sip:${user}@${PBX_DOMAIN}`), `the agent keeps ${user}'s binding`);
  const kamailio = pbx.log.join('');
  assert.match(kamailio, /REGISTER sip:1001@pbx\.test from 10\.203\.3\.2:20070 contact <sip:agent-1~a-/);
  assert.doesNotMatch(kamailio, /10\.203\.1\.|10\.203\.4\./, 'no LAN address reaches the PBX');
});

test('A calls B: each hears the other; RTP stays in the LAN (WAN leg: SIP, no UDP)', { timeout: 60_000 }, async () => {
  const before = bed.nftJson(ns.agent, 'table', 'inet', 'watch');
  const counters = (doc: unknown): number[] => JSON.stringify(doc).match(/"packets":\s*(\d+)/g)?.map((m) => Number(m.replace(/\D/g, ''))) ?? [];
  const [udp0 = 0, tcp0 = 0] = counters(before);
  const tunnel0 = ((await agent.ask('calls')).tunnel as { datagrams: { sent: number } }).datagrams.sent;
  await call(phones.A!, phones.B!, 4);
  const legs = await agentLegs();
  assert.ok(legs.some((l) => l.streams.some((s) => s.local)), 'the agent bridged the two legs locally');
  const [udp1 = 0, tcp1 = 0] = counters(bed.nftJson(ns.agent, 'table', 'inet', 'watch'));
  const tunnel1 = ((await agent.ask('calls')).tunnel as { datagrams: { sent: number } }).datagrams.sent;
  assert.ok(tcp1 > tcp0, 'the call\'s SIP crossed the WAN in the tunnel');
  assert.equal(udp1 - udp0, 0, 'no UDP (RTP) left on the WAN leg');
  assert.equal(tunnel1 - tunnel0, 0, 'no datagram entered the tunnel');
  assert.ok(near(heard(phones.B!), TONE.A), `B hears A's ${TONE.A} Hz (got ${heard(phones.B!)})`);
  assert.ok(near(heard(phones.A!), TONE.B), `A hears B's ${TONE.B} Hz (got ${heard(phones.B!)})`);
  const listed = JSON.parse(execFileSync(process.execPath, [MAIN, 'calls', '--json', '--state-dir', join(dir, 'state')]).toString()) as { running: boolean; calls: { local: boolean; fromEdge?: { packets: number }; oneWay?: string }[] };
  assert.equal(listed.running, true);
  assert.ok(listed.calls.length >= 2 && listed.calls.every((c) => c.local && (c.fromEdge?.packets ?? 0) > 100 && c.oneWay === undefined), JSON.stringify(listed));
});

test('hold and resume keep audio', { timeout: 60_000 }, async () => {
  const packets = async (): Promise<number> => (await agentLegs()).flatMap((l) => l.streams).reduce((n, s) => n + (s.stats?.['a-to-b'].packets ?? 0) + (s.stats?.['b-to-a'].packets ?? 0), 0);
  const hold = await phones.A!.command('hold');
  assert.ok(hold.ok, `hold: ${hold.data}`);
  await sleep(2000);
  const resume = await phones.A!.command('resume');
  assert.ok(resume.ok, `resume: ${resume.data}`);
  await sleep(1000);
  const p0 = await packets();
  await sleep(2000);
  const p1 = await packets();
  assert.ok(p1 - p0 >= 150, `audio flows after resume (${p1 - p0} packets in 2 s)`);
});

test('B blind-transfers A to C: C hears A', { timeout: 60_000 }, async () => {
  const since = phones.C!.events.length;
  const r = await phones.B!.command('transfer', `sip:1003@${PBX_DOMAIN}`);
  assert.ok(r.ok, `transfer: ${r.data}`);
  await phones.C!.waitFor('CALL_ESTABLISHED', 15_000, since);
  await sleep(4000);
  assert.ok(near(heard(phones.C!), TONE.A), `C hears A's ${TONE.A} Hz (got ${heard(phones.C!)})`);
  await hangupAll();
});

test('a phone registered directly at Kamailio calls a branch phone: audio both ways through the tunnel', { timeout: 60_000 }, async () => {
  await phones.D!.waitRegistered();
  await call(phones.D!, phones.B!, 4);
  assert.ok(near(heard(phones.B!), TONE.D), `B hears D's ${TONE.D} Hz (got ${heard(phones.B!)})`);
  assert.ok(near(heard(phones.D!), TONE.B), `D hears B's ${TONE.B} Hz (got ${heard(phones.D!)})`);
  const legs = await agentLegs();
  assert.ok(legs.some((l) => l.streams.some((s) => !s.local && (s.stats?.['a-to-b'].packets ?? 0) > 100)), 'media crossed the tunnel');
  await hangupAll();
});

test('a phone behind a NAT (masquerade) registers through the agent and calls with audio both ways', { timeout: 60_000 }, async () => {
  await phones.E!.waitRegistered();
  await call(phones.E!, phones.D!, 4);
  assert.ok(near(heard(phones.D!), TONE.E), `D hears E's ${TONE.E} Hz (got ${heard(phones.D!)})`);
  assert.ok(near(heard(phones.E!), TONE.D), `E hears D's ${TONE.D} Hz (got ${heard(phones.E!)})`);
  await hangupAll();
});

/** An unsolicited MWI NOTIFY (RFC 3842) as a PBX sends it, from SIPp beside Kamailio. */
const MWI_NOTIFY = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="mwi">
  <send retrans="500"><![CDATA[
    NOTIFY sip:[service]@${PBX_DOMAIN} SIP/2.0
    Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch];rport
    From: <sip:voicemail@${PBX_DOMAIN}>;tag=[pid]mwi[call_number]
    To: <sip:[service]@${PBX_DOMAIN}>
    Call-ID: [call_id]
    CSeq: 1 NOTIFY
    Max-Forwards: 70
    Event: message-summary
    Subscription-State: active
    Content-Type: application/simple-message-summary
    Content-Length: [len]

    Messages-Waiting: yes
    Voice-Message: 2/0 (0/0)
  ]]></send>
  <recv response="481"/>
</scenario>
`;

test('an MWI NOTIFY from the PBX side reaches the branch phone (baresip, not subscribed, answers 481 back through the tunnel)', { timeout: 30_000 }, async () => {
  writeFileSync(join(dir, 'mwi.xml'), MWI_NOTIFY);
  const unroutable0 = ((await agent.ask('calls')).counters as { unroutable: number }).unroutable;
  let failure = '';
  try {
    bed.exec(ns.pbx, 'sipp', ['-sf', join(dir, 'mwi.xml'), `${PBX}:20060`, '-s', '1002', '-i', PBX, '-p', '20700', '-m', '1', '-nostdin', '-timeout', '15s', '-trace_msg', '-message_file', join(dir, 'mwi-msg.log')]);
  } catch (error) {
    failure = String(error);
  }
  const trace = readFileSync(join(dir, 'mwi-msg.log'), 'utf8');
  assert.equal(failure, '', `${failure}\n${trace.slice(-3000)}\n${pbx.log.join('').slice(-2000)}\n${agent.stderr.join('').slice(-2000)}`);
  assert.match(trace, /SIP\/2\.0 481 [^\r\n]*[\s\S]*Server: baresip/, 'the answer is the phone\'s');
  assert.doesNotMatch(trace, /10\.203\.1\./, 'no LAN address comes back to the PBX side');
  assert.equal(((await agent.ask('calls')).counters as { unroutable: number }).unroutable, unroutable0);
});

/** SIPp in a namespace, bounded by -timeout; resolves with its exit code and trace. */
function sipp(netns: string, name: string, args: string[]): Promise<{ code: number | null; trace: string }> {
  const log = join(dir, `${name}-msg.log`);
  const child = spawn('ip', ['netns', 'exec', netns, 'sipp', ...args, '-nostdin', '-timeout', '30s', '-trace_msg', '-message_file', log, '-trace_err', '-error_file', join(dir, `${name}-err.log`)], { stdio: 'ignore' });
  return new Promise((resolve) => child.once('exit', (code) => {
    let trace = '';
    for (const f of [log, join(dir, `${name}-err.log`)]) {
      try {
        trace += readFileSync(f, 'utf8').slice(-4000);
      } catch {
        // SIPp wrote no such file
      }
    }
    resolve({ code, trace });
  }));
}

test('BLF: five branch watchers of one extension see early then confirmed; the PBX sees one SUBSCRIBE dialog', { timeout: 60_000 }, async () => {
  // Watchers share a subscription only from a host with a live registration (phones A, B, C share the LAN address).
  await phones.A!.waitRegistered();
  writeFileSync(join(dir, 'blf-notifier.xml'), BLF_NOTIFIER);
  writeFileSync(join(dir, 'blf-watchers.xml'), blfWatchers(`sip:sbc@${AGENT_LAN}:20060`));
  const notifier = sipp(ns.pbx, 'blf-notifier', ['-sf', join(dir, 'blf-notifier.xml'), '-i', PBX, '-p', String(20060 + NOTIFIER_PORT_OFFSET), '-m', '1']);
  await sleep(500);
  const watchers = await sipp(ns.lan, 'blf-watchers', ['-sf', join(dir, 'blf-watchers.xml'), `${AGENT_LAN}:20060`, '-s', NOTIFIER_USER, '-i', PHONES, '-p', '22720', '-m', '5', '-r', '10', '-l', '5']);
  const upstream = await notifier;
  const kamailio = pbx.log.join('');
  const logs = `agent: ${agent.stderr.join('').slice(-1500)}\nhub: ${hub.stderr.join('').slice(-1500)}\nkamailio: ${kamailio.slice(-2500)}\nnotifier: ${upstream.trace.slice(-2000)}`;
  assert.equal(watchers.code, 0, `watchers: ${watchers.trace.slice(-1500)}\n${logs}`);
  assert.equal(upstream.code, 0, `notifier: ${upstream.trace}`);
  const subscribes = kamailio.match(/BLF SUBSCRIBE \S+/g) ?? [];
  assert.equal(subscribes.length, 1, `one upstream subscription dialog for five watchers: ${subscribes.join(', ')}`);
  assert.doesNotMatch(upstream.trace, /10\.203\.1\./, 'no LAN address reaches the notifier');
});
