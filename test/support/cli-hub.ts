/**
 * A real `sbc-agent hub` process started by an end-to-end test (on loopback, or inside a network
 * namespace the test made), and agents enrolled into it the way an admin and an installer do:
 * `hub add-sbc`, then `enroll` with the printed URL, key and fingerprint.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliProcess, MAIN, runCli } from './integ-process.js';
import { spawnCollect } from './pnp-e2e.js';

export interface CliHub {
  readonly process: CliProcess;
  /** The hub's state directory (for `hub add-sbc`, `list-sbc`, `revoke-sbc` and `status`). */
  readonly state: string;
  /** HOST:PORT of its enrollment endpoint, as agents reach it. */
  readonly enrollment: string;
}

export interface CliHubOptions {
  readonly dir: string;
  /** hub.yaml's text. */
  readonly yaml: string;
  /** Run inside this namespace; otherwise on 127.0.0.1 with the enrollment port chosen by the system. */
  readonly netns?: string;
}

export async function startCliHub(o: CliHubOptions): Promise<CliHub> {
  const state = join(o.dir, 'hub-state');
  const config = join(o.dir, 'hub.yaml');
  await writeFile(config, o.yaml);
  const loopback = o.netns === undefined ? ['--listen', '127.0.0.1', '--enroll-port', '0'] : [];
  const process = new CliProcess(['hub', '--state-dir', state, '--config', config, ...loopback], undefined, o.netns);
  const m = await process.waitForOutput(/hub: enrollment https:\/\/([^/\s]+)\/enroll\/[\s\S]*hub: ready/, 30_000);
  return { process, state, enrollment: m[1] ?? '' };
}

export interface AddedSbc {
  readonly url: string;
  readonly key: string;
  readonly fingerprint: string;
}

/** `hub add-sbc --name NAME --json`. */
export async function addSbc(hub: CliHub, name: string): Promise<AddedSbc> {
  const r = await runCli(['hub', 'add-sbc', '--name', name, '--state-dir', hub.state, '--url-host', hub.enrollment, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as AddedSbc;
}

/** Adds an SBC and enrolls an agent as it into `stateDir` (from inside `netns` when given). */
export async function enrollByCli(hub: CliHub, name: string, stateDir: string, netns?: string): Promise<void> {
  const k = await addSbc(hub, name);
  const args = ['enroll', '--url', k.url, '--key', k.key, '--fingerprint', k.fingerprint, '--state-dir', stateDir];
  const r = netns === undefined ? await runCli(args) : await spawnCollect('ip', ['netns', 'exec', netns, process.execPath, MAIN, ...args]).done;
  assert.equal(r.code, 0, r.stderr);
}

/**
 * hub.yaml for a hub inside a test namespace at `address` (enrollment 5001, TLS 5090, WSS 5443),
 * with the PBX (Kamailio) on its loopback: SIP 5060, the hub's own SIP leg 5070.
 */
export function namespaceHubYaml(address: string, logLevel: string, extra = ''): string {
  return `log:
  level: ${logLevel}
hub:
  publicName: ${address}
  enrollment: { listen: ${address}, port: 5001 }
  tunnel: { listen: ${address}, port: 5090 }
  wss: { listen: ${address}, port: 5443 }
  pbx: { host: 127.0.0.1, port: 5060 }
  sip: { listen: 127.0.0.1, port: 5070 }
  media: { ports: { min: 30000, max: 30199 } }
${extra}`;
}
