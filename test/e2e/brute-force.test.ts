/**
 * Issue 17, "What must be shown" 3: brute force against a real `sbc-agent run`, in network
 * namespaces this test creates (10.212.x.y exists only inside them):
 *
 *   phone 10.212.1.10, guesser 10.212.1.66 ── lan0 10.212.1.1 [agent] wan0 10.212.2.2 ── 10.212.2.1 [hub + Kamailio on 127.0.0.1]
 *
 * The guesser sends 1,000 REGISTERs with real MD5 digests of a wrong password (each after the
 * PBX's challenge, test/support/register-flood.ts). The PBX (Kamailio, through the tunnel) answers
 * the first ten; then the agent blocks the address and drops the rest unanswered. A phone on
 * another address registers all along; the block is listed by `sbc-agent blocks`, survives a
 * restart of the agent, and `sbc-agent blocks lift` clears it on the running agent. The set-up is
 * test/support/survival-rig.ts (the same branch, without survival).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { MAIN, runCli, type CliProcess } from '../support/integ-process.js';
import { spawnCollect } from '../support/pnp-e2e.js';
import { PBX_DOMAIN, PBX_PASSWORD } from '../support/sbc-kamailio.js';
import { SurvivalRig } from '../support/survival-rig.js';

const AGENT_LAN = '10.212.1.1';
const PHONE = '10.212.1.10';
const GUESSER = '10.212.1.66';
const FLOOD_JS = fileURLToPath(new URL('../support/register-flood.js', import.meta.url));

let rig: SurvivalRig;
let ns: SurvivalRig['ns'];
let agent: CliProcess;
let agentState: string;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Guesses {
  attempts: number;
  sent: number;
  statuses: Record<string, number>;
}

async function guess(count: number, waitMs = 300, from = GUESSER, mode = 'guess'): Promise<Guesses> {
  const r = await spawnCollect('ip', ['netns', 'exec', ns.lan, process.execPath, FLOOD_JS, AGENT_LAN, '5060', from, String(count), '1001', PBX_DOMAIN, 'wrong-password', String(waitMs), mode]).done;
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Guesses;
}

/** `sbc-agent sip-register` from the phone's address, through the agent to the PBX: its exit code. */
async function phoneRegisters(): Promise<number | null> {
  const r = await spawnCollect('ip', ['netns', 'exec', ns.lan, process.execPath, MAIN, 'sip-register', '--registrar', `sip:${AGENT_LAN}:5060`,
    '--user', '1002', '--password', PBX_PASSWORD, '--domain', PBX_DOMAIN, '--local', PHONE, '--json']).done;
  return r.code;
}

interface Blocks {
  blocks: { address: string; reason: string; until: string | null }[];
}

async function blocks(): Promise<Blocks> {
  const r = await runCli(['blocks', '--json', '--state-dir', agentState]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Blocks;
}

/** `p` once its tunnel is up. */
async function tunnelUp(p: CliProcess): Promise<CliProcess> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = await runCli(['status', '--json', '--state-dir', agentState]);
    const s = JSON.parse(r.stdout || '{}') as { agent?: { running: boolean; tunnels: { state: string }[] } };
    if (s.agent?.running === true && s.agent.tunnels[0]?.state === 'up') return p;
    if (Date.now() > deadline) throw new Error(`the tunnel did not come up: ${r.stdout}\n${p.stderr.slice(-2000)}`);
    await sleep(250);
  }
}

async function startAgent(): Promise<CliProcess> {
  return tunnelUp(await rig.startAgent());
}

before(async () => {
  // A short challenge timeout so that unanswered challenges are counted within the test.
  rig = await SurvivalRig.start({
    prefix: 'brute', net: '10.212', sbcName: 'branch-guard', probeInterval: null, lanAddresses: [`${GUESSER}/24`],
    agentYaml: 'log:\n  level: info\nagent:\n  pnp: { policy: off }\n  stun: { port: 0 }\n  media:\n    ports: { min: 31000, max: 31099 }\n  protection:\n    authFailures: { challengeTimeout: 5s }\n',
  });
  ns = rig.ns;
  agentState = rig.agentState;
  agent = await tunnelUp(rig.agent ?? assert.fail('the rig started the agent'));
});

