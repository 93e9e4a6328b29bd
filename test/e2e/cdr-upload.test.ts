/**
 * CDRs end to end (issue 11): a real `sbc-agent hub` and a real `sbc-agent run` on 127.0.0.1. The
 * agent's buffer holds records an earlier run could not upload; once `run` has its tunnel they are
 * at the hub, stamped with the SBC's enrolled name, gone from the agent's buffer, listed by
 * `sbc-agent hub cdr`, and counted by `sbc-agent status` on both sides.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CdrBuffer } from '../../src/cdr/index.js';
import type { CdrRecord } from '../../src/routing/index.js';
import { startCliHub, enrollByCli, type CliHub } from '../support/cli-hub.js';
import { CliProcess, runCli } from '../support/integ-process.js';
import { cdr } from '../support/cdr-records.js';

const TLS_PORT = 21790;
const WSS_PORT = 21943;
const agentYaml = `log:\n  level: info\nagent:\n  lan: 127.0.0.1\n  sip: { port: 21760 }\n  stun: { port: 21778 }\n  pnp: { httpPort: 21780, provisioning: off }\n  media: { ports: { min: 41300, max: 41399 } }\n`;

let dir: string;
let hub: CliHub;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sbc-e2e-cdr-'));
  hub = await startCliHub({ dir, yaml: `log:\n  level: info\nhub:\n  publicName: 127.0.0.1\n  tunnel:\n    port: ${TLS_PORT}\n  wss:\n    port: ${WSS_PORT}\n  cdr:\n    retentionDays: 3650\n` });
});
after(async () => {
  await hub.process.stop();
  await rm(dir, { recursive: true, force: true });
});

async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function hubRecords(): Promise<CdrRecord[]> {
  const r = await runCli(['hub', 'cdr', '--json', '--state-dir', hub.state]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as CdrRecord);
}

async function statusParts(state: string, role: 'hub' | 'agent'): Promise<Record<string, unknown> | undefined> {
  const r = await runCli(['status', '--json', '--state-dir', state]);
  const doc = JSON.parse(r.stdout) as Record<string, { parts?: Record<string, unknown> } | null>;
  return doc[role]?.parts;
}

test('records left in the agent\'s buffer reach the hub once run has its tunnel, under the enrolled name', async () => {
  const state = join(dir, 'agent-state');
  await enrollByCli(hub, 'branch-cdr', state);
  const config = join(dir, 'agent.yaml');
  await writeFile(config, agentYaml);
  // What an earlier run left: three records, one claiming another agent.
  const left = [cdr(1), cdr(2, { agent: 'someone-else' }), cdr(3, { direction: 'outbound', callee: '+442345' })];
  const buffer = await CdrBuffer.open({ dir: join(state, 'agent', 'cdr') });
  for (const r of left) await buffer.append(r);
  await buffer.close();

  const agent = new CliProcess(['run', '--state-dir', state, '--config', config]);
  try {
    const records = await until('the three records at the hub', hubRecords, (rs) => rs.length === 3);
    assert.deepEqual(records, left.map((r) => ({ ...r, agent: 'branch-cdr' })));
    await until('the agent\'s buffer empty', () => readdir(join(state, 'agent', 'cdr')), (names) => names.length === 0);
    const agentCdr = await until('the agent\'s status', () => statusParts(state, 'agent'), (p) => (p?.['cdr'] as { uploaded?: number } | undefined)?.uploaded === 3);
    assert.equal((agentCdr?.['cdr'] as { pending: number }).pending, 0);
    await until('the hub\'s status', () => statusParts(hub.state, 'hub'), (p) => (p?.['cdr'] as { stored?: number } | undefined)?.stored === 3);
    const table = await runCli(['hub', 'cdr', '--sbc', 'branch-cdr', '--state-dir', hub.state]);
    assert.equal(table.code, 0);
    assert.equal(table.stdout.trim().split('\n').length, 4, table.stdout);
    assert.match(table.stdout, /branch-cdr +outbound +101 → \+442345/);
    const human = await runCli(['status', '--state-dir', state]);
    assert.match(human.stdout, /CDRs: +0 pending upload, 3 uploaded, 0 dropped/);
  } finally {
    await agent.stop();
  }
});
