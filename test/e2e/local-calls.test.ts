/**
 * Calls under the agent's own call control (issue 11, agent.calls: local), end to end in network
 * namespaces (test/support/local-rig.ts): two baresip phones registered to the agent's local
 * registrar call each other by extension number through the B2BUA, with the media relayed on the
 * agent's LAN address, and each hears the other's tone; a national number goes out through the
 * branch's IP trunk to the ITSP (SIPp) with the outbound rule's strip and prepend; a ring-all
 * group rings SIPp phones at once, the first to answer gets the call and the other is cancelled;
 * a prioritized hunt rings its first member for the group's 5 s, then the next, read off the
 * phones' time-stamped SIPp traces; 112 goes out through the local trunk with the emergency caller
 * ID although every outbound rule blocks the caller; a blacklisted caller from the trunk gets 603.
 * 104 unanswered forwards to 103 after its 4 s. Every call leaves a CDR that reaches the hub, also one
 * made while the hub is down (kept in the agent's buffer until the tunnel is back).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dominantFrequency, type BaresipPhone } from '../support/baresip.js';
import { MAIN, runCli } from '../support/integ-process.js';
import { BARESIP_PHONES, LocalRig, REALM, SBC_NAME, sippTimeline, type TimedSippMessage } from '../support/local-rig.js';

const execFileP = promisify(execFile);
const TONE = { A: 1000, B: 500 } as const;
let rig: LocalRig;
let a: BaresipPhone;
let b: BaresipPhone;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

before(async () => {
  rig = await LocalRig.start({ prefix: 'lcal' });
  a = await rig.baresip('A', '101', TONE.A);
  b = await rig.baresip('B', '102', TONE.B);
  await a.waitRegistered();
  await b.waitRegistered();
});

after(async () => {
  await rig?.stop();
});

function heard(phone: BaresipPhone): number {
  const recordings = phone.decodedRecordings();
  return dominantFrequency(recordings[recordings.length - 1] ?? '').hz;
}

test('extension 101 calls 102 through the agent\'s B2BUA: both answer, each hears the other\'s tone, status counts the call', { timeout: 90_000 }, async () => {
  const since = { a: a.events.length, b: b.events.length };
  await a.command('dial', `sip:102@${REALM}`);
  await b.waitFor('CALL_ESTABLISHED', 15_000, since.b);
  await a.waitFor('CALL_ESTABLISHED', 15_000, since.a);
  await rig.statusUntil((s) => s.parts.calls.active === 1, 'one call in status');
  await sleep(4000);
  const bHears = heard(b);
  const aHears = heard(a);
  assert.ok(Math.abs(bHears - TONE.A) <= TONE.A * 0.05, `102 hears 101's ${TONE.A} Hz (got ${bHears})\nagent: ${rig.agent.stderr.slice(-3000)}`);
  assert.ok(Math.abs(aHears - TONE.B) <= TONE.B * 0.05, `101 hears 102's ${TONE.B} Hz (got ${aHears})`);
  await a.command('hangup');
  await b.waitFor('CALL_CLOSED', 10_000, since.b);
  await rig.statusUntil((s) => s.parts.calls.active === 0, 'the call ended in status');
  await rig.agent.waitForStderr(/call detail record/, 5_000);
  // The admin API's recent events (issue 15): the B2BUA's call events and the CDR, as published.
  const recent = await adminRecentEvents();
  const mine = recent.filter((e) => e.data['callId'] === recent.find((r) => r.event === 'call_cdr')?.data['callId']);
  assert.deepEqual(mine.map((e) => e.event), ['call_start', 'call_established', 'call_ended', 'call_cdr'], JSON.stringify(recent));
  assert.equal(mine[3]?.data['caller'], '101');
  assert.equal(mine[3]?.data['callee'], '102');
  assert.equal(mine[3]?.data['endedReason'], 'completed');
});

test('sbc-agent capture during a call 101 to 102: tshark reads both legs\' INVITE/200/ACK/BYE and the RTP both ways', { timeout: 90_000 }, async () => {
  const out = join(rig.dir, 'call.pcap');
  // The command runs in the agent's namespace: agent.admin listens on its 127.0.0.1.
  const capture = execFileP('ip', ['netns', 'exec', rig.ns.agent, process.execPath, MAIN, 'capture', '--config', rig.agentYaml, '--state-dir', rig.agentState, '--seconds', '10', '--out', out]);
  await sleep(1500);
  const since = { a: a.events.length, b: b.events.length };
  await a.command('dial', `sip:102@${REALM}`);
  await b.waitFor('CALL_ESTABLISHED', 15_000, since.b);
  await a.waitFor('CALL_ESTABLISHED', 15_000, since.a);
  await sleep(2000);
  await a.command('hangup');
  await b.waitFor('CALL_CLOSED', 10_000, since.b);
  const { stdout } = await capture;
  assert.match(stdout, /call\.pcap \(\d+ bytes\)/);
  const tshark = async (args: readonly string[]): Promise<string[]> => (await execFileP('tshark', ['-r', out, ...args])).stdout.split('\n').filter((l) => l !== '');
  const sip = await tshark(['-Y', 'sip.CSeq.method == "INVITE" || sip.CSeq.method == "ACK" || sip.CSeq.method == "BYE"', '-T', 'fields', '-e', 'sip.Call-ID', '-e', 'sip.Method', '-e', 'sip.Status-Code']);
  const callIds = [...new Set(sip.map((l) => l.split('\t')[0]))];
  assert.equal(callIds.length, 2, `the caller's leg and the callee's leg:\n${sip.join('\n')}`);
  for (const callId of callIds) {
    const kinds = new Set(sip.filter((l) => l.startsWith(`${callId}\t`)).map((l) => l.split('\t').slice(1).join('')));
    for (const k of ['INVITE', '200', 'ACK', 'BYE']) assert.ok(kinds.has(k), `${callId}: ${k} in ${[...kinds].join(',')}`);
  }
  const rtp = await tshark(['-o', 'rtp.heuristic_rtp:TRUE', '-Y', 'rtp and udp.port >= 31000 and udp.port <= 31199', '-T', 'fields', '-e', 'ip.src', '-e', 'ip.dst']);
  assert.ok(rtp.filter((l) => l.startsWith(`${BARESIP_PHONES}\t`)).length > 50, `RTP from the phones: ${rtp.length} packets`);
  assert.ok(rtp.filter((l) => l.endsWith(`\t${BARESIP_PHONES}`)).length > 50, `RTP to the phones: ${rtp.length} packets`);
});

/** GET /api/events/recent of the agent's admin API (127.0.0.1:8081 in its namespace), with its token file. */
async function adminRecentEvents(): Promise<{ event: string; data: Record<string, unknown> }[]> {
  const token = readFileSync(join(rig.agentState, 'admin-token'), 'utf8').trim();
  const { stdout } = await execFileP('ip', ['netns', 'exec', rig.ns.agent, 'curl', '-sf', '-H', `Authorization: Bearer ${token}`, 'http://127.0.0.1:8081/api/events/recent?limit=200']);
  return JSON.parse(stdout) as { event: string; data: Record<string, unknown> }[];
}

