/**
 * Crash safety (issue 17, "What must be shown" 4): a real `sbc-agent hub` (with a routing file) and
 * an enrolled `sbc-agent run` on 127.0.0.1, and, at each iteration, one of the state changes the
 * product makes (an enrollment, a routing snapshot replicated to the agent, an inbox update by
 * `phones approve`, CDR appends to the real CdrBuffer, a hub admin command) with a SIGKILL of one
 * of the processes involved at a random moment (seeded). After each kill the killed process is
 * started again and every check must hold:
 *
 * - the hub and the agent come up again, and `status --json` answers for both;
 * - `hub list-sbc`, `phones`, `hub cdr` answer, none of them "still locked" / "held by";
 * - every *.json state file parses; the agent's routing.json is a valid snapshot;
 * - an interrupted enrollment leaves a complete identity or none (never a mixed one);
 * - the CDR buffer opens and holds every record whose append had resolved.
 *
 * `npm run crash-loop -- --iterations 200 [--seed N]`; prints the counts and the seed. The e2e
 * suite runs a short version (test/e2e/crash-loop.test.ts). Only processes started here are
 * killed, by pid.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CdrBuffer } from '../src/cdr/index.js';
import { completeFileSet, readFileIfExists } from '../src/platform/index.js';
import { decodeSnapshot } from '../src/routing/index.js';
import { agentStatePaths, loadAgentIdentity } from '../src/tunnel/enrollment/index.js';
import { freePort } from '../test/support/free-port.js';
import { CliProcess, runCli, type CliResult } from '../test/support/integ-process.js';

const CDR_WRITER = fileURLToPath(new URL('./crash-cdr-writer.js', import.meta.url));

export type Activity = 'enroll' | 'replication' | 'inbox' | 'cdr' | 'admin';
export const ACTIVITIES: readonly Activity[] = ['enroll', 'replication', 'inbox', 'cdr', 'admin'];
/** Which process got the SIGKILL. */
export type Victim = 'hub' | 'agent' | 'command';

export interface CrashLoopOptions {
  readonly iterations: number;
  readonly seed: number;
  /** Each line of progress (default: none). */
  readonly log?: (line: string) => void;
}

export interface CrashLoopResult {
  readonly seed: number;
  readonly iterations: number;
  /** Kills per activity and victim, e.g. `replication/agent`. */
  readonly kills: Record<string, number>;
  readonly restarts: { readonly hub: number; readonly agent: number };
  /** Checks that failed, each with its iteration; empty when crash safe. */
  readonly failures: readonly string[];
  readonly checks: number;
  /** Longest time a killed long-running process took to be ready again. */
  readonly maxRestartMs: number;
  /** CDR records appended (resolved) before kills, and found again after. */
  readonly cdrAppended: number;
  readonly elapsedMs: number;
}

/** mulberry32: small, seeded, good enough to place kills. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A locked state file shows up as one of these in an admin command's error. */
const LOCKED = /still locked|held by another process/;

interface Rig {
  readonly dir: string;
  readonly hubState: string;
  readonly hubConfig: string;
  readonly routingFile: string;
  readonly enrollAddress: string;
  readonly agentState: string;
  readonly agentConfig: string;
  readonly cdrDir: string;
  hub: CliProcess;
  agent: CliProcess;
  routingVersion: number;
  cdrNext: number;
  /** The highest CDR id whose append resolved before a kill. */
  cdrConfirmed: number;
  /** The last CDR_CHECKED ids writers printed as appended (resolved): each must be in the buffer. */
  cdrRecent: number[];
}

/** How many of the latest confirmed CDR ids each check looks for. */
const CDR_CHECKED = 21;

function routingYaml(version: number): string {
  return `version: ${version}\nrealm: crash.test\nextensions:\n  - { number: "100", name: A, password: Crash-Loop-${version}, homeAgent: branch }\n  - { number: "101", name: B, password: Crash-Loop-${version}, homeAgent: branch }\n`;
}

