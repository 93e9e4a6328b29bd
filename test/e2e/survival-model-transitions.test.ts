/**
 * Issue 12, the transitions WITH a routing model (survival-branch and survival-flap show them
 * without one), in network namespaces this test creates (test/support/survival-model-rig.ts):
 *
 *   phones 10.218.1.10 ── lan0 10.218.1.1 [agent, calls: auto] wan0 10.218.2.2 ── 10.218.2.1 [hub + Kamailio on 127.0.0.1]
 *                                                                              └─ 10.218.2.5 [ITSP, a SIPp UAS]
 *
 * The hub has a model whose extensions are Kamailio's users (1001–1003). Three baresip phones
 * register through the agent. A calls B through the PBX; Kamailio is killed and the WAN toward the
 * hub dropped: the agent is in survival within 5 s and A and B hear each other throughout.
 * Kamailio starts again with an empty location table and digest auth on for every REGISTER (it
 * challenges the phones' replayed credentials, whose nonces it no longer knows, and the agent
 * answers with the snapshot's HA1s) and the WAN returns: after the hold-down every phone is in
 * Kamailio's location table without any phone re-registering, A and B
 * still hear each other, and a branch phone and a phone registered directly at Kamailio call each
 * other both ways with audio both ways. Then the agent is restarted while the WAN is down: it comes
 * up in survival with its stored snapshot and registrations, A calls B by the model with audio
 * both ways, a national number goes out of the local trunk; A calls B again and the WAN returns:
 * failback waits (`when-idle`) while that survival call is up, then fails back once it ends and
 * re-registers all three. Last, Kamailio flaps every 10 s for 2 minutes (WAN up): one
 * failover, one failback a hold-down (15 s) after it was last started, the snapshot kept (the
 * flapping Kamailio trusts REGISTERs from the hub, as survival-flap's does). Then G (1001) calls F, a
 * phone registered directly at Kamailio, through the tunnel, and the WAN is dropped for 240 s: the
 * call is kept, and the RTP the agent sends G (tshark in the LAN namespace, test/support/rtp-watch.ts)
 * is back within 1 s of the link's return. About 8.5 minutes in all.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { heardSince } from '../support/audio-window.js';
import type { BaresipPhone } from '../support/baresip.js';
import { sippTimeline } from '../support/local-rig.js';
import { PBX_DOMAIN } from '../support/sbc-kamailio.js';
import { assertTalking, closedSince, dial, hangUp, markAudio, recording } from '../support/survival-calls.js';
import { startModelRig, type ModelRig } from '../support/survival-model-rig.js';
import { RtpWatch } from '../support/rtp-watch.js';
import { loggedTransitions } from '../support/survival-status.js';

const TONE = { A: 1000, B: 500, C: 750, E: 1500, F: 1250, G: 1100 } as const;
type Name = keyof typeof TONE;
/** Longer than the flapping PBX's up periods (10 s), so that none of them completes a hold-down. */
const HOLD_DOWN_MS = 15_000;
const FLAP_MS = 10_000;
const FLAPPING_MS = 120_000;
const TRUST_HUB = { trustRegistersFrom: '127.0.0.1' } as const;
/** Inside the hub's resume window (5 minutes by default). */
const OUTAGE_MS = Number(process.env['SVMT_OUTAGE_MS'] ?? 240_000);
/** tshark is started this long before the link's return: it takes seconds to start on a loaded machine. */
const TSHARK_START_MS = 10_000;
const A_RTP: readonly [number, number] = [24600, 24619];

let m: ModelRig;
const phones: Partial<Record<Name, BaresipPhone>> = {};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function get(name: Name): BaresipPhone {
  const p = phones[name];
  assert.ok(p !== undefined, `phone ${name} started`);
  return p;
}

/** A call between two phones, up for `seconds` past a mark: the line of what each heard. */
async function talk(from: Name, to: Name, seconds: number, what: string): Promise<string> {
  await dial(get(from), get(to));
  await sleep(1000);
  const mark = markAudio(get(from), get(to));
  await sleep(seconds * 1000);
  const line = assertTalking(get(from), get(to), mark, what);
  await hangUp(get(from), get(to));
  return line;
}

before(async () => {
  m = await startModelRig({ prefix: 'svmt', net: '10.218', sbcName: 'branch-svmt', agentSurvival: `{ holdDown: ${HOLD_DOWN_MS / 1000}s }` });
  for (const [i, name] of (['A', 'B', 'C'] as const).entries()) {
    phones[name] = await m.rig.phone({ name, sipPort: 24500 + i * 2, ctrlPort: 24510 + i, rtpPorts: [A_RTP[0] + i * 20, A_RTP[1] + i * 20], user: `100${i + 1}`, toneHz: TONE[name], regint: 3600 });
  }
  for (const p of Object.values(phones)) await p.waitRegistered();
});