function lines(messages: readonly TimedSippMessage[]): string[] {
  return messages.map((m) => `${m.direction} ${m.firstLine}`);
}

test('a national number goes out through the IP trunk to the ITSP, stripped of its 0 and prefixed +33', { timeout: 60_000 }, async () => {
  const itsp = rig.itsp('itsp-national');
  const since = a.events.length;
  await a.command('dial', `sip:0612345678@${REALM}`);
  await a.waitFor('CALL_ESTABLISHED', 15_000, since);
  await sleep(1000);
  await a.command('hangup');
  const run = await itsp;
  assert.equal(run.code, 0, `${run.stderr}\n${run.trace.slice(-3000)}\nagent: ${rig.agent.stderr.slice(-3000)}`);
  const timeline = sippTimeline(run.trace);
  assert.match(timeline[0]?.firstLine ?? '', /^INVITE sip:\+33612345678@10\.212\.2\.5:5060 SIP\/2\.0$/);
  assert.deepEqual(lines(timeline).slice(1), ['sent SIP/2.0 180 Ringing', 'sent SIP/2.0 200 OK', 'received ACK sip:itsp@10.212.2.5:5060 SIP/2.0', 'received BYE sip:itsp@10.212.2.5:5060 SIP/2.0', 'sent SIP/2.0 200 OK']);
});

