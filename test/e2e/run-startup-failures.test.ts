/**
 * Issue 10: `sbc-agent run` that cannot start exits at once with its documented code and leaves
 * nothing behind: no process, no bound port, no status file, and no tunnel (the hub never sees a
 * handshake: the SBC's lastSeen stays empty). A real `sbc-agent hub` process, an agent enrolled by
 * the CLI, and a table of broken starts, each cut after 2 s.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCliHub, enrollByCli, type CliHub } from '../support/cli-hub.js';
import { CliProcess, runCli } from '../support/integ-process.js';

const TLS_PORT = 21390;
const WSS_PORT = 21643;
const SIP_PORT = 21460;
const STUN_PORT = 21478;
const HTTP_PORT = 21480;
const ADMIN_PORT = 21481;

let dir: string;
let hub: CliHub;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sbc-e2e-run-fail-'));
  hub = await startCliHub({ dir, yaml: `log:\n  level: warn\nhub:\n  publicName: 127.0.0.1\n  tunnel:\n    port: ${TLS_PORT}\n  wss:\n    port: ${WSS_PORT}\n` });
});

after(async () => {
  await hub.process.stop();
  await rm(dir, { recursive: true, force: true });
});

async function enrolled(name: string): Promise<string> {
  const stateDir = join(dir, name);
  await enrollByCli(hub, name, stateDir);
  return stateDir;
}

async function lastSeen(name: string): Promise<string | null> {
  const r = await runCli(['hub', 'list-sbc', '--json', '--state-dir', hub.state]);
  assert.equal(r.code, 0, r.stderr);
  const list = JSON.parse(r.stdout) as { name: string; lastSeen?: string | null }[];
  return list.find((s) => s.name === name)?.lastSeen ?? null;
}

const GOOD = { lan: '127.0.0.1', sip: `{ port: ${SIP_PORT} }`, stun: `{ port: ${STUN_PORT} }`, pnp: `{ httpPort: ${HTTP_PORT}, provisioning: off }`, media: '{ ports: { min: 41000, max: 41099 } }' };

function agentYaml(over: Partial<typeof GOOD> = {}): string {
  const v = { ...GOOD, ...over };
  return `log:\n  level: warn\nagent:\n  lan: ${v.lan}\n  sip: ${v.sip}\n  stun: ${v.stun}\n  pnp: ${v.pnp}\n  media: ${v.media}\n`;
}

function bindUdp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => resolve(s));
  });
}

/** Every port the agent would have bound is free again (UDP and TCP). */
async function portsFree(): Promise<void> {
  for (const port of [SIP_PORT, STUN_PORT]) {
    const s = await bindUdp(port);
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  for (const port of [SIP_PORT, STUN_PORT, HTTP_PORT, ADMIN_PORT]) {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  }
}

interface Case {
  readonly name: string;
  /** The agent.yaml text, or undefined to pass a --config that does not exist. */
  readonly yaml: string | undefined;
  readonly extraArgs?: readonly string[];
  readonly enrolled: boolean;
  readonly code: number;
  readonly message: RegExp;
  readonly prepare?: (stateDir: string, sbc: string) => Promise<() => Promise<void>>;
}

const CASES: readonly Case[] = [
  { name: 'bad media port range in agent.yaml', yaml: agentYaml({ media: '{ ports: { min: 41000, max: 41001 } }' }), enrolled: true, code: 3, message: /agent\.media\.ports\.max/ },
  { name: 'bad port range on the command line', yaml: agentYaml(), extraArgs: ['--media-ports', '5000-4000'], enrolled: true, code: 2, message: /--media-ports '5000-4000'/ },
  { name: 'LAN interface not on the machine', yaml: agentYaml({ lan: 'nosuch0' }), enrolled: true, code: 3, message: /agent\.lan: no IPv4 interface or address 'nosuch0'/ },
  {
    name: 'SIP port taken',
    yaml: agentYaml(),
    enrolled: true,
    code: 19,
    message: new RegExp(`cannot listen on udp 127\\.0\\.0\\.1:${SIP_PORT}: the port is in use \\(held by pid ${process.pid} \\(node\\)\\)`),
    prepare: async () => {
      const holder = await bindUdp(SIP_PORT);
      return () => new Promise((resolve) => holder.close(() => resolve()));
    },
  },
  {
    name: 'admin port taken (agent.admin.port configured)',
    yaml: `${agentYaml()}  admin: { port: ${ADMIN_PORT} }\n`,
    enrolled: true,
    code: 19,
    message: new RegExp(`cannot listen on tcp 127\\.0\\.0\\.1:${ADMIN_PORT}: the port is in use`),
    prepare: async () => {
      const holder = createServer();
      await new Promise<void>((resolve) => holder.listen(ADMIN_PORT, '127.0.0.1', resolve));
      return () => new Promise((resolve) => holder.close(() => resolve()));
    },
  },
  { name: 'unreadable configuration file', yaml: undefined, enrolled: true, code: 4, message: /cannot read the configuration file \(ENOENT\)/ },
  { name: 'not enrolled', yaml: agentYaml(), enrolled: false, code: 18, message: /this agent is not enrolled/ },
  {
    name: 'corrupt blocks file',
    yaml: agentYaml(),
    enrolled: true,
    code: 4,
    message: /agent\/blocks\.json: not JSON .*; fix or delete the file \(deleting it lifts every block\)/,
    prepare: async (stateDir) => {
      await writeFile(join(stateDir, 'agent', 'blocks.json'), '{"version":1,"blocks":[');
      return async () => {};
    },
  },
  {
    name: 'revoked',
    yaml: agentYaml(),
    enrolled: true,
    code: 15,
    message: /this SBC was revoked by the hub's admin/,
    prepare: async (_stateDir, sbc) => {
      const r = await runCli(['hub', 'revoke-sbc', sbc, '--state-dir', hub.state]);
      assert.equal(r.code, 0, r.stderr);
      return async () => {};
    },
  },
];

for (const [i, c] of CASES.entries()) {
  test(`run fails at start, exits with its code within 2 s and leaves nothing: ${c.name}`, async () => {
    const sbc = `branch-fail-${i}`;
    const stateDir = c.enrolled ? await enrolled(sbc) : join(dir, sbc);
    const config = join(dir, `${sbc}.yaml`);
    if (c.yaml !== undefined) await writeFile(config, c.yaml);
    const release = (await c.prepare?.(stateDir, sbc)) ?? (async () => {});
    try {
      const started = Date.now();
      const run = new CliProcess(['run', '--state-dir', stateDir, '--config', c.yaml === undefined ? join(dir, 'missing.yaml') : config, ...(c.extraArgs ?? [])]);
      const code = await run.exitWithin(2000).catch(async (error: unknown) => {
        run.child.kill('SIGKILL');
        throw error;
      });
      assert.equal(code, c.code, `stdout: ${run.stdout}\nstderr: ${run.stderr}`);
      assert.match(run.stderr, c.message);
      assert.ok(Date.now() - started < 2000);
      assert.equal(run.running, false);
    } finally {
      await release();
    }
    await portsFree();
    await assert.rejects(access(join(stateDir, 'agent', 'status.json')), 'no status file is left behind');
    // Revoked: the hub refused the handshake; every other case never reached the hub.
    if (c.code !== 15 && c.enrolled) assert.equal(await lastSeen(sbc), null, 'the hub saw no handshake');
  });
}
