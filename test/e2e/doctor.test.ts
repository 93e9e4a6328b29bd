/**
 * `sbc-agent doctor --json` against a real hub and a real enrolled `run` on 127.0.0.1
 * (test/support/admin-rig.ts): with both up, the tunnel answers over TLS and over WSS with an RTT,
 * the hub's certificate is the enrolled CA's, the clocks agree, the certificate is valid and the
 * agent holds its listeners; with the hub stopped, both carriages are refused, the tunnel check
 * fails with what to do and the exit code is 23.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startAdminRig } from '../support/admin-rig.js';
import { runCli } from '../support/integ-process.js';

interface Check {
  readonly check: string;
  readonly status: string;
  readonly says: string;
  readonly todo?: string;
}

test('sbc-agent doctor --json: all well with the hub up; the tunnel checks fail with the hub stopped', { timeout: 120_000 }, async (t) => {
  const rig = await startAdminRig();
  t.after(() => rig.close());
  await rig.register('1001');
  const args = ['doctor', '--json', '--config', join(rig.dir, 'agent.yaml'), '--state-dir', join(rig.dir, 'agent')];

  const up = await runCli(args);
  const checks = JSON.parse(up.stdout) as Check[];
  const by = (name: string): Check[] => checks.filter((c) => c.check === name);
  for (const name of ['tunnel-tls', 'tunnel-wss', 'clock', 'certificate', 'disk']) assert.equal(by(name)[0]?.status, 'ok', `${name}: ${JSON.stringify(by(name))}\n${up.stderr}`);
  assert.match(by('tunnel-tls')[0]?.says ?? '', /answers in \d+ ms/);
  assert.ok(by('port').length > 0 && by('port').every((c) => c.status === 'ok' && /in use by the running agent/.test(c.says)), JSON.stringify(by('port')));
  assert.equal(by('tunnel').length, 0);

  await rig.hub.stop();
  const down = await runCli(args);
  assert.equal(down.code, 23, down.stderr);
  const after = JSON.parse(down.stdout) as Check[];
  const tls = after.find((c) => c.check === 'tunnel-tls');
  assert.equal(tls?.status, 'fail');
  assert.match(tls?.says ?? '', /refused/);
  assert.equal(after.find((c) => c.check === 'tunnel-wss')?.status, 'fail');
  assert.match(after.find((c) => c.check === 'tunnel')?.says ?? '', /cannot be reached by either carriage/);
  assert.equal(after.find((c) => c.check === 'clock')?.status, 'warn');
});