async function startHub(r: Pick<Rig, 'hubState' | 'hubConfig'>): Promise<CliProcess> {
  const hub = new CliProcess(['hub', '--state-dir', r.hubState, '--config', r.hubConfig]);
  try {
    await hub.waitForOutput(/hub: ready/, 30_000);
  } catch (error) {
    await hub.stop('SIGKILL');
    throw error;
  }
  return hub;
}

async function startAgent(r: Pick<Rig, 'agentState' | 'agentConfig'>): Promise<CliProcess> {
  const agent = new CliProcess(['run', '--state-dir', r.agentState, '--config', r.agentConfig]);
  try {
    await agent.waitForOutput(/run: SBC '/, 30_000);
  } catch (error) {
    await agent.stop('SIGKILL');
    throw error;
  }
  return agent;
}

async function makeRig(): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-crash-loop-'));
  const [enrollPort, tunnelPort, wssPort, sipPort, stunPort, httpPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
  const mediaBase = 42_000 + Math.floor(Math.random() * 100) * 100;
  const routingFile = join(dir, 'routing.yaml');
  await writeFile(routingFile, routingYaml(1));
  const hubConfig = join(dir, 'hub.yaml');
  await writeFile(hubConfig, `log:\n  level: warn\nhub:\n  publicName: 127.0.0.1\n  enrollment: { listen: 127.0.0.1, port: ${enrollPort} }\n  tunnel: { listen: 127.0.0.1, port: ${tunnelPort} }\n  wss: { listen: 127.0.0.1, port: ${wssPort} }\n  routing: routing.yaml\n`);
  const agentConfig = join(dir, 'agent.yaml');
  await writeFile(agentConfig, `log:\n  level: warn\nagent:\n  lan: 127.0.0.1\n  sip: { port: ${sipPort} }\n  stun: { port: ${stunPort} }\n  pnp: { httpPort: ${httpPort}, provisioning: off }\n  media: { ports: { min: ${mediaBase}, max: ${mediaBase + 99} } }\n`);
  const hubState = join(dir, 'hub-state');
  const agentState = join(dir, 'agent-state');
  const hub = await startHub({ hubState, hubConfig });
  const enrollAddress = `127.0.0.1:${enrollPort}`;
  const added = await addSbc(hubState, hubConfig, enrollAddress, 'branch');
  if (added === undefined) throw new Error('hub add-sbc failed at setup');
  const enrolled = await runCli(['enroll', '--url', added.url, '--key', added.key, '--fingerprint', added.fingerprint, '--state-dir', agentState]);
  if (enrolled.code !== 0) throw new Error(`enroll failed at setup: ${enrolled.stderr}`);
  const agent = await startAgent({ agentState, agentConfig });
  return { dir, hubState, hubConfig, routingFile, enrollAddress, agentState, agentConfig, cdrDir: join(dir, 'cdr'), hub, agent, routingVersion: 1, cdrNext: 1, cdrConfirmed: 0, cdrRecent: [] };
}

interface Added { readonly url: string; readonly key: string; readonly fingerprint: string }

async function addSbc(hubState: string, hubConfig: string, enrollAddress: string, name: string): Promise<Added | undefined> {
  const r = await runCli(['hub', 'add-sbc', '--name', name, '--state-dir', hubState, '--config', hubConfig, '--url-host', enrollAddress, '--json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as Added) : undefined;
}

/** A command run as a child we can SIGKILL by pid. */
class KillableCommand {
  readonly done: Promise<CliResult>;
  readonly #child;
  stdout = '';

  constructor(script: string, args: readonly string[]) {
    this.#child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    this.#child.stdout.on('data', (d: Buffer) => { this.stdout += d.toString(); });
    this.#child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    this.done = new Promise((resolve) => this.#child.once('close', (code) => resolve({ code: code ?? -1, stdout: this.stdout, stderr })));
  }

  kill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }
}

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

/** Kills the hub or the agent by pid and waits for it to be gone. */
async function killProcess(p: CliProcess): Promise<void> {
  if (p.running) p.child.kill('SIGKILL');
  await p.exited;
}

async function jsonFilesProblems(root: string): Promise<string[]> {
  const problems: string[] = [];
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isFile() || !e.name.endsWith('.json')) continue;
    const path = join(e.parentPath, e.name);
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) continue; // Renamed away between the listing and the read.
    try {
      JSON.parse(text);
    } catch {
      problems.push(`${path} does not parse`);
    }
  }
  return problems;
}

