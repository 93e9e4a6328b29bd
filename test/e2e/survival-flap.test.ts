/**
 * Issue 12, "never flaps": a PBX that comes and goes every 10 s for 2 minutes causes one failover
 * and one failback, not a mode change per cycle. In network namespaces this test creates:
 *
 *   phone (10.213.1.10) ── lan0 10.213.1.1 [agent, calls: auto] wan0 10.213.2.2 ── 10.213.2.1 [hub + Kamailio on 127.0.0.1]
 *
 * One baresip phone registers through the agent. Kamailio is then stopped and started again every
 * 10 s (down 10 s, up 10 s) for 2 minutes, and stays up after that; the hub probes it every
 * 500 ms. The hold-down (15 s) is longer than any up period, so each up period restarts it: the
 * agent goes to survival at the first stop and fails back once, a hold-down after the last start,
 * re-registering the phone into the last (empty) Kamailio. The transitions are counted from the
 * agent's log and printed. The set-up is test/support/survival-rig.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BaresipPhone } from '../support/baresip.js';
import { loggedTransitions } from '../support/survival-status.js';
import { SurvivalRig } from '../support/survival-rig.js';

const HOLD_DOWN_MS = 15_000;
const FLAP_MS = 10_000;
const FLAPPING_MS = 120_000;

let rig: SurvivalRig;
let phone: BaresipPhone | undefined;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const agentLog = (): string => rig.agent?.stderr ?? '';

before(async () => {
  // Every Kamailio of this test trusts REGISTERs from the hub: each restart forgets its nonces.
  rig = await SurvivalRig.start({
    prefix: 'flap', net: '10.213', sbcName: 'branch-flap', pbx: { trustRegistersFrom: '127.0.0.1' },
    agentYaml: `log:\n  level: info\nagent:\n  calls: auto\n  survival: { holdDown: ${HOLD_DOWN_MS / 1000}s }\n  media:\n    ports: { min: 31200, max: 31299 }\n`,
  });
  await rig.survivalUntil('mode normal', (s) => s.mode === 'normal' && s.pbx === 'reachable', 10_000);
  phone = await rig.phone({ name: 'A', sipPort: 23700, ctrlPort: 23710, rtpPorts: [23720, 23739], user: '1001', toneHz: 1000, regint: 3600 });
  await phone.waitRegistered();
});

after(async () => {
  await rig?.close();
});

test('a PBX flapping every 10 s for 2 minutes: one failover, one failback a hold-down after it is stable', { timeout: 200_000 }, async () => {
  assert.deepEqual(rig.locationTable(), ['1001'], 'the phone at Kamailio before');
  const before = loggedTransitions(agentLog()).length;
  const t0 = Date.now();
  for (let change = 0; change * FLAP_MS < FLAPPING_MS; change++) {
    if (change % 2 === 0) await rig.stopPbx();
    else rig.startPbx({ trustRegistersFrom: '127.0.0.1' });
    await sleep(t0 + (change + 1) * FLAP_MS - Date.now());
  }
  // The last change (at 110 s) started it: it stays up from there.
  const stable = t0 + FLAPPING_MS - FLAP_MS;
  const normal = await rig.survivalUntil('mode normal after the flapping', (s) => s.mode === 'normal', HOLD_DOWN_MS + 20_000);
  const seen = loggedTransitions(agentLog()).slice(before);
  process.stdout.write(`survival flap: ${FLAPPING_MS / FLAP_MS} changes of the PBX in ${FLAPPING_MS / 1000} s gave ${seen.length} transitions: ${seen.map((t) => `${t.from}→${t.to} at ${((t.at - t0) / 1000).toFixed(1)} s`).join(', ')}; failback ${normal.since - stable} ms after the PBX was last started (hold-down ${HOLD_DOWN_MS} ms)\n`);
  assert.deepEqual(seen.map((t) => `${t.from}→${t.to}`), ['normal→survival', 'survival→failing-back', 'failing-back→normal'], 'one failover and one failback');
  assert.ok((seen[1]?.at ?? 0) >= stable + HOLD_DOWN_MS - 1000, 'failback only a hold-down after the PBX was last started');
  assert.deepEqual(rig.locationTable(), ['1001'], 'the phone re-registered into the last Kamailio');
});
