/**
 * Issue 17: an enrollment lockout (too many wrong auth keys from one address) persists in the hub's
 * blocks file: it survives a restart of the hub, and `sbc-agent hub unlock ADDRESS` lifts it on the
 * running hub, without a restart. A real hub process on 127.0.0.1 and `sbc-agent enroll` processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addSbc, startCliHub, type CliHub } from '../support/cli-hub.js';
import { CliProcess, runCli } from '../support/integ-process.js';

const WRONG_KEY = 'ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345-6789';
const YAML = 'log:\n  level: info\nhub:\n  publicName: localhost\n  lockout: { maxFailures: 3, baseDelay: 10ms, maxDelay: 40ms, duration: 1h }\n';

async function restart(hub: CliHub, dir: string): Promise<CliHub> {
  await hub.process.stop();
  const process = new CliProcess(['hub', '--state-dir', hub.state, '--config', join(dir, 'hub.yaml'), '--listen', '127.0.0.1', '--enroll-port', '0']);
  const m = await process.waitForOutput(/hub: enrollment https:\/\/([^/\s]+)\/enroll\/[\s\S]*hub: ready/, 30_000);
  return { process, state: hub.state, enrollment: m[1] ?? '' };
}

test('an enrollment lockout survives a hub restart, and `hub unlock` lifts it on the running hub', { timeout: 120_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-e2e-unlock-'));
  let hub = await startCliHub({ dir, yaml: YAML });
  t.after(async () => {
    await hub.process.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const target = await addSbc(hub, 'branch-unlock');
  const enroll = (key: string): ReturnType<typeof runCli> => {
    const url = target.url.replace(/^https:\/\/[^/]+/, `https://${hub.enrollment}`);
    return runCli(['enroll', '--url', url, '--key', key, '--fingerprint', target.fingerprint, '--state-dir', join(dir, 'agent')]);
  };
  for (let i = 1; i <= 3; i++) assert.equal((await enroll(WRONG_KEY)).code, 12, `wrong key ${i}`);
  assert.equal((await enroll(target.key)).code, 16, 'locked out');

  hub = await restart(hub, dir);
  const still = await enroll(target.key);
  assert.equal(still.code, 16, `still locked out after the restart: ${still.stderr}`);

  const unlock = await runCli(['hub', 'unlock', '127.0.0.1', '--state-dir', hub.state]);
  assert.equal(unlock.code, 0, unlock.stderr);
  assert.match(unlock.stdout, /127\.0\.0\.1 \(enrollment\) lifted/);
  await hub.process.waitForStderr(/block lifted/, 5000);
  const enrolled = await enroll(target.key);
  assert.equal(enrolled.code, 0, enrolled.stderr);

  const again = await runCli(['hub', 'unlock', '127.0.0.1', '--state-dir', hub.state]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /no block on 127\.0\.0\.1 in .*blocks\.json/);
});
