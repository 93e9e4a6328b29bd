/**
 * The RTP the agent sends to a phone's ports, with each packet's capture time, seen by tshark in
 * the phone's namespace: how soon a call's audio is back after a WAN outage (issue 12). tshark is
 * started well before the moment that matters, since it takes seconds to start capturing on a
 * loaded machine.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class RtpWatch {
  readonly #proc: ChildProcess;
  #captured = '';

  private constructor(proc: ChildProcess) {
    this.#proc = proc;
    proc.stdout?.on('data', (d: Buffer) => (this.#captured += d.toString()));
  }

  /** Capturing on `dev` in `netns` what `from` sends to `to`'s `ports`; resolves once tshark captures. */
  static async start(o: { readonly netns: string; readonly dev: string; readonly from: string; readonly to: string; readonly ports: readonly [number, number]; readonly startMs: number }): Promise<RtpWatch> {
    const filter = `udp and src host ${o.from} and dst host ${o.to} and dst portrange ${o.ports[0]}-${o.ports[1]}`;
    const proc = spawn('ip', ['netns', 'exec', o.netns, 'tshark', '-i', o.dev, '-l', '-n', '-f', filter, '-T', 'fields', '-e', 'frame.time_epoch'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const watch = new RtpWatch(proc);
    let err = '';
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const deadline = Date.now() + o.startMs;
    while (!/Capturing on/.test(err)) {
      if (Date.now() >= deadline || proc.exitCode !== null) {
        watch.stop();
        assert.fail(`tshark started within ${o.startMs} ms: ${err}`);
      }
      await sleep(50);
    }
    return watch;
  }

  /** Capture times (epoch ms) so far. */
  times(): number[] {
    return this.#captured.split('\n').map((l) => Number(l.trim()) * 1000).filter((t) => Number.isFinite(t) && t > 0);
  }

  /** The first packet at or after `at` (epoch ms), waiting up to `timeoutMs`; undefined when none came. */
  async firstAfter(at: number, timeoutMs: number): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const first = this.times().find((t) => t >= at);
      if (first !== undefined || Date.now() >= deadline) return first;
      await sleep(100);
    }
  }

  /** Idempotent. */
  stop(): void {
    if (this.#proc.exitCode === null && this.#proc.signalCode === null) this.#proc.kill('SIGINT');
  }
}
