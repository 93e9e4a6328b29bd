/**
 * What `sbc-agent demo` keeps in its state directory besides the hub's and the agent's state:
 *
 * - `routing.yaml`, the demo routing model (extensions 1001–1003 with generated passwords, ring
 *   group 2000 of all three, one inbound rule to it), written once when none is there, so a
 *   softphone set up with its passwords keeps working across runs; edit it freely, the running hub
 *   re-reads it within a second;
 * - `demo.json`, the well-known file of a running demo: where phones register (the agent's SIP
 *   address) and with what user and password. `sbc-agent demo --call` reads it. Written when the
 *   demo is up, removed when it stops; 0600 as it holds passwords.
 *
 * The default state directory is `<temp dir>/sbc-agent-demo-<uid>`: `demo` and `demo --call` both
 * know it, and it is kept between runs.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from '../core/index.js';
import { ConfigFileError } from '../config/index.js';
import { PRIVATE_FILE_MODE, readFileIfExists, writeFileAtomic } from '../platform/index.js';

export const DEMO_EXTENSIONS = ['1001', '1002', '1003'] as const;
export const DEMO_RING_GROUP = '2000';
export const DEMO_REALM = 'sbc-agent.demo';
export const DEMO_ROUTING_FILE = 'routing.yaml';
export const DEMO_INFO_FILE = 'demo.json';

/** `<temp dir>/sbc-agent-demo-<uid>` (the uid keeps two users of one machine apart). */
export function defaultDemoStateDir(): string {
  const uid = typeof process.getuid === 'function' ? String(process.getuid()) : 'user';
  return join(tmpdir(), `sbc-agent-demo-${uid}`);
}

/** 16 characters of [a-z2-7] (80 bits): typed into a softphone without ambiguity. */
function password(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return [...randomBytes(16)].map((b) => alphabet[b % 32]).join('');
}

/** The demo model as YAML, with fresh passwords. */
export function demoRoutingYaml(passwords: Readonly<Record<string, string>> = Object.fromEntries(DEMO_EXTENSIONS.map((n) => [n, password()]))): string {
  return `# The routing model of 'sbc-agent demo' (written once; edit it freely: the running hub re-reads it).
version: 1
realm: ${DEMO_REALM}
extensions:
${DEMO_EXTENSIONS.map((n) => `  - { number: "${n}", name: Demo ${n}, password: ${passwords[n] ?? password()} }`).join('\n')}
ringGroups:
  - { number: "${DEMO_RING_GROUP}", name: Everyone, strategy: ring-all, members: [${DEMO_EXTENSIONS.map((n) => `"${n}"`).join(', ')}], ringSeconds: 20 }
inbound:
  - { name: Main number, did: "*", destination: ring-group:${DEMO_RING_GROUP} }
`;
}

/** Writes the demo model unless `<stateDir>/routing.yaml` exists; true when written. */
export async function ensureDemoModel(stateDir: string): Promise<boolean> {
  const path = join(stateDir, DEMO_ROUTING_FILE);
  if ((await readFileIfExists(path)) !== undefined) return false;
  await writeFileAtomic(path, demoRoutingYaml(), { mode: PRIVATE_FILE_MODE });
  return true;
}

export interface DemoAccount {
  readonly user: string;
  readonly password: string;
}

/** The extensions of the model file that carry a plaintext password (the ones a softphone can use). */
export async function demoAccounts(stateDir: string): Promise<DemoAccount[]> {
  const path = join(stateDir, DEMO_ROUTING_FILE);
  const text = (await readFileIfExists(path))?.toString('utf8');
  if (text === undefined) throw new ConfigFileError(path, 'the demo routing model is missing');
  const doc = parseDocument(text).toJS() as { extensions?: { number?: unknown; password?: unknown }[] } | null;
  return (doc?.extensions ?? []).flatMap((e) => (typeof e.password === 'string' && e.password !== '' ? [{ user: String(e.number), password: e.password }] : []));
}

/** The well-known file of a running demo (`<stateDir>/demo.json`). */
export interface DemoInfo {
  readonly pid: number;
  /** Where phones register and send calls: the agent's SIP listener (UDP). */
  readonly sip: { readonly host: string; readonly port: number };
  /** The registrar's realm (digest) and the domain of the AORs. */
  readonly realm: string;
  readonly accounts: readonly DemoAccount[];
  readonly ringGroup: string;
}

export async function writeDemoInfo(stateDir: string, info: DemoInfo): Promise<void> {
  await writeFileAtomic(join(stateDir, DEMO_INFO_FILE), `${JSON.stringify(info, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
}

/** The running demo's file, or undefined when no demo writes into `stateDir`. */
export async function readDemoInfo(stateDir: string): Promise<DemoInfo | undefined> {
  const path = join(stateDir, DEMO_INFO_FILE);
  const raw = await readFileIfExists(path);
  if (raw === undefined) return undefined;
  let info: Partial<DemoInfo>;
  try {
    info = JSON.parse(raw.toString('utf8')) as Partial<DemoInfo>;
  } catch {
    throw new ConfigError(path, 'is not JSON (remove it and start the demo again)');
  }
  if (typeof info.sip?.host !== 'string' || typeof info.sip.port !== 'number' || !Array.isArray(info.accounts) || typeof info.pid !== 'number') {
    throw new ConfigError(path, 'lacks sip.host, sip.port, pid or accounts (remove it and start the demo again)');
  }
  return info as DemoInfo;
}
