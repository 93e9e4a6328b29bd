/** Starts sbc-node.js processes (agent or hub, optionally in a network namespace) and talks JSON lines to them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export const SBC_NODE_JS = join(dirname(fileURLToPath(import.meta.url)), 'sbc-node.js');

export interface NodeEvent {
  readonly event: string;
  readonly [key: string]: unknown;
}

export class SbcNode {
  readonly child: ChildProcess;
  readonly events: NodeEvent[] = [];
  readonly stderr: string[] = [];
  #waiters: Array<{ match: (e: NodeEvent) => boolean; resolve: (e: NodeEvent) => void }> = [];

  constructor(role: 'hub' | 'agent', config: object, netns?: string) {
    const argv = [SBC_NODE_JS, role, JSON.stringify(config)];
    const env = { ...process.env };
    this.child = netns === undefined
      ? spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'pipe'], env })
      : spawn('ip', ['netns', 'exec', netns, process.execPath, ...argv], { stdio: ['pipe', 'pipe', 'pipe'], env });
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let e: NodeEvent;
      try {
        e = JSON.parse(line) as NodeEvent;
      } catch {
        return;
      }
      this.events.push(e);
      for (const w of [...this.#waiters]) {
        if (w.match(e)) {
          this.#waiters = this.#waiters.filter((x) => x !== w);
          w.resolve(e);
        }
      }
    });
    this.child.stderr?.on('data', (d: Buffer) => this.stderr.push(d.toString()));
  }

  waitFor(event: string, timeoutMs = 10_000, since = 0): Promise<NodeEvent> {
    const seen = this.events.slice(since).find((e) => e.event === event || e.event === 'fatal');
    if (seen !== undefined) return seen.event === 'fatal' ? Promise.reject(new Error(JSON.stringify(seen))) : Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = {
        match: (e: NodeEvent) => e.event === event || e.event === 'fatal',
        resolve: (e: NodeEvent) => {
          clearTimeout(timer);
          if (e.event === 'fatal') reject(new Error(JSON.stringify(e)));
          else resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        reject(new Error(`no ${event} within ${timeoutMs} ms; stderr: ${this.stderr.join('').slice(-2000)}`));
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  /** Sends a command and waits for the event of the same name. */
  async ask(cmd: string, timeoutMs = 5000): Promise<NodeEvent> {
    const since = this.events.length;
    this.child.stdin?.write(`${JSON.stringify({ cmd })}\n`);
    return this.waitFor(cmd, timeoutMs, since);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin?.write(`${JSON.stringify({ cmd: 'quit' })}\n`);
    const t = setTimeout(() => { if (this.child.pid !== undefined && this.child.exitCode === null) process.kill(this.child.pid, 'SIGKILL'); }, 3000);
    await exited;
    clearTimeout(t);
  }
}
