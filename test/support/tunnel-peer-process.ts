/** Starts a tunnel-peer.js process (optionally inside a network namespace) and talks JSON lines to it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export const TUNNEL_PEER_JS = join(dirname(fileURLToPath(import.meta.url)), 'tunnel-peer.js');

export interface PeerEvent {
  readonly event: string;
  readonly t: number;
  readonly [key: string]: unknown;
}

export class PeerProcess {
  readonly child: ChildProcess;
  readonly events: PeerEvent[] = [];
  readonly stderr: string[] = [];
  #waiters: Array<{ match: (e: PeerEvent) => boolean; resolve: (e: PeerEvent) => void }> = [];
  #exited = false;

  constructor(role: 'hub' | 'agent', args: readonly string[], netns?: string) {
    const argv = [TUNNEL_PEER_JS, role, ...args];
    this.child = netns === undefined
      ? spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn('ip', ['netns', 'exec', netns, process.execPath, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let e: PeerEvent;
      try {
        e = JSON.parse(line) as PeerEvent;
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
    this.child.on('exit', () => {
      this.#exited = true;
    });
  }

  /** The first event (already seen or coming) that matches; rejects after timeoutMs. */
  waitFor(event: string, timeoutMs: number, match: (e: PeerEvent) => boolean = () => true, since = 0): Promise<PeerEvent> {
    const seen = this.events.slice(since).find((e) => e.event === event && match(e));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { match: (e: PeerEvent) => e.event === event && match(e), resolve: (e: PeerEvent) => {
        clearTimeout(timer);
        resolve(e);
      } };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== waiter);
        reject(new Error(`no '${event}' within ${timeoutMs} ms; events: ${JSON.stringify(this.events.slice(-8))}; stderr: ${this.stderr.join('').slice(-2000)}`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
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
