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
 * registration interval is an hour); C calls a phone registered directly at the restarted
 * Kamailio (E) through the tunnel, and E calls D, which Kamailio finds only by the binding failback
 * put back, each with audio both ways. A and B's call was up through both transitions with its
 * audio throughout. Then the agent is restarted while the WAN is down: it reads back the
 * registrations it had relayed (`<state>/agent/relayed-registrations.json`), is in survival once
 * the start-up grace passes without a tunnel, A calls B by them with audio both ways, and when the
 * WAN returns it fails back and re-registers all four. Kamailio refuses any nonce older than its own start, so the phones' last
 * credentials, which the agent replays, cannot pass a restarted Kamailio: the restarted one trusts
 * REGISTERs from its SBC peer (the hub) by address, as PBXs behind an SBC commonly do.
 * The set-up is test/support/survival-rig.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { heardSince } from '../support/audio-window.js';
import type { BaresipPhone } from '../support/baresip.js';
import { assertHeard, closedSince, dial as dialPhone, hangUp as hangUpPhone, markAudio, recording } from '../support/survival-calls.js';
import { SurvivalRig } from '../support/survival-rig.js';
import { PBX_DOMAIN } from '../support/sbc-kamailio.js';

const AGENT_LAN = '10.212.1.1';
const TONE = { A: 1000, B: 500, C: 750, D: 1250, E: 1500 } as const;
type Name = keyof typeof TONE;
const HOLD_DOWN_MS = 10_000;

let rig: SurvivalRig;
const phones: Partial<Record<Name, BaresipPhone>> = {};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function phone(name: Name, i: number): Promise<BaresipPhone> {
  return rig.phone({
    name, sipPort: 23500 + i * 2, ctrlPort: 23510 + i, rtpPorts: [23600 + i * 20, 23619 + i * 20], user: `100${i + 1}`, toneHz: TONE[name], regint: 3600,
  });
}

function get(name: Name): BaresipPhone {
  const p = phones[name];
  assert.ok(p !== undefined, `phone ${name} started`);
  return p;
}

const dial = (from: Name, to: Name, user: string): Promise<number> => dialPhone(get(from), get(to), user);
const hangUp = (from: Name, to: Name): Promise<void> => hangUpPhone(get(from), get(to));
const mark = (...names: Name[]): ReturnType<typeof markAudio> => markAudio(...names.map(get));
const heard = (listener: Name, speaker: Name, since: ReturnType<typeof markAudio>, what: string): string => assertHeard(get(listener), get(speaker), since, what);

before(async () => {
  rig = await SurvivalRig.start({
    prefix: 'srv', net: '10.212', sbcName: 'branch-srv',
    agentYaml: `log:\n  level: info\nagent:\n  calls: auto\n  survival: { holdDown: ${HOLD_DOWN_MS / 1000}s, failback: when-idle }\n  media:\n    ports: { min: 31000, max: 31199 }\n`,
  });
  await rig.modeUntil('normal', 10_000);
  for (const [i, name] of (['A', 'B', 'C', 'D'] as const).entries()) phones[name] = await phone(name, i);
  for (const p of Object.values(phones)) await p.waitRegistered();
});

after(async () => {
  await rig?.close();
});