test('ring group 600 (ring-all) rings its SIPp phones at once: the one that answers gets the call, the other is cancelled', { timeout: 90_000 }, async () => {
  const answers = await rig.sippPhone('p103-answers', '103', 'local-phone-uas.xml', { ringMs: 2000 });
  const rings = await rig.sippPhone('p104-rings', '104', 'local-phone-ring.xml');
  const since = a.events.length;
  await a.command('dial', `sip:600@${REALM}`);
  await a.waitFor('CALL_ESTABLISHED', 15_000, since);
  await sleep(1000);
  await a.command('hangup');
  const [won, lost] = await Promise.all([answers.done, rings.done]);
  assert.equal(won.code, 0, `${won.stderr}\n${won.trace.slice(-3000)}\nagent: ${rig.agent.stderr.slice(-3000)}`);
  assert.equal(lost.code, 0, `${lost.stderr}\n${lost.trace.slice(-3000)}`);
  const w = sippTimeline(won.trace);
  const l = sippTimeline(lost.trace);
  const bare = (m: readonly TimedSippMessage[]): string[] => lines(m).map((x) => x.replace(/ sip:\S+/, ''));
  assert.deepEqual(bare(w), ['received INVITE SIP/2.0', 'sent SIP/2.0 180 Ringing', 'sent SIP/2.0 200 OK', 'received ACK SIP/2.0', 'received BYE SIP/2.0', 'sent SIP/2.0 200 OK']);
  assert.deepEqual(bare(l), ['received INVITE SIP/2.0', 'sent SIP/2.0 180 Ringing', 'received CANCEL SIP/2.0', 'sent SIP/2.0 200 OK', 'sent SIP/2.0 487 Request Terminated', 'received ACK SIP/2.0']);
  const invited = [w[0]?.at ?? NaN, l[0]?.at ?? NaN];
  process.stdout.write(`# ring-all: INVITEs ${Math.abs(invited[0]! - invited[1]!)} ms apart; CANCEL ${(l[2]?.at ?? NaN) - (w[2]?.at ?? NaN)} ms after the 200\n`);
  assert.ok(Math.abs(invited[0]! - invited[1]!) < 250, 'both rang together (a lost INVITE would be 500 ms late)');
  // Two SIPp processes stamp their traces (ms, when each writes its trace line): the CANCEL the agent
  // sends after the 200 may be stamped a millisecond or two before the 200 the other SIPp sent.
  assert.ok((l[2]?.at ?? 0) >= (w[2]?.at ?? Infinity) - 5, 'the loser was cancelled after the winner answered');
});

test('ring group 601 (prioritized hunt, 5 s each) rings 104 first, cancels it after 5 s, then rings 103, which answers', { timeout: 90_000 }, async () => {
  const first = await rig.sippPhone('p104-hunt', '104', 'local-phone-ring.xml');
  const second = await rig.sippPhone('p103-hunt', '103', 'local-phone-uas.xml', { ringMs: 1000 });
  const since = a.events.length;
  await a.command('dial', `sip:601@${REALM}`);
  await a.waitFor('CALL_ESTABLISHED', 20_000, since);
  await sleep(500);
  await a.command('hangup');
  const [rang, took] = await Promise.all([first.done, second.done]);
  assert.equal(rang.code, 0, `${rang.stderr}\n${rang.trace.slice(-3000)}\nagent: ${rig.agent.stderr.slice(-3000)}`);
  assert.equal(took.code, 0, `${took.stderr}\n${took.trace.slice(-3000)}`);
  const r = sippTimeline(rang.trace);
  const t = sippTimeline(took.trace);
  const invite104 = r.find((m) => m.firstLine.startsWith('INVITE'))?.at ?? NaN;
  const cancel104 = r.find((m) => m.firstLine.startsWith('CANCEL'))?.at ?? NaN;
  const invite103 = t.find((m) => m.firstLine.startsWith('INVITE'))?.at ?? NaN;
  process.stdout.write(`# hunt: 104 rang ${cancel104 - invite104} ms, 103 invited ${invite103 - invite104} ms after 104\n`);
  // The group's ring time is 5 s; SIPp's clock and ours agree to well under the 1 s allowed here.
  assert.ok(Math.abs(cancel104 - invite104 - 5000) <= 1000, `104 rang ${cancel104 - invite104} ms`);
  assert.ok(invite103 >= invite104 + 4000 && invite103 <= cancel104 + 1000, `103 invited ${invite103 - invite104} ms after 104`);
});

