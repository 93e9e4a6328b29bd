/**
 * A stand-in for systemd's notification socket: binds a unix datagram socket in a temporary
 * directory and records each datagram's assignments with the time it arrived, so a test can
 * point NOTIFY_SOCKET at it and wait for READY=1, count WATCHDOG=1, or see STOPPING=1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bindUnixDatagram, type UnixDatagramReceiver } from '../../src/net/index.js';

export interface Notification {
  /** performance.now() when it arrived. */
  readonly at: number;
  /** The datagram's assignments, e.g. ['READY=1', 'STATUS=...']. */
  readonly lines: readonly string[];
}

export class NotifySocket {
  readonly path: string;
  readonly received: Notification[] = [];
  readonly #dir: string;
  readonly #receiver: UnixDatagramReceiver;
  #waiters: Array<() => void> = [];

  constructor() {
    this.#dir = mkdtempSync(join(tmpdir(), 'sbc-notify-'));
    this.path = join(this.#dir, 'notify');
    this.#receiver = bindUnixDatagram(this.path, (data) => {
      this.received.push({ at: performance.now(), lines: data.toString('utf8').split('\n').filter((l) => l !== '') });
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  /** Notifications that carry `assignment` (e.g. 'WATCHDOG=1'). */
  with(assignment: string): Notification[] {
    return this.received.filter((n) => n.lines.includes(assignment));
  }

  /** Resolves with the first notification (at or after index `from`) that `match` accepts. */
  async waitFor(match: (n: Notification) => boolean, timeoutMs: number, from = 0): Promise<Notification> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.received.slice(from).find(match);
      if (found !== undefined) return found;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no matching notification within ${timeoutMs} ms; got ${JSON.stringify(this.received.map((n) => n.lines))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.#receiver.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
