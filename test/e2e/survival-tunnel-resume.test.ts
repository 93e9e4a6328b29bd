/**
 * Issue 12: a call up THROUGH THE TUNNEL survives a 4-minute WAN outage (inside the hub's resume
 * window, 5 minutes by default), in network namespaces this test creates:
 *
 *   phone A 10.212.1.10 ── lan0 10.212.1.1 [agent, calls: auto] wan0 10.212.2.2 ── 10.212.2.1 [hub + Kamailio + phone C on 127.0.0.1]
 *
 * Phone A (1001) registers through the agent; phone C (1003) registers directly at Kamailio. A
 * calls C through agent, tunnel, hub and Kamailio. The WAN is then dropped for 240 s (nftables in
 * the agent's namespace): the call is kept (no BYE reaches A, the agent is in survival meanwhile),
 * and once the rule is removed the far side's audio reaches A again within 1 s (the agent tries
 * the hub every second while calls are up). The delay, from the rule's removal to the first RTP
 * packet from the agent to A's RTP ports (tshark in A's namespace), is printed. One call, ≈ 4.5 min.
 * The set-up is test/support/survival-rig.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BaresipPhone } from '../support/baresip.js';
import { PBX_DOMAIN } from '../support/sbc-kamailio.js';
import { RtpWatch } from '../support/rtp-watch.js';
import { SurvivalRig } from '../support/survival-rig.js';

const AGENT_LAN = '10.212.1.1';
const PHONE_A = '10.212.1.10';
const A_RTP: readonly [number, number] = [25600, 25619];
const OUTAGE_MS = 240_000;
/** How long tshark may take to start capturing (it is started this long before the link's return). */
const TSHARK_START_MS = 10_000;

let rig: SurvivalRig;
let a: BaresipPhone | undefined;
let c: BaresipPhone | undefined;
let capture: RtpWatch | undefined;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function modeUntil(want: string, timeoutMs: number): Promise<void> {
  await rig.modeUntil(want, timeoutMs);
}

before(async () => {
  rig = await SurvivalRig.start({
    prefix: 'svr', net: '10.212', sbcName: 'branch-svr', wanCut: 'hub',
    agentYaml: 'log:\n  level: info\nagent:\n  calls: auto\n  survival: { holdDown: 10s }\n  media:\n    ports: { min: 31000, max: 31199 }\n  pnp:\n    provisioning: off\n',
  });
  await modeUntil('normal', 10_000);
  a = await rig.phone({ name: 'A', sipPort: 25500, ctrlPort: 25510, rtpPorts: A_RTP, user: '1001', toneHz: 1000, regint: 3600, toneSeconds: 600 });
  // C registers directly at Kamailio, beside the hub.
  c = await rig.phone({ name: 'C', at: 'pbx', sipPort: 25502, ctrlPort: 25511, rtpPorts: [25640, 25659], user: '1003', toneHz: 500, regint: 3600, toneSeconds: 600 });
  await a.waitRegistered();
  await c.waitRegistered();
});

after(async () => {
  capture?.stop();
  await rig?.close();
});

test('a call through the tunnel is kept across a 4-minute WAN outage and its audio is back within 1 s of the link\'s return', { timeout: 360_000 }, async () => {
  assert.ok(a !== undefined && c !== undefined);
  const since = { a: a.events.length, c: c.events.length };
  await a.command('dial', `sip:1003@${PBX_DOMAIN}`);
  await a.waitFor('CALL_ESTABLISHED', 15_000, since.a);
  await c.waitFor('CALL_ESTABLISHED', 15_000, since.c);
  await sleep(2000);

  rig.dropWan();
  const cutAt = Date.now();
  await modeUntil('survival', 10_000);
  process.stdout.write(`# WAN dropped; survival after ${Date.now() - cutAt} ms; waiting ${OUTAGE_MS / 1000} s\n`);
  // tshark starts 10 s before the link returns: on a loaded machine it takes seconds to start capturing.
  await sleep(OUTAGE_MS - (Date.now() - cutAt) - TSHARK_START_MS);

  // The RTP the agent sends to A's ports, with each packet's capture time.
  capture = await RtpWatch.start({ netns: rig.ns.lan, dev: 'eth0', from: AGENT_LAN, to: PHONE_A, ports: A_RTP, startMs: TSHARK_START_MS });
  await sleep(Math.max(0, cutAt + OUTAGE_MS - Date.now()));

  const during = a.events.slice(since.a).filter((e) => e.type === 'CALL_CLOSED');
  assert.deepEqual(during, [], 'no BYE reached A during the outage');
  const packetsDuring = capture.times().length;

  rig.restoreWan();
  const backAt = Date.now();
  const first = await capture.firstAfter(backAt, 15_000);
  capture.stop();
  assert.ok(first !== undefined, `RTP reaches A again after the link's return (${packetsDuring} packets during the outage)\nagent: ${rig.agentLog(4000)}`);
  const audioBackMs = Math.round(first - backAt);
  process.stdout.write(`# WAN back after ${Math.round((backAt - cutAt) / 1000)} s: first RTP to A ${audioBackMs} ms after the nft rule was removed (${packetsDuring} RTP packets to A during the outage)\n`);
  assert.ok(audioBackMs <= 1000, `audio back within 1 s (took ${audioBackMs} ms)`);

  await sleep(2000);
  assert.deepEqual(a.events.slice(since.a).filter((e) => e.type === 'CALL_CLOSED'), [], 'the call is still up on A');
  assert.deepEqual(c.events.slice(since.c).filter((e) => e.type === 'CALL_CLOSED'), [], 'the call is still up on C');
  await a.command('hangup');
  await a.waitFor('CALL_CLOSED', 10_000, since.a);
  await c.waitFor('CALL_CLOSED', 10_000, since.c);
});
