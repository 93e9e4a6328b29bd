/** Starts sbc-node.js processes (agent or hub, optionally in a network namespace) and talks JSON lines to them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonLineEvents } from './json-lines.js';

export const SBC_NODE_JS = join(dirname(fileURLToPath(import.meta.url)), 'sbc-node.js');

export interface NodeEvent {
  readonly event: string;
  readonly [key: string]: unknown;
}

export class SbcNode {
  readonly child: ChildProcess;
  readonly events: NodeEvent[];
  readonly stderr: string[] = [];
  readonly #lines: JsonLineEvents<NodeEvent>;

  constructor(role: 'hub' | 'agent', config: object, netns?: string) {
    // SBC_NODE_FLAGS: node flags for the hub and agent processes, e.g. '--cpu-prof --cpu-prof-dir=/tmp/p' (not allowed in NODE_OPTIONS).
    const argv = [...(process.env['SBC_NODE_FLAGS']?.split(' ').filter((f) => f !== '') ?? []), SBC_NODE_JS, role, JSON.stringify(config)];
    const env = { ...process.env };
    this.child = netns === undefined
      ? spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'pipe'], env })
      : spawn('ip', ['netns', 'exec', netns, process.execPath, ...argv], { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.#lines = new JsonLineEvents<NodeEvent>(this.child.stdout as NodeJS.ReadableStream);
    this.events = this.#lines.events;
    this.child.stderr?.on('data', (d: Buffer) => this.stderr.push(d.toString()));
  }

  /** The named event, or a rejection as soon as a `fatal` event is seen. */
  waitFor(event: string, timeoutMs = 10_000, since = 0): Promise<NodeEvent> {
    return this.#lines
      .next((e) => e.event === event || e.event === 'fatal', timeoutMs, since,
        () => new Error(`no ${event} within ${timeoutMs} ms; stderr: ${this.stderr.join('').slice(-2000)}`))
      .then((e) => {
        if (e.event === 'fatal') throw new Error(JSON.stringify(e));
        return e;
      });
  }

  /** Sends a command and waits for the event of the same name. */
  async ask(cmd: string, timeoutMs = 5000): Promise<NodeEvent> {
    const since = this.events.length;
    this.child.stdin?.write(`${JSON.stringify({ cmd })}\n`);
    return this.waitFor(cmd, timeoutMs, since);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null || this.child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin?.write(`${JSON.stringify({ cmd: 'quit' })}\n`);
    const t = setTimeout(() => { if (this.child.pid !== undefined && this.child.exitCode === null) process.kill(this.child.pid, 'SIGKILL'); }, 3000);
    await exited;
    clearTimeout(t);
  }
}
