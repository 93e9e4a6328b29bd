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
 * agent's log and printed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaresipPhone } from '../support/baresip.js';
import { enrollByCli, namespaceHubYaml, startCliHub, type CliHub } from '../support/cli-hub.js';
import { CliProcess } from '../support/integ-process.js';
import { Testbed } from '../support/netns.js';
import { PBX_DOMAIN, PBX_PASSWORD, startPbx, type PbxOptions, type PbxProcess } from '../support/sbc-kamailio.js';
import { loggedTransitions, survivalUntil } from '../support/survival-status.js';

const AGENT_LAN = '10.213.1.1';
const PHONE = '10.213.1.10';
const HUB = '10.213.2.1';
const HOLD_DOWN_MS = 15_000;
const FLAP_MS = 10_000;
const FLAPPING_MS = 120_000;

let bed: Testbed;
let dir: string;
let ns: Record<'lan' | 'agent' | 'hub', string>;
let pbx: PbxProcess;
let pbxOptions: PbxOptions;
let hub: CliHub;
let agent: CliProcess;
let agentState: string;
let phone: BaresipPhone | undefined;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function locationTable(): string[] {
  const out = execFileSync('kamcmd', ['-s', `unix:${pbxOptions.ctlSocket ?? ''}`, 'ul.dump'], { encoding: 'utf8' });
  return [...out.matchAll(/AoR:\s*(\S+)/g)].map((m) => m[1] ?? '').sort();
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sbc-e2e-flap-'));
  bed = new Testbed('flap');
  ns = { lan: bed.namespace('lan'), agent: bed.namespace('agt'), hub: bed.namespace('hub') };
  bed.link({ ns: ns.lan, dev: 'eth0', addr: `${PHONE}/24` }, { ns: ns.agent, dev: 'lan0', addr: `${AGENT_LAN}/24` });
  bed.link({ ns: ns.agent, dev: 'wan0', addr: '10.213.2.2/24' }, { ns: ns.hub, dev: 'eth0', addr: `${HUB}/24` });
  bed.defaultRoute(ns.agent, HUB);
  // Every Kamailio of this test trusts REGISTERs from the hub: each restart forgets its nonces.
  pbxOptions = { ctlSocket: join(dir, 'kamailio.ctl'), trustRegistersFrom: '127.0.0.1' };
  pbx = startPbx(dir, '127.0.0.1', 5060, ns.hub, pbxOptions);
  const yaml = namespaceHubYaml(HUB, 'info').replace('pbx: { host: 127.0.0.1, port: 5060 }', 'pbx: { host: 127.0.0.1, port: 5060, probeInterval: 500ms }');
  hub = await startCliHub({ dir, netns: ns.hub, yaml });
  agentState = join(dir, 'agent');
  await enrollByCli(hub, 'branch-flap', agentState, ns.agent);
  const agentYaml = join(dir, 'agent.yaml');
  writeFileSync(agentYaml, `log:\n  level: info\nagent:\n  calls: auto\n  survival: { holdDown: ${HOLD_DOWN_MS / 1000}s }\n  media:\n    ports: { min: 31200, max: 31299 }\n`);
  agent = new CliProcess(['run', '--config', agentYaml, '--state-dir', agentState], undefined, ns.agent);
  await agent.waitForOutput(/run: SBC 'branch-flap'/, 30_000);
  await survivalUntil(agentState, 'mode normal', (s) => s.mode === 'normal' && s.pbx === 'reachable', 10_000, () => agent.stderr.slice(-3000));
  phone = await BaresipPhone.start({
    dir, name: 'A', address: PHONE, netns: ns.lan, answer: 'auto', outbound: `sip:${AGENT_LAN}:5060;transport=udp`,
    sipPort: 23700, ctrlPort: 23710, rtpPorts: [23720, 23739], user: '1001', domain: PBX_DOMAIN, password: PBX_PASSWORD, toneHz: 1000, regint: 3600,
  });
  await phone.waitRegistered();
});

after(async () => {
  await phone?.stop().catch(() => undefined);
  await agent?.stop('SIGINT');
  await hub?.process.stop();
  await pbx?.stop();
  bed?.remove();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('a PBX flapping every 10 s for 2 minutes: one failover, one failback a hold-down after it is stable', { timeout: 200_000 }, async () => {
  assert.deepEqual(locationTable(), ['1001'], 'the phone at Kamailio before');
  const before = loggedTransitions(agent.stderr).length;
  const t0 = Date.now();
  for (let change = 0; change * FLAP_MS < FLAPPING_MS; change++) {
    if (change % 2 === 0) await pbx.stop();
    else pbx = startPbx(dir, '127.0.0.1', 5060, ns.hub, pbxOptions);
    await sleep(t0 + (change + 1) * FLAP_MS - Date.now());
  }
  // The last change (at 110 s) started it: it stays up from there.
  const stable = t0 + FLAPPING_MS - FLAP_MS;
  const normal = await survivalUntil(agentState, 'mode normal after the flapping', (s) => s.mode === 'normal', HOLD_DOWN_MS + 20_000, () => agent.stderr.slice(-3000));
  const seen = loggedTransitions(agent.stderr).slice(before);
  process.stdout.write(`survival flap: ${FLAPPING_MS / FLAP_MS} changes of the PBX in ${FLAPPING_MS / 1000} s gave ${seen.length} transitions: ${seen.map((t) => `${t.from}→${t.to} at ${((t.at - t0) / 1000).toFixed(1)} s`).join(', ')}; failback ${normal.since - stable} ms after the PBX was last started (hold-down ${HOLD_DOWN_MS} ms)\n`);
  assert.deepEqual(seen.map((t) => `${t.from}→${t.to}`), ['normal→survival', 'survival→failing-back', 'failing-back→normal'], 'one failover and one failback');
  assert.ok((seen[1]?.at ?? 0) >= stable + HOLD_DOWN_MS - 1000, 'failback only a hold-down after the PBX was last started');
  assert.deepEqual(locationTable(), ['1001'], 'the phone re-registered into the last Kamailio');
});