after(async () => {
  await m?.rig.close();
});

test('with a model: a call up before the cut keeps its audio through takeover and failback into a PBX restarted empty; then calls both ways between the branch and the PBX', { timeout: 150_000 }, async () => {
  const { rig } = m;
  const [a, b] = [get('A'), get('B')];
  assert.deepEqual(rig.locationTable(), ['1001', '1002', '1003'], 'every phone at Kamailio before');
  const registers = (): number => Object.values(phones).flatMap((p) => p.events).filter((e) => /^REGISTER/.test(e.type ?? '')).length;
  const registersBefore = registers();
  const closedBefore = { A: a.events.length, B: b.events.length };

  const abUp = await dial(a, b);
  await sleep(2000);
  const beforeCut = markAudio(a, b);
  const killed = rig.stopPbx();
  rig.dropWan();
  const cut = Date.now();
  await killed;
  const down = await rig.modeUntil('survival', 8_000);
  const takeoverMs = down.since - cut;
  process.stdout.write(`survival (model): takeover ${takeoverMs} ms after the WAN cut and Kamailio kill (${down.reason})\n`);
  assert.ok(takeoverMs <= 5_000, `survival within 5 s of the cut (took ${takeoverMs} ms)`);
  await sleep(2000);
  process.stdout.write(`survival (model): call kept across takeover: ${assertTalking(a, b, beforeCut, 'since before the cut')}\n`);

  // Digest auth on for every REGISTER, the hub's too: failback answers its challenges with the model's HA1s.
  const beforeReturn = markAudio(a, b);
  const pbx = rig.startPbx();
  rig.restoreWan();
  const restored = Date.now();
  const normal = await rig.modeUntil('normal', HOLD_DOWN_MS + 20_000);
  process.stdout.write(`survival (model): failback ${normal.since - restored} ms after Kamailio and the WAN returned (hold-down ${HOLD_DOWN_MS} ms)\n`);
  assert.ok(normal.since - restored >= HOLD_DOWN_MS, `not before the hold-down (${normal.since - restored} ms)`);
  assert.deepEqual(rig.locationTable(), ['1001', '1002', '1003'],
    `every phone at Kamailio again\n${m.log().split('\n').filter((l) => /failback|"mode/.test(l)).join('\n')}`);
  assert.equal(registers(), registersBefore, 'no phone registered again');
  const failback = m.log().split('\n').find((l) => /failback: bindings re-registered upstream/.test(l)) ?? '';
  assert.match(failback, /"sent":3,"registered":3,"failed":\[\]/, `each challenged and answered from the snapshot: ${failback}`);
  assert.equal(pbx.log.join('').match(/REGISTER sip:1001@pbx\.test from 127\.0\.0\.1/g)?.length, 2, `1001's replayed REGISTER challenged, then answered:\n${pbx.log.join('').slice(-3000)}`);
  process.stdout.write(`survival (model): call kept across failback: ${assertTalking(a, b, beforeReturn, 'across failback')}\n`);

  // The branch and a phone registered directly at the restarted Kamailio, through the tunnel, both ways.
  phones.E = await rig.phone({ name: 'E', at: 'pbx', sipPort: 24540, ctrlPort: 24545, rtpPorts: [24800, 24819], user: '1005', toneHz: TONE.E, regint: 3600 });
  await get('E').waitRegistered();
  process.stdout.write(`survival (model): after failback ${await talk('C', 'E', 3, 'branch to PBX')}\n`);
  process.stdout.write(`survival (model): after failback ${await talk('E', 'C', 3, 'PBX to branch')}\n`);

  for (const [name, since] of Object.entries(closedBefore)) assert.equal(closedSince(get(name as Name), since), 0, `${name}'s call was not closed`);
  const total = { A: heardSince(recording(a), 0), B: heardSince(recording(b), 0) };
  const upFor = (Date.now() - abUp) / 1000;
  process.stdout.write(`survival (model): over the whole call (${upFor.toFixed(1)} s) A heard ${total.A.seconds.toFixed(1)} s, B heard ${total.B.seconds.toFixed(1)} s\n`);
  assert.ok(total.A.seconds >= upFor - 2 && total.B.seconds >= upFor - 2, 'no gap in the call that was up through both transitions');
  await hangUp(a, b);
});

