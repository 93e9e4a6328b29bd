/**
 * SIGHUP on a running hub (systemctl reload sbc-agent-hub): the hub stays up and re-reads hub.yaml
 * and its routing file; a hub.yaml that no longer validates changes nothing and says so; SIGTERM
 * still stops it with exit 0.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../support/free-port.js';
import { startCliHub } from '../support/cli-hub.js';
import type { CliProcess } from '../support/integ-process.js';

const ROUTING = `extensions:
  - { number: '101', name: Anna, password: secret-101, realm: branch.example }
`;

function hubYaml(level: string, ports: readonly number[]): string {
  return `log:\n  level: ${level}\nhub:\n  routing: routing.yaml\n  tunnel: { port: ${ports[0]} }\n  wss: { port: ${ports[1]} }\n`;
}

/** Waits until the hub's log (stderr, JSON lines) matches. */
async function logShows(process: CliProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pattern.test(process.stderr)) {
    if (Date.now() > until) assert.fail(`no ${String(pattern)} in the hub's log within ${timeoutMs} ms: ${process.stderr.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a hub reloads on SIGHUP instead of dying, refuses a broken hub.yaml, and stops on SIGTERM', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-hub-reload-'));
  await writeFile(join(dir, 'routing.yaml'), ROUTING);
  const ports = [await freePort(), await freePort()];
  const hub = await startCliHub({ dir, yaml: hubYaml('info', ports) });
  try {
    await writeFile(join(dir, 'hub.yaml'), hubYaml('debug', ports));
    hub.process.child.kill('SIGHUP');
    await logShows(hub.process, /"logLevel":"debug".*configuration reloaded/, 10_000);
    assert.ok(hub.process.running, 'the hub is still running after SIGHUP');

    await writeFile(join(dir, 'hub.yaml'), 'hub:\n  tunnel: { port: not-a-port }\n');
    hub.process.child.kill('SIGHUP');
    await logShows(hub.process, /reload refused: the configuration is not valid/, 10_000);
    assert.ok(hub.process.running, 'a broken hub.yaml does not stop the hub');

    hub.process.child.kill('SIGTERM');
    assert.equal(await hub.process.exited, 0);
    assert.match(hub.process.stderr, /hub stopping/);
  } finally {
    if (hub.process.running) hub.process.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