/** `jsonLines`: the output is one JSON value a line (`hub cdr --json`), possibly none. */
function commandProblem(what: string, r: CliResult, jsonLines = false): string | undefined {
  if (LOCKED.test(r.stderr)) return `${what}: blocked by a lock: ${r.stderr.trim()}`;
  if (r.code !== 0) return `${what} exited ${r.code}: ${r.stderr.trim().slice(0, 400)}`;
  try {
    if (jsonLines) for (const line of r.stdout.split('\n').filter((l) => l !== '')) JSON.parse(line);
    else JSON.parse(r.stdout);
  } catch {
    return `${what} printed no JSON`;
  }
  return undefined;
}

/** The checks every iteration ends with; returns what failed. */
async function checkState(r: Rig): Promise<{ problems: string[]; count: number }> {
  const [agentStatus, hubStatus, list, phones, cdr] = await Promise.all([
    runCli(['status', '--json', '--state-dir', r.agentState]),
    runCli(['status', '--json', '--state-dir', r.hubState]),
    runCli(['hub', 'list-sbc', '--json', '--state-dir', r.hubState, '--config', r.hubConfig]),
    runCli(['phones', '--json', '--state-dir', r.agentState]),
    runCli(['hub', 'cdr', '--json', '--state-dir', r.hubState, '--config', r.hubConfig]),
  ]);
  const problems = [
    commandProblem('status (agent)', agentStatus),
    commandProblem('status (hub)', hubStatus),
    commandProblem('hub list-sbc', list),
    commandProblem('phones', phones),
    commandProblem('hub cdr', cdr, true),
  ].filter((p): p is string => p !== undefined);
  problems.push(...(await jsonFilesProblems(r.hubState)), ...(await jsonFilesProblems(r.agentState)));
  const routing = await readFileIfExists(join(r.agentState, 'agent', 'routing.json'));
  if (routing !== undefined) {
    try {
      decodeSnapshot(routing);
    } catch (error) {
      problems.push(`routing.json is not a valid snapshot: ${String(error)}`);
    }
  }
  if (!r.hub.running) problems.push('the hub is not running');
  if (!r.agent.running) problems.push('the agent is not running');
  return { problems, count: 8 };
}

interface Step {
  readonly activity: Activity;
  readonly victim: Victim;
  readonly delayMs: number;
}

function pickStep(random: () => number): Step {
  const activity = ACTIVITIES[Math.floor(random() * ACTIVITIES.length)] ?? 'admin';
  const victims: Record<Activity, readonly Victim[]> = {
    enroll: ['command', 'hub'],
    replication: ['agent', 'hub'],
    inbox: ['command', 'agent'],
    cdr: ['command'],
    admin: ['command', 'hub'],
  };
  const choices = victims[activity];
  const victim = choices[Math.floor(random() * choices.length)] ?? 'command';
  // Node starts in ~150 ms: kills below that land before the command's first write, the rest
  // spread over its work.
  return { activity, victim, delayMs: Math.floor(random() * (activity === 'cdr' ? 1500 : 900)) };
}