test('PBX killed and WAN dropped: survival within 5 s, a call up keeps its audio, a branch call by the relayed registrations, failback when idle re-registers every phone into a PBX restarted empty', { timeout: 150_000 }, async () => {
  assert.equal(rig.locationTable().length, 4, `all phones at Kamailio before: ${rig.locationTable().join(', ')}`);
  const registers = (): number => Object.values(phones).flatMap((p) => p.events).filter((e) => /^REGISTER/.test(e.type ?? '')).length;
  const registersBefore = registers();
  const closedBefore = { A: get('A').events.length, B: get('B').events.length };

  // A ↔ B through the PBX, up before the cut.
  const abUp = await dial('A', 'B', '1002');
  await sleep(2000);
  const abMark = mark('A', 'B');

  // The cut: the first packet lost is the first one after the drop rule.
  rig.dropWan();
  const cut = Date.now();
  await rig.stopPbx();
  const down = await rig.modeUntil('survival', 8_000);
  // The agent's own time of the switch (its status file is written once a second, and read here by a CLI).
  const takeoverMs = down.since - cut;
  process.stdout.write(`survival: takeover ${takeoverMs} ms after the WAN drop and Kamailio kill (${down.reason}; seen in the status ${Date.now() - cut} ms after)\n`);
  assert.ok(takeoverMs <= 5_000, `survival within 5 s of the first lost packet (took ${takeoverMs} ms)`);
  assert.match(down.reason, /^tunnel down/, 'the tunnel\'s dead path drives it (the PBX report cannot cross a dropped WAN)');
  process.stdout.write(`survival: call kept across takeover: ${heard('B', 'A', abMark, 'since before the cut')}; ${heard('A', 'B', abMark, 'since before the cut')}\n`);

  // C → D in survival, by the registrations the agent relayed to the PBX.
  await dial('C', 'D', '1004');
  await sleep(1000);
  const cdMark = mark('C', 'D');
  await rig.survivalUntil('one survival call counted', (s) => s.survivalCalls === 1, 5_000);

  // Kamailio back with an empty location table, the WAN back.
  const mark2 = mark('A', 'B');
  rig.startPbx({ trustRegistersFrom: '127.0.0.1' });
  rig.restoreWan();
  const restored = Date.now();
  const held = await rig.survivalUntil('failback held by the survival call', (s) => s.tunnel === 'up' && s.pbx === 'reachable' && s.waitingFor === 'calls', HOLD_DOWN_MS + 20_000);
  const heldAfterMs = Date.now() - restored;
  await sleep(2000);
  const still = await rig.survival();
  assert.equal(still?.mode, 'survival', `when-idle: still survival while C and D talk, ${Date.now() - restored} ms after the return (hold-down ${HOLD_DOWN_MS} ms)`);
  process.stdout.write(`survival: failback held ${Date.now() - restored} ms after the return (waiting for ${held.waitingFor ?? '?'} since ${heldAfterMs} ms) while a survival call is up\n`);
  const cdLines = [heard('D', 'C', cdMark, 'in the survival call'), heard('C', 'D', cdMark, 'in the survival call')];
  process.stdout.write(`survival: ${cdLines.join('; ')}\n`);

  await hangUp('C', 'D');
  const idle = Date.now();
  const now = (await rig.modeUntil('normal', 15_000)).since;
  process.stdout.write(`survival: failback ${now - restored} ms after Kamailio and the WAN returned (hold-down ${HOLD_DOWN_MS} ms), ${now - idle} ms after the survival call ended\n`);
  assert.ok(now - restored >= HOLD_DOWN_MS, `not before the hold-down (${now - restored} ms)`);
  assert.deepEqual(rig.locationTable(), ['1001', '1002', '1003', '1004'],
    `every phone at Kamailio again\n${rig.agentLog(Infinity).split('\n').filter((l) => /failback|"mode/.test(l)).join('\n')}`);
  assert.equal(registers(), registersBefore, 'no phone registered again');

  // Through the tunnel again, both directions: a branch phone calls a phone registered directly at
  // the restarted Kamailio, and that phone calls a branch phone by the binding failback put back.
  phones.E = await rig.phone({ name: 'E', at: 'pbx', sipPort: 23540, ctrlPort: 23545, rtpPorts: [23800, 23819], user: '1005', toneHz: TONE.E, regint: 3600 });
  await get('E').waitRegistered();
  await dial('C', 'E', '1005');
  await sleep(1000);
  const ceMark = mark('C', 'E');
  await sleep(3000);
  process.stdout.write(`survival: after failback ${heard('E', 'C', ceMark, 'through the tunnel')}; ${heard('C', 'E', ceMark, 'through the tunnel')}\n`);
  await hangUp('C', 'E');
  await dial('E', 'D', '1004');
  await sleep(1000);
  const edMark = mark('E', 'D');
  await sleep(3000);
  process.stdout.write(`survival: after failback, from the PBX's side: ${heard('D', 'E', edMark, 'through the tunnel')}; ${heard('E', 'D', edMark, 'through the tunnel')}\n`);
  await hangUp('E', 'D');

  // A ↔ B: never closed, audio throughout.
  await sleep(1000);
  const kept = [heard('B', 'A', mark2, 'across failback'), heard('A', 'B', mark2, 'across failback')];
  for (const name of ['A', 'B'] as const) {
    assert.equal(closedSince(get(name), closedBefore[name]), 0, `${name}'s call was not closed`);
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
  const file = join(rig.agentState, 'agent', 'relayed-registrations.json');
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { lans: Record<string, { aor: string; last?: unknown }[]> };
  const bindings = stored.lans[AGENT_LAN] ?? [];
  assert.deepEqual(bindings.map((b) => b.aor).sort(), ['1001', '1002', '1003', '1004'].map((u) => `sip:${u}@${PBX_DOMAIN}`), 'the four relayed bindings stored');
  assert.ok(bindings.every((b) => b.last !== undefined), 'each with its last REGISTER (failback sends it again)');
  assert.equal(statSync(file).mode & 0o777, 0o600, 'owner-only: the REGISTERs carry digest responses');

  rig.dropWan();
  await rig.stopAgent('SIGINT');
  const started = Date.now();
  const agent = await rig.startAgent();
  const down = await rig.modeUntil('survival', 15_000);
  process.stdout.write(`survival: restarted agent in survival ${down.since - started} ms after it was started (${down.reason})\n`);
  assert.match(down.reason, /^no tunnel within/);
  assert.match(agent.stderr, /"restored":4[,}].*relayed registrations restored/, 'the four bindings restored from the file');

  await dial('A', 'B', '1002');
  await sleep(1000);
  const abMark = mark('A', 'B');
  await sleep(3000);
  process.stdout.write(`survival: after the restart ${heard('B', 'A', abMark, 'in a survival call')}; ${heard('A', 'B', abMark, 'in a survival call')}\n`);
  await hangUp('A', 'B');

  rig.restoreWan();
  const restored = Date.now();
  const normal = await rig.modeUntil('normal', HOLD_DOWN_MS + 40_000);
  process.stdout.write(`survival: the restarted agent failed back ${normal.since - restored} ms after the WAN returned (hold-down ${HOLD_DOWN_MS} ms)\n`);
  const failback = agent.stderr.split('\n').find((l) => /failback: bindings re-registered upstream/.test(l)) ?? '';
  assert.match(failback, /"sent":4,"registered":4,/, `the stored bindings re-registered upstream: ${failback}`);
});
