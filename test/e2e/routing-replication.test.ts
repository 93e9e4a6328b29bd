/**
 * Replication of the routing model (issue 11, "What must be shown" 2): a real `sbc-agent hub` with
 * hub.routing and a real `sbc-agent run` on 127.0.0.1. Measures how long a change of the hub's file
 * takes to reach the agent's routing.json (the deadline: 2 s), and checks that no
 * plaintext password of the hub's file reaches the agent.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCliHub, enrollByCli, type CliHub } from '../support/cli-hub.js';
import { CliProcess, runCli } from '../support/integ-process.js';

const TLS_PORT = 21590;
const WSS_PORT = 21643 + 200;
const SECRET = 'Replicated-Plaintext-31';
const routingYaml = (version: number): string =>
  `version: ${version}\nrealm: pbx.test\nextensions:\n  - { number: "100", name: A, password: ${SECRET}, homeAgent: branch1 }\n  - { number: "200", name: B, password: ${SECRET}, homeAgent: other }\n`;
const agentYaml = `log:\n  level: info\nagent:\n  lan: 127.0.0.1\n  sip: { port: 21660 }\n  stun: { port: 21678 }\n  pnp: { httpPort: 21680, provisioning: off }\n  media: { ports: { min: 41200, max: 41299 } }\n`;

let dir: string;
let hub: CliHub;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sbc-e2e-routing-'));
  await writeFile(join(dir, 'routing.yaml'), routingYaml(3));
  hub = await startCliHub({ dir, yaml: `log:\n  level: info\nhub:\n  publicName: 127.0.0.1\n  tunnel:\n    port: ${TLS_PORT}\n  wss:\n    port: ${WSS_PORT}\n  routing: routing.yaml\n` });
});
after(async () => {
  await hub.process.stop();
  await rm(dir, { recursive: true, force: true });
});

async function storedVersion(path: string): Promise<number | undefined> {
  try {
    return (JSON.parse(await readFile(path, 'utf8')) as { version: number }).version;
  } catch {
    return undefined;
  }
}

async function waitVersion(path: string, version: number, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if ((await storedVersion(path)) === version) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`routing.json did not reach version ${version} within ${timeoutMs} ms (has ${String(await storedVersion(path))})`);
}

test('a connected agent gets the model, a change within 2 s, and never a plaintext password', async () => {
  const state = join(dir, 'agent-state');
  await enrollByCli(hub, 'branch1', state);
  const config = join(dir, 'agent.yaml');
  await writeFile(config, agentYaml);
  const stored = join(state, 'agent', 'routing.json');
  const agent = new CliProcess(['run', '--state-dir', state, '--config', config]);
  try {
    await waitVersion(stored, 3, 15_000);
    await writeFile(join(dir, 'routing.yaml'), routingYaml(8));
    const ms = await waitVersion(stored, 8, 5_000);
    process.stdout.write(`# routing change reached the agent in ${Math.round(ms)} ms\n`);
    assert.ok(ms <= 2000, `${Math.round(ms)} ms`);
    const text = await readFile(stored, 'utf8');
    assert.ok(!text.includes(SECRET));
    assert.deepEqual((JSON.parse(text) as { model: { extensions: { number: string }[] } }).model.extensions.map((e) => e.number), ['100']);
    await waitStatus(state, 8);
  } finally {
    await agent.stop();
  }

  // Offline while the model changes: the newest arrives on reconnect.
  await writeFile(join(dir, 'routing.yaml'), routingYaml(12));
  const again = new CliProcess(['run', '--state-dir', state, '--config', config]);
  try {
    await waitVersion(stored, 12, 15_000);
  } finally {
    await again.stop();
  }

  // Restarted without the hub: the stored snapshot is in use while the tunnel is down.
  await hub.process.stop();
  const alone = new CliProcess(['run', '--state-dir', state, '--config', config]);
  try {
    const status = await waitStatus(state, 12);
    assert.ok(!(status.agent?.tunnels ?? []).some((t) => t.state === 'up'), JSON.stringify(status.agent?.tunnels));
  } finally {
    await alone.stop();
  }
});

interface StatusJson { agent?: { parts?: { routing?: { version: number } }; tunnels?: { state: string }[] } }

async function waitStatus(state: string, version: number): Promise<StatusJson> {
  let last = '';
  for (let i = 0; i < 100; i++) {
    const r = await runCli(['status', '--state-dir', state, '--json']);
    last = r.stdout;
    if (r.code === 0) {
      const status = JSON.parse(r.stdout) as StatusJson;
      if (status.agent?.parts?.routing?.version === version) return status;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.fail(`status never showed routing version ${version}: ${last}`);
}