/** Runs one iteration's activity, kills its victim after `delayMs`; returns extra problems found. */
async function runStep(r: Rig, i: number, step: Step, random: () => number): Promise<string[]> {
  const problems: string[] = [];
  let command: KillableCommand | undefined;
  let enrollDir: string | undefined;
  switch (step.activity) {
    case 'enroll': {
      const added = await addSbc(r.hubState, r.hubConfig, r.enrollAddress, `e${i}`);
      if (added === undefined) return [`hub add-sbc e${i} failed before the enrollment`];
      enrollDir = join(r.dir, `enroll-${i}`);
      command = new KillableCommand(MAIN, ['enroll', '--url', added.url, '--key', added.key, '--fingerprint', added.fingerprint, '--state-dir', enrollDir]);
      break;
    }
    case 'replication':
      r.routingVersion += 1;
      await writeFile(r.routingFile, routingYaml(r.routingVersion));
      break;
    case 'inbox': {
      const mac = `0015650000${(i % 256).toString(16).padStart(2, '0')}`;
      const args = random() < 0.5 ? ['phones', 'approve', mac, '--extension', String(100 + (i % 2))] : ['phones', 'reject', mac];
      command = new KillableCommand(MAIN, [...args, '--state-dir', r.agentState]);
      break;
    }
    case 'cdr':
      command = new KillableCommand(CDR_WRITER, [r.cdrDir, String(r.cdrNext)]);
      break;
    case 'admin': {
      const which = random();
      const args = which < 0.4 ? ['hub', 'add-sbc', '--name', `a${i}`, '--url-host', r.enrollAddress, '--json']
        : which < 0.7 ? ['hub', 'revoke-sbc', `a${i - 1 - Math.floor(random() * 5)}`]
          : ['hub', 'rekey-sbc', 'branch', '--url-host', r.enrollAddress, '--json'];
      command = new KillableCommand(MAIN, [...args, '--state-dir', r.hubState, '--config', r.hubConfig]);
      break;
    }
  }
  await sleep(step.delayMs);
  if (step.victim === 'command') command?.kill();
  else if (step.victim === 'hub') await killProcess(r.hub);
  else await killProcess(r.agent);
  if (command !== undefined) {
    // A command whose victim was a server may fail (the hub is gone mid-enrollment): that is
    // fine; it must only end, and leave a usable state behind.
    const ended = await Promise.race([command.done, sleep(60_000).then(() => undefined)]);
    if (ended === undefined) {
      command.kill();
      problems.push(`${step.activity} command did not end within 60 s`);
    } else if (LOCKED.test(ended.stderr)) {
      problems.push(`${step.activity} command blocked by a lock: ${ended.stderr.trim()}`);
    }
  }
  if (step.activity === 'cdr' && command !== undefined) {
    const confirmed = [...command.stdout.matchAll(/appended (\d+)/g)].map((m) => Number(m[1]));
    const last = confirmed.at(-1);
    if (last !== undefined) r.cdrConfirmed = last;
    // Only ids a writer printed count: the one after its last print may or may not be on disk (cut mid-append), and is never reused.
    r.cdrRecent = [...r.cdrRecent, ...confirmed].slice(-CDR_CHECKED);
    r.cdrNext = Math.max(r.cdrNext, (last ?? r.cdrNext) + 1) + 1;
  }
  if (enrollDir !== undefined) {
    try {
      const paths = agentStatePaths(enrollDir);
      await completeFileSet(paths.dir).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      });
      await loadAgentIdentity(paths, readFileIfExists);
    } catch (error) {
      problems.push(`interrupted enrollment left a broken identity: ${String(error)}`);
    }
  }
  return problems;
}

async function checkCdr(r: Rig): Promise<string[]> {
  const buffer = await CdrBuffer.open({ dir: r.cdrDir, maxRecords: 1_000_000, maxBytes: 512 * 1024 * 1024 });
  try {
    const stats = buffer.stats();
    const problems: string[] = [];
    if (stats.unreadable > 0) problems.push(`CDR buffer: ${stats.unreadable} unreadable lines`);
    for (const n of r.cdrRecent) {
      if (!buffer.has(`crash-${String(n).padStart(9, '0')}`)) problems.push(`CDR buffer: record ${n} was confirmed and is gone`);
    }
    return problems;
  } finally {
    await buffer.close();
  }
}