test('with a model: the agent restarted while the WAN is down comes up in survival with its stored snapshot and registrations, serves a branch call and the local trunk, and fails back once the survival call up at the return ends (when-idle)', { timeout: 150_000 }, async () => {
  const { rig } = m;
  // The registration file is written within a second of the last change.
  await sleep(1500);
  rig.dropWan();
  await rig.stopAgent('SIGINT');
  const started = Date.now();
  const agent = await rig.startAgent();
  const down = await rig.modeUntil('survival', 15_000);
  process.stdout.write(`survival (model): restarted agent in survival ${down.since - started} ms after it was started (${down.reason})\n`);
  assert.match(down.reason, /^no tunnel within/);
  const s = await m.statusUntil((x) => x.parts.survival?.mode === 'survival', 'survival in status', 5_000);
  assert.equal(s.parts.routing?.version, 1, 'the stored snapshot, with no hub to get it from');
  assert.match(agent.stderr, /"restored":3[,}].*relayed registrations restored/, 'the three bindings restored from the file');

  process.stdout.write(`survival (model): after the restart ${await talk('A', 'B', 3, 'in a survival call')}\n`);
  const c = get('C');
  const run = m.itsp('itsp-after-restart');
  const since = c.events.length;
  await c.command('dial', `sip:0612345678@${PBX_DOMAIN}`);
  await c.waitFor('CALL_ESTABLISHED', 15_000, since);
  await sleep(1000);
  await c.command('hangup');
  const done = await run;
  assert.equal(done.code, 0, `${done.stderr}\n${done.trace.slice(-3000)}\nagent: ${rig.agentLog()}`);
  assert.match(sippTimeline(done.trace)[0]?.firstLine ?? '', /^INVITE sip:\+33612345678@10\.218\.2\.5:5060 SIP\/2\.0$/, 'by the stored outbound rule');

  // when-idle (the default policy): a survival call up when the WAN returns holds failback until it ends.
  await dial(get('A'), get('B'));
  await rig.survivalUntil('one survival call counted', (x) => x.survivalCalls === 1, 5_000);
  const abMark = markAudio(get('A'), get('B'));
  rig.restoreWan();
  const restored = Date.now();
  const held = await rig.survivalUntil('failback held by the survival call', (x) => x.tunnel === 'up' && x.pbx === 'reachable' && x.waitingFor === 'calls', HOLD_DOWN_MS + 40_000);
  const heldAfterMs = Date.now() - restored;
  await sleep(2000);
  assert.equal((await rig.survival())?.mode, 'survival', `when-idle: still survival while A and B talk, ${Date.now() - restored} ms after the return`);
  process.stdout.write(`survival (model): failback held ${Date.now() - restored} ms after the return (waiting for ${held.waitingFor ?? '?'} since ${heldAfterMs} ms) while a survival call is up: ${assertTalking(get('A'), get('B'), abMark, 'in the survival call')}\n`);
  await hangUp(get('A'), get('B'));
  const idle = Date.now();
  const normal = await rig.modeUntil('normal', 15_000);
  process.stdout.write(`survival (model): the restarted agent failed back ${normal.since - restored} ms after the WAN returned (hold-down ${HOLD_DOWN_MS} ms), ${normal.since - idle} ms after the survival call ended\n`);
  assert.ok(normal.since - restored >= HOLD_DOWN_MS, `not before the hold-down (${normal.since - restored} ms)`);
  const failback = agent.stderr.split('\n').find((l) => /failback: bindings re-registered upstream/.test(l)) ?? '';
  assert.match(failback, /"sent":3,"registered":3,/, `the stored bindings re-registered upstream: ${failback}`);
  assert.deepEqual(rig.locationTable(), ['1001', '1002', '1003', '1005']);
});

test('with a model: a PBX flapping every 10 s for 2 minutes gives one failover and one failback, a hold-down after it is stable', { timeout: 200_000 }, async () => {
  const { rig } = m;
  await rig.survivalUntil('normal with the PBX reachable', (x) => x.mode === 'normal' && x.pbx === 'reachable', 10_000);
  const before = loggedTransitions(m.log()).length;
  const t0 = Date.now();
  for (let change = 0; change * FLAP_MS < FLAPPING_MS; change++) {
    if (change % 2 === 0) await rig.stopPbx();
    else rig.startPbx(TRUST_HUB);
    await sleep(t0 + (change + 1) * FLAP_MS - Date.now());
  }
  // The last change (at 110 s) started it: it stays up from there.
  const stable = t0 + FLAPPING_MS - FLAP_MS;
  const normal = await rig.survivalUntil('mode normal after the flapping', (x) => x.mode === 'normal', HOLD_DOWN_MS + 20_000);
  const seen = loggedTransitions(m.log()).slice(before);
  process.stdout.write(`survival flap (model): ${FLAPPING_MS / FLAP_MS} changes of the PBX in ${FLAPPING_MS / 1000} s gave ${seen.length} transitions: ${seen.map((t) => `${t.from}→${t.to} at ${((t.at - t0) / 1000).toFixed(1)} s`).join(', ')}; failback ${normal.since - stable} ms after the PBX was last started (hold-down ${HOLD_DOWN_MS} ms)\n`);
  assert.deepEqual(seen.map((t) => `${t.from}→${t.to}`), ['normal→survival', 'survival→failing-back', 'failing-back→normal'], 'one failover and one failback');
  assert.ok((seen[1]?.at ?? 0) >= stable + HOLD_DOWN_MS - 1000, 'failback only a hold-down after the PBX was last started');
  assert.deepEqual(rig.locationTable(), ['1001', '1002', '1003'], 'the branch phones re-registered into the last Kamailio');
  const s = await m.statusUntil((x) => x.parts.survival?.mode === 'normal', 'normal in status', 5_000);
  assert.equal(s.parts.routing?.version, 1, 'the snapshot kept through the flapping');
});

