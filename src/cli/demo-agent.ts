/**
 * The demo's agent: `sbc-agent run` itself, as a child process of `sbc-agent demo`, on an
 * agent.yaml the demo writes into its state directory. So the demo's agent is the agent a branch
 * runs (the same start-up checks, LAN listener, call path, tunnel and status file), not a
 * special path. Its stdout lines (`run: ...`) are passed on; its log (stderr) is kept to be shown
 * when it fails. Stopped with SIGINT, as Ctrl-C in a terminal would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PRIVATE_FILE_MODE, readStatusFile, writeFileAtomic, type TunnelStatus } from '../platform/index.js';
import { agentStatePaths } from '../tunnel/index.js';

/** How long a stopped agent gets to end its calls and tunnel before SIGKILL. */
const STOP_GRACE_MS = 5000;
const KEEP_LOG_CHARS = 8000;

export interface DemoAgentSettings {
  readonly listen: string;
  readonly sipPort: number;
  readonly mediaPorts: { readonly min: number; readonly max: number };
  /** Admin API and status page port; undefined: none. */
  readonly adminPort: number | undefined;
  readonly logLevel: string;
}

/** agent.yaml of the demo: one LAN (the loopback address), outbound proxy toward the hub's PBX, no plug-and-play. */
export function demoAgentYaml(s: DemoAgentSettings): string {
  return `# Written by 'sbc-agent demo' at each start: the demo's agent ('sbc-agent run --config' this file).
log:
  level: ${s.logLevel}
agent:
  lan: [${s.listen}]
  sip: { port: ${s.sipPort} }
  media: { ports: { min: ${s.mediaPorts.min}, max: ${s.mediaPorts.max} } }
  calls: pbx
  stun: { port: 0 }
  pnp: { policy: 'off', provisioning: 'off' }
  admin: ${s.adminPort === undefined ? '{ enabled: false }' : `{ listen: [${s.listen}], port: ${s.adminPort} }`}
`;
}

export class DemoAgent {
  readonly #child: ChildProcess;
  readonly #exited: Promise<number>;
  #log = '';

  private constructor(child: ChildProcess, onLine: (line: string) => void) {
    this.#child = child;
    let pending = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.#log = (this.#log + chunk).slice(-KEEP_LOG_CHARS);
    });
    // 'close', not 'exit': its last stdout lines ("run: stopped") are passed on before the demo goes on.
    this.#exited = new Promise((resolve) => child.once('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128))));
  }

  /** Writes `<stateDir>/agent.yaml` and starts `sbc-agent run` on it. */
  static async start(stateDir: string, settings: DemoAgentSettings, onLine: (line: string) => void): Promise<DemoAgent> {
    const config = join(stateDir, 'agent.yaml');
    await writeFileAtomic(config, demoAgentYaml(settings), { mode: PRIVATE_FILE_MODE });
    const main = fileURLToPath(new URL('../main.js', import.meta.url));
    const child = spawn(process.execPath, [main, 'run', '--config', config, '--state-dir', stateDir], { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    return new DemoAgent(child, onLine);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Resolves with the exit code when the agent ends. */
  get exited(): Promise<number> {
    return this.#exited;
  }

  /** The end of its log (stderr), for a failure message. */
  get log(): string {
    return this.#log;
  }

  /** Its tunnel as its status file shows it; undefined while it has none. */
  async tunnel(stateDir: string): Promise<TunnelStatus | undefined> {
    const reading = await readStatusFile(agentStatePaths(stateDir).status, Date.now()).catch(() => undefined);
    return reading?.running === true ? reading.status.tunnels[0] : undefined;
  }

  /** SIGINT (stop at once), then SIGKILL if it is still there after the grace time. Idempotent. */
  async stop(): Promise<number> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGINT');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), STOP_GRACE_MS);
      try {
        return await this.#exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return this.#exited;
  }
}