export async function runCrashLoop(o: CrashLoopOptions): Promise<CrashLoopResult> {
  const log = o.log ?? ((): void => undefined);
  const random = seededRandom(o.seed);
  const started = performance.now();
  const kills: Record<string, number> = {};
  const failures: string[] = [];
  const restarts = { hub: 0, agent: 0 };
  let checks = 0;
  let maxRestartMs = 0;
  const r = await makeRig();
  try {
    for (let i = 1; i <= o.iterations; i++) {
      const step = pickStep(random);
      const key = `${step.activity}/${step.victim}`;
      kills[key] = (kills[key] ?? 0) + 1;
      const found = await runStep(r, i, step, random);
      for (const which of ['hub', 'agent'] as const) {
        if (r[which].running) continue;
        const t0 = performance.now();
        try {
          r[which] = which === 'hub' ? await startHub(r) : await startAgent(r);
          restarts[which] += 1;
          maxRestartMs = Math.max(maxRestartMs, performance.now() - t0);
        } catch (error) {
          found.push(`the ${which} did not start again: ${String(error).slice(0, 600)}`);
        }
      }
      const state = await checkState(r);
      found.push(...state.problems);
      if (step.activity === 'cdr') found.push(...(await checkCdr(r)));
      checks += state.count + 1;
      for (const p of found) failures.push(`#${i} ${key} +${step.delayMs} ms: ${p}`);
      log(`#${i} ${key} +${step.delayMs} ms ${found.length === 0 ? 'ok' : `FAILED: ${found.join('; ')}`}`);
      if (!r.hub.running || !r.agent.running) break;
    }
    // Convergence: the agent, restarted often, ends with the hub's latest routing version.
    const deadline = performance.now() + 20_000;
    let version: number | undefined;
    while (performance.now() < deadline) {
      const stored = await readFileIfExists(join(r.agentState, 'agent', 'routing.json'));
      version = stored === undefined ? undefined : decodeSnapshot(stored).version;
      if (version === r.routingVersion) break;
      await sleep(200);
    }
    checks += 1;
    if (version !== r.routingVersion) failures.push(`end: the agent holds routing version ${String(version)}, the hub's is ${r.routingVersion}`);
  } finally {
    await killProcess(r.agent);
    await killProcess(r.hub);
    await rm(r.dir, { recursive: true, force: true });
  }
  return { seed: o.seed, iterations: o.iterations, kills, restarts, failures, checks, maxRestartMs, cdrAppended: r.cdrConfirmed, elapsedMs: performance.now() - started };
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const iterations = Number.parseInt(flag('iterations') ?? '200', 10);
  const seed = Number.parseInt(flag('seed') ?? String(Date.now() % 1_000_000), 10);
  process.stdout.write(`crash-loop: seed ${seed}, ${iterations} iterations\n`);
  const result = await runCrashLoop({ iterations, seed, log: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write(`crash-loop: seed ${result.seed}; ${result.iterations} kills in ${(result.elapsedMs / 1000).toFixed(1)} s\n`);
  for (const [k, n] of Object.entries(result.kills).sort()) process.stdout.write(`  ${k.padEnd(20)} ${n}\n`);
  process.stdout.write(`  restarts: hub ${result.restarts.hub}, agent ${result.restarts.agent} (slowest ready in ${Math.round(result.maxRestartMs)} ms)\n`);
  process.stdout.write(`  checks: ${result.checks}, failed: ${result.failures.length}; CDR records confirmed before kills: ${result.cdrAppended}\n`);
  for (const f of result.failures) process.stdout.write(`  FAIL ${f}\n`);
  process.exitCode = result.failures.length === 0 ? 0 : 1;
}