test('102, whose outbound rule blocks everything, cannot call out but reaches 112 through the local trunk with its emergency caller ID', { timeout: 90_000 }, async () => {
  const since = b.events.length;
  await b.command('dial', `sip:0612345678@${REALM}`);
  await b.waitFor('CALL_CLOSED', 15_000, since);
  const closed = b.events.slice(since).find((e) => e.type === 'CALL_CLOSED');
  assert.match(String(closed?.param ?? ''), /403/, JSON.stringify(closed));
  const itsp = rig.itsp('itsp-emergency');
  const again = b.events.length;
  await b.command('dial', `sip:112@${REALM}`);
  await b.waitFor('CALL_ESTABLISHED', 15_000, again);
  await sleep(500);
  await b.command('hangup');
  const run = await itsp;
  assert.equal(run.code, 0, `${run.stderr}\n${run.trace.slice(-3000)}\nagent: ${rig.agent.stderr.slice(-3000)}`);
  const invite = sippTimeline(run.trace)[0]?.text ?? '';
  assert.match(invite, /^INVITE sip:112@10\.212\.2\.5:5060 SIP\/2\.0/);
  assert.match(invite, /\r?\nFrom: [^\r\n]*\+3312345102\b/, 'the emergency caller ID of 102');
  await rig.agent.waitForStderr(/"kind":"emergency"/, 5_000);
});

test('a blacklisted caller from the trunk gets 603 Decline; the ITSP is established as the trunk, not challenged', { timeout: 60_000 }, async () => {
  const run = await rig.trunkCall('blacklisted', '0666123456', '0123456789');
  assert.equal(run.code, 0, `${run.stderr}\n${run.trace.slice(-3000)}\nagent: ${rig.agent.stderr.slice(-3000)}`);
  const finals = sippTimeline(run.trace).filter((m) => m.direction === 'received' && !/^SIP\/2\.0 1\d\d/.test(m.firstLine)).map((m) => m.firstLine);
  assert.deepEqual(finals.map((l) => l.slice(0, 11)), ['SIP/2.0 603']);
});

test('104 does not answer: after its 4 s the call is cancelled there and forwarded to 103, which answers', { timeout: 90_000 }, async () => {
  const unanswered = await rig.sippPhone('p104-forward', '104', 'local-phone-ring.xml');
  const target = await rig.sippPhone('p103-forward', '103', 'local-phone-uas.xml', { ringMs: 500 });
  const since = a.events.length;
  await a.command('dial', `sip:104@${REALM}`);
  await a.waitFor('CALL_ESTABLISHED', 20_000, since);
  await sleep(500);
  await a.command('hangup');
  const [rang, took] = await Promise.all([unanswered.done, target.done]);
  assert.equal(rang.code, 0, `${rang.stderr}\n${rang.trace.slice(-3000)}\nagent: ${rig.agent.stderr.slice(-3000)}`);
  assert.equal(took.code, 0, `${took.stderr}\n${took.trace.slice(-3000)}`);
  const r = sippTimeline(rang.trace);
  const t = sippTimeline(took.trace);
  const invite104 = r.find((m) => m.firstLine.startsWith('INVITE'))?.at ?? NaN;
  const cancel104 = r.find((m) => m.firstLine.startsWith('CANCEL'))?.at ?? NaN;
  const invite103 = t.find((m) => m.firstLine.startsWith('INVITE'))?.at ?? NaN;
  process.stdout.write(`# forward: 104 rang ${cancel104 - invite104} ms, 103 invited ${invite103 - invite104} ms after 104\n`);
  assert.ok(Math.abs(cancel104 - invite104 - 4000) <= 1000, `104 rang ${cancel104 - invite104} ms`);
  assert.ok(invite103 >= invite104 + 3000, `103 invited ${invite103 - invite104} ms after 104`);
  assert.ok(t.some((m) => m.firstLine === 'SIP/2.0 200 OK' && m.direction === 'sent'), '103 answered');
});

interface HubCdr {
  readonly callId: string;
  readonly caller: string;
  readonly callee: string;
  readonly direction: string;
  readonly talkSeconds: number;
  readonly endedReason: string;
  readonly endedBy: string;
  readonly status?: number;
  readonly finalDestination: string;
  readonly agent: string;
  readonly survival: boolean;
}

