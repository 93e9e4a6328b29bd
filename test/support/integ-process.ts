/**
 * Processes for the integration tests of the hub, the agent and the demo: the `sbc-agent` program
 * built next to the tests (dist/ or any dist-NAME/), run to completion or kept running, and the
 * test peers (integ-hub.js, integ-agent.js) that report JSON lines on stdout and take commands on
 * stdin. Every process started here is ended by its pid.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { JsonLineEvents } from './json-lines.js';

/** The program built beside this file. */
export const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
export const INTEG_HUB_JS = fileURLToPath(new URL('./integ-hub.js', import.meta.url));
export const INTEG_AGENT_JS = fileURLToPath(new URL('./integ-agent.js', import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `sbc-agent ARGS` to completion. */
export function runCli(args: readonly string[], timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [MAIN, ...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
    child.stdin?.end();
  });
}

/** A long-running process (`sbc-agent hub`, `sbc-agent agent`) whose output is watched. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  #watchers: Array<() => void> = [];

  /** With `netns`, the process runs inside that network namespace (`ip netns exec` execs it: the pid is the program's). */
  constructor(args: readonly string[], script = MAIN, netns?: string, env: NodeJS.ProcessEnv = process.env) {
    this.child = netns === undefined
      ? spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env })
      : spawn('ip', ['netns', 'exec', netns, process.execPath, script, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.child.stdout?.on('data', (d: Buffer) => {
      this.stdout += d.toString();
      for (const w of [...this.#watchers]) w();
    });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      for (const w of [...this.#watchers]) w();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => {
      for (const w of [...this.#watchers]) w();
      resolve(code);
    }));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first match of `pattern` in stdout (already there or coming); rejects after timeoutMs or at exit. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = pattern.exec(this.stdout);
        if (m !== null) return finish(() => resolve(m));
        if (!this.running) finish(() => reject(new Error(`exited (${String(this.child.exitCode)}) without ${String(pattern)}; stdout: ${this.stdout}; stderr: ${this.stderr.slice(-2000)}`)));
      };
      const finish = (then: () => void): void => {
        clearTimeout(timer);
        this.#watchers = this.#watchers.filter((w) => w !== check);
        then();
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`no ${String(pattern)} within ${timeoutMs} ms; stdout: ${this.stdout}; stderr: ${this.stderr.slice(-2000)}`))), timeoutMs);
      this.#watchers.push(check);
      check();
    });
  }

  /** The exit code; rejects if the process is still running after timeoutMs. */
  exitWithin(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms; stdout: ${this.stdout}; stderr: ${this.stderr.slice(-2000)}`)), timeoutMs);
    });
    return Promise.race([this.exited, late]).finally(() => clearTimeout(timer));
  }

  /** Waits until stderr (from offset `since`) matches `pattern` (log lines). */
  async waitForStderr(pattern: RegExp, timeoutMs: number, since = 0): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.stderr.slice(since))) {
      if (Date.now() > deadline) throw new Error(`no ${String(pattern)} on stderr within ${timeoutMs} ms: ${this.stderr.slice(since, since + 2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGTERM, then SIGKILL after 5 s; resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.running) this.child.kill(signal);
    const timer = setTimeout(() => {
      if (this.running) this.child.kill('SIGKILL');
    }, 5000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

export interface PeerEvent {
  readonly event: string;
  readonly [key: string]: unknown;
}

/** A test peer: JSON lines out, JSON commands in. */
export class JsonPeer {
  readonly process: CliProcess;
  readonly events: PeerEvent[];
  readonly #lines: JsonLineEvents<PeerEvent>;

  constructor(script: string, args: readonly string[]) {
    this.process = new CliProcess(args, script);
    this.#lines = new JsonLineEvents<PeerEvent>(this.process.child.stdout as NodeJS.ReadableStream);
    this.events = this.#lines.events;
  }

  waitFor(event: string, timeoutMs: number, since = 0): Promise<PeerEvent> {
    return this.#lines.next((e) => e.event === event, timeoutMs, since,
      () => new Error(`no '${event}' within ${timeoutMs} ms; events: ${JSON.stringify(this.events.slice(-8))}; stderr: ${this.process.stderr.slice(-2000)}`));
  }

  send(cmd: Record<string, unknown>): void {
    this.process.child.stdin?.write(`${JSON.stringify(cmd)}\n`);
  }

  /** Asks the peer to quit; SIGTERM/SIGKILL by pid if it does not. */
  async stop(): Promise<void> {
    if (!this.process.running) return;
    this.send({ cmd: 'quit' });
    const timer = setTimeout(() => void this.process.stop(), 3000);
    await this.process.exited;
    clearTimeout(timer);
  }
}

/** A loopback TCP port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address !== 'object') throw new Error('no port');
  return address.port;
}

/** `sbc-agent status --json` for a state directory. */
export async function statusJson(stateDir: string): Promise<StatusJson> {
  const r = await runCli(['status', '--json', '--state-dir', stateDir]);
  if (r.code !== 0) throw new Error(`status exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as StatusJson;
}

export interface TunnelJson {
  readonly state: string;
  readonly peer: string;
  readonly carriage?: string;
  readonly rttMs?: number;
  readonly uptimeMs?: number;
  readonly reconnects?: number;
  readonly sent?: { bytes: number; frames: number };
  readonly received?: { bytes: number; frames: number };
  readonly droppedDatagrams?: number;
}

interface RolePart {
  readonly running: boolean;
  readonly tunnels?: readonly TunnelJson[];
  readonly listeners?: readonly { name: string; address: string; port: number }[];
}

export interface StatusJson {
  readonly stateDir: string;
  readonly hub: (RolePart & { sbcs: Record<string, number> }) | null;
  readonly agent: (RolePart & { sbc: { id: string; name: string } }) | null;
}

/** Polls `status --json` until `ok` holds for it (the status files are rewritten every second). */
export async function statusUntil(stateDir: string, ok: (s: StatusJson) => boolean, timeoutMs: number): Promise<StatusJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await statusJson(stateDir);
    if (ok(s) || Date.now() > deadline) return s;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