test('with a model: a call through the tunnel is kept across a 4-minute WAN outage and its audio is back within 1 s of the link\'s return', { timeout: 360_000 }, async () => {
  const { rig } = m;
  await rig.survivalUntil('normal with the PBX reachable', (x) => x.mode === 'normal' && x.pbx === 'reachable', 20_000);
  // E's binding went with the flapping Kamailio: F, registered at Kamailio afresh as 1005, takes the call.
  // A gives its place to G (1001 again, on A's ports) with a tone file longer than the call: baresip ends a call when its source file ends.
  await phones.E?.stop();
  await phones.A?.stop();
  phones.F = await rig.phone({ name: 'F', at: 'pbx', sipPort: 24550, ctrlPort: 24555, rtpPorts: [24840, 24859], user: '1005', toneHz: TONE.F, regint: 3600, toneSeconds: 600 });
  phones.G = await rig.phone({ name: 'G', sipPort: 24500, ctrlPort: 24510, rtpPorts: A_RTP, user: '1001', toneHz: TONE.G, regint: 3600, toneSeconds: 600 });
  const [g, f] = [get('G'), get('F')];
  await f.waitRegistered();
  await g.waitRegistered();
  const since = { g: g.events.length, f: f.events.length };
  await g.command('dial', `sip:1005@${PBX_DOMAIN}`);
  await g.waitFor('CALL_ESTABLISHED', 15_000, since.g);
  await f.waitFor('CALL_ESTABLISHED', 15_000, since.f);
  await sleep(2000);

  rig.dropWan();
  const cutAt = Date.now();
  await rig.modeUntil('survival', 10_000);
  process.stdout.write(`survival (model): WAN dropped with a call through the tunnel; survival after ${Date.now() - cutAt} ms; waiting ${OUTAGE_MS / 1000} s\n`);
  await sleep(OUTAGE_MS - (Date.now() - cutAt) - TSHARK_START_MS);
  const capture = await RtpWatch.start({ netns: rig.ns.lan, dev: 'eth0', from: rig.address.agentLan, to: rig.address.phones, ports: A_RTP, startMs: TSHARK_START_MS });
  try {
    await sleep(Math.max(0, cutAt + OUTAGE_MS - Date.now()));
    assert.equal(closedSince(g, since.g), 0, `no BYE reached G during the outage: ${JSON.stringify(g.events.slice(since.g).filter((e) => e.type === 'CALL_CLOSED'))}`);
    const packetsDuring = capture.times().length;
    rig.restoreWan();
    const backAt = Date.now();
    const first = await capture.firstAfter(backAt, 15_000);
    assert.ok(first !== undefined, `RTP reaches G again after the link's return (${packetsDuring} packets during the outage)\nagent: ${rig.agentLog(4000)}`);
    const audioBackMs = Math.round(first - backAt);
    process.stdout.write(`survival (model): WAN back after ${Math.round((backAt - cutAt) / 1000)} s: first RTP to G ${audioBackMs} ms after the nft rule was removed (${packetsDuring} RTP packets to G during the outage)\n`);
    assert.ok(audioBackMs <= 1000, `audio back within 1 s (took ${audioBackMs} ms)`);
  } finally {
    capture.stop();
  }
  await sleep(2000);
  assert.equal(closedSince(g, since.g), 0, 'the call is still up on G');
  assert.equal(closedSince(f, since.f), 0, 'the call is still up on F');
  await g.command('hangup');
  await g.waitFor('CALL_CLOSED', 10_000, since.g);
  await f.waitFor('CALL_CLOSED', 10_000, since.f);
});