after(async () => {
  await rig?.close();
});

test('a phone registers through the agent before any attack', { timeout: 30_000 }, async () => {
  assert.equal(await phoneRegisters(), 0, agent.stderr.slice(-2000));
});

test('1,000 wrong digest passwords from one address: answered ten times, then the address is blocked and the rest dropped', { timeout: 120_000 }, async () => {
  const result = await guess(1000);
  assert.equal(result.attempts, 1000);
  assert.equal(result.sent, 2000);
  // Ten attempts, each a challenge (401 to the REGISTER without credentials) and a refusal (401 to the wrong digest).
  const answered = result.statuses['401'] ?? 0;
  assert.ok(answered >= 20 && answered <= 22, `401s seen by the guesser: ${JSON.stringify(result.statuses)}`);
  const listed = (await blocks()).blocks.find((b) => b.address === GUESSER);
  assert.equal(listed?.reason, 'auth', JSON.stringify(await blocks()));
  assert.notEqual(listed?.until, null);
  const s = JSON.parse((await runCli(['status', '--json', '--state-dir', agentState])).stdout) as { agent: { parts: { protection: { blocks: number; authFailures: number; dropped: Record<string, number> } } } };
  const p = s.agent.parts.protection;
  assert.ok(p.blocks >= 1, JSON.stringify(p));
  assert.ok(p.authFailures >= 10, JSON.stringify(p));
  assert.ok((p.dropped['auth'] ?? 0) >= 1900, `dropped before parsing: ${JSON.stringify(p)}`);
  const human = await runCli(['status', '--state-dir', agentState]);
  assert.match(human.stdout, /protection: +\d+ blocked/);
});

test('while the guesser is blocked, the phone on another address still registers', { timeout: 30_000 }, async () => {
  assert.equal(await phoneRegisters(), 0, agent.stderr.slice(-2000));
});

test('the block is listed by `sbc-agent blocks` and survives a restart of the agent', { timeout: 90_000 }, async () => {
  const text = await runCli(['blocks', '--state-dir', agentState]);
  assert.equal(text.code, 0);
  assert.match(text.stdout, new RegExp(`^${GUESSER.replaceAll('.', '\\.')} +auth `, 'm'));
  assert.equal(await agent.stop('SIGINT'), 0);
  agent = await startAgent();
  const again = await guess(3, 500);
  assert.deepEqual(again.statuses, {}, 'nothing answered after the restart');
  assert.ok((await blocks()).blocks.some((b) => b.address === GUESSER));
  assert.equal(await phoneRegisters(), 0);
});

test('a source that never answers its challenges is blocked once ten of them time out', { timeout: 60_000 }, async () => {
  const prober = '10.212.1.67';
  rig.bed.addAddress(ns.lan, 'eth0', `${prober}/24`);
  const probes = await guess(10, 300, prober, 'noanswer');
  assert.equal(probes.statuses['401'], 10, `each probe challenged: ${JSON.stringify(probes.statuses)}`);
  assert.equal((await blocks()).blocks.some((b) => b.address === prober), false, 'not before the challenge timeout');
  const deadline = Date.now() + 15_000;
  while (!(await blocks()).blocks.some((b) => b.address === prober && b.reason === 'auth')) {
    assert.ok(Date.now() < deadline, `not blocked: ${JSON.stringify(await blocks())}`);
    await sleep(250);
  }
  const after = await guess(1, 500, prober, 'noanswer');
  assert.deepEqual(after.statuses, {}, 'nothing answered once blocked');
});

test('`sbc-agent blocks lift` clears the block on the running agent', { timeout: 60_000 }, async () => {
  const lift = await runCli(['blocks', 'lift', GUESSER, '--state-dir', agentState]);
  assert.equal(lift.code, 0, lift.stderr);
  assert.match(lift.stdout, /lifted/);
  assert.equal((await blocks()).blocks.some((b) => b.address === GUESSER), false);
  // The agent looks at its blocks file once a second.
  await agent.waitForStderr(/block lifted/, 5000);
  const after = await guess(1, 2000);
  assert.equal(after.statuses['401'], 2, `answered again: ${JSON.stringify(after.statuses)}`);
});
