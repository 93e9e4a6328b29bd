/** Starts a tunnel-peer.js process (optionally inside a network namespace) and talks JSON lines to it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonLineEvents } from './json-lines.js';

export const TUNNEL_PEER_JS = join(dirname(fileURLToPath(import.meta.url)), 'tunnel-peer.js');

export interface PeerEvent {
  readonly event: string;
  readonly t: number;
  readonly [key: string]: unknown;
}

export class PeerProcess {
  readonly child: ChildProcess;
  readonly events: PeerEvent[];
  readonly stderr: string[] = [];
  readonly #lines: JsonLineEvents<PeerEvent>;
  #exited = false;

  constructor(role: 'hub' | 'agent', args: readonly string[], netns?: string) {
    const argv = [TUNNEL_PEER_JS, role, ...args];
    this.child = netns === undefined
      ? spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn('ip', ['netns', 'exec', netns, process.execPath, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#lines = new JsonLineEvents<PeerEvent>(this.child.stdout as NodeJS.ReadableStream);
    this.events = this.#lines.events;
    this.child.stderr?.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    this.child.on('exit', () => {
      this.#exited = true;
    });
  }

  /** The first event (already seen or coming) that matches; rejects after timeoutMs. */
  waitFor(event: string, timeoutMs: number, match: (e: PeerEvent) => boolean = () => true, since = 0): Promise<PeerEvent> {
    return this.#lines.next((e) => e.event === event && match(e), timeoutMs, since,
      () => new Error(`no '${event}' within ${timeoutMs} ms; events: ${JSON.stringify(this.events.slice(-8))}; stderr: ${this.stderr.join('').slice(-2000)}`));
  }

  send(cmd: Record<string, unknown>): void {
    this.child.stdin?.write(`${JSON.stringify(cmd)}\n`);
  }

  /** Asks the peer to quit, then kills it by pid if it has not exited. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.send({ cmd: 'quit' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}