/** The hub's CDRs, as `sbc-agent hub cdr --json` prints them (read-only, from the hub's state folder). */
async function hubCdrs(): Promise<HubCdr[]> {
  const r = await runCli(['hub', 'cdr', '--json', '--state-dir', rig.hub.state]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as HubCdr);
}

async function cdrsUntil(ok: (rows: HubCdr[]) => boolean, what: string, timeoutMs: number): Promise<HubCdr[]> {
  const until = Date.now() + timeoutMs;
  let rows = await hubCdrs();
  while (!ok(rows)) {
    if (Date.now() > until) assert.fail(`${what} within ${timeoutMs} ms; the hub has:\n${rows.map((c) => JSON.stringify(c)).join('\n')}\nagent: ${rig.agent.stderr.slice(-2000)}`);
    await sleep(250);
    rows = await hubCdrs();
  }
  return rows;
}

test('every call above left a CDR that reached the hub, with who, where to, how it ended and which agent', { timeout: 60_000 }, async () => {
  const find = (rows: HubCdr[], f: (c: HubCdr) => boolean): HubCdr | undefined => rows.find(f);
  const expected: readonly [string, (c: HubCdr) => boolean][] = [
    ['101 → 102 answered and talked', (c) => c.direction === 'internal' && c.caller === '101' && c.callee === '102' && c.endedReason === 'completed' && c.talkSeconds >= 3 && c.finalDestination === 'extension:102'],
    ['101 → 0612345678 out through the ITSP as +33612345678', (c) => c.direction === 'outbound' && c.callee === '0612345678' && c.finalDestination.startsWith('trunk:') && c.finalDestination.endsWith('/+33612345678')],
    ['102 → 0612345678 blocked by its rule', (c) => c.caller === '102' && c.callee === '0612345678' && c.endedReason === 'blocked' && c.status === 403],
    ['102 → 112 as an emergency call', (c) => c.direction === 'emergency' && c.caller === '102' && c.callee === '112'],
    ['the blacklisted trunk caller declined', (c) => c.direction === 'inbound' && c.caller === '0666123456' && c.endedReason === 'blacklisted' && c.status === 603 && c.endedBy === 'system'],
    ['ring group 600 answered by one of its phones', (c) => c.callee === '600' && c.endedReason === 'completed' && c.finalDestination.startsWith('extension:')],
    ['104 forwarded on no answer to 103', (c) => c.callee === '104' && c.finalDestination === 'extension:103'],
  ];
  const rows = await cdrsUntil((r) => expected.every(([, f]) => find(r, f) !== undefined), 'a CDR for every call', 30_000);
  for (const [what, f] of expected) assert.ok(find(rows, f), what);
  assert.ok(rows.every((c) => c.agent === SBC_NAME), 'each names the enrolled agent');
  assert.ok(rows.every((c) => !c.survival), 'local mode without survival');
  assert.equal(new Set(rows.map((c) => c.callId)).size, rows.length, 'one CDR per call, no duplicates');
});

test('a call made while the hub is down is kept in the agent\'s buffer and reaches the hub once the tunnel is back', { timeout: 120_000 }, async () => {
  const before = (await hubCdrs()).length;
  await rig.hub.process.stop('SIGTERM');
  await rig.statusUntil((s) => s.tunnels[0]?.state !== 'up', 'the tunnel down', 15_000);
  const since = { a: a.events.length, b: b.events.length };
  await a.command('dial', `sip:102@${REALM}`);
  await b.waitFor('CALL_ESTABLISHED', 15_000, since.b);
  await a.waitFor('CALL_ESTABLISHED', 15_000, since.a);
  await sleep(1500);
  await a.command('hangup');
  await b.waitFor('CALL_CLOSED', 10_000, since.b);
  const pending = await rig.statusUntil((s) => (s.parts.cdr?.pending ?? 0) >= 1, 'the CDR pending at the agent', 10_000);
  assert.ok((pending.parts.cdr?.pending ?? 0) >= 1);
  await rig.restartHub();
  await cdrsUntil((r) => r.length === before + 1, 'the call made without the hub at the hub', 60_000);
  await rig.statusUntil((s) => s.parts.cdr?.pending === 0, 'nothing pending at the agent', 15_000);
});
