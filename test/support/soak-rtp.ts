/**
 * RTP arriving at each end of the soak's calls (bench/soak.ts), and when it is back after a WAN
 * cut. Packets into the SIPp media ports are counted by an nftables counter in each end's
 * namespace (the table `inet soak` made by the soak), read through one `nft -i -j` process per
 * namespace: a read is a line written to it and a line back (about 0.5 ms), where a fresh
 * `ip netns exec nft` per read took 20–50 ms on the loaded machine, blocked the soak's event loop
 * for most of each 100 ms period and was time-stamped before it ran, so the rates of single
 * periods were off by tens of percent. Each count now carries the time it was read.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** Audio is back when a direction carries this share of its rate before the first flap. */
export const BACK_SHARE = 0.9;

/** One read of both ends' counters, each with the time (ms from the soak's start) it came back. */
export interface RtpSample {
  readonly callerAt: number;
  readonly caller: number;
  readonly calledAt: number;
  readonly called: number;
}

export interface Rates {
  readonly caller: number;
  readonly called: number;
}

/** A persistent `nft -i -j` in a namespace, asked for the packet count of table `inet soak`. */
export class NftCounter {
  readonly #child: ChildProcess;
  #buffer = '';
  readonly #waiting: ((line: string) => void)[] = [];

  constructor(ns: string) {
    this.#child = spawn('ip', ['netns', 'exec', ns, 'nft', '-i', '-j'], { stdio: ['pipe', 'pipe', 'ignore'] });
    this.#child.stdout?.on('data', (d: Buffer) => {
      this.#buffer += d.toString();
      let nl: number;
      while ((nl = this.#buffer.indexOf('\n')) >= 0) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        if (line.includes('"nftables"')) this.#waiting.shift()?.(line);
      }
    });
  }

  /** Packets counted so far and when the answer came (performance.now()). */
  read(): Promise<{ packets: number; at: number }> {
    return new Promise((resolve, reject) => {
      if (this.#child.exitCode !== null || this.#child.stdin === null) return reject(new Error('nft is not running'));
      this.#waiting.push((line) => resolve({ packets: Number(/"packets":\s*(\d+)/.exec(line)?.[1] ?? Number.NaN), at: performance.now() }));
      this.#child.stdin.write('list table inet soak\n');
    });
  }

  close(): void {
    this.#child.stdin?.end();
    if (this.#child.exitCode === null) this.#child.kill();
  }
}

/** Packets/s of each direction between samples i-1 and i, each over its own read times. */
export function rateAt(samples: readonly RtpSample[], i: number): Rates {
  const a = samples[i - 1];
  const b = samples[i];
  if (a === undefined || b === undefined) return { caller: 0, called: 0 };
  const per = (n: number, ms: number): number => (ms > 0 ? (n * 1000) / ms : 0);
  return { caller: per(b.caller - a.caller, b.callerAt - a.callerAt), called: per(b.called - a.called, b.calledAt - a.calledAt) };
}

/** Mean packets/s over the samples read in [from, to). */
export function rateOver(samples: readonly RtpSample[], from: number, to: number): Rates {
  const inside = samples.filter((s) => s.callerAt >= from && s.callerAt < to);
  const a = inside[0];
  const b = inside.at(-1);
  if (a === undefined || b === undefined || b === a) return { caller: 0, called: 0 };
  return rateAt([a, b], 1);
}

/**
 * ms from `upAt` to the start of the first period (starting at or after `upAt`, before `until`)
 * where both directions carry BACK_SHARE of `baseline`; Infinity when there is none.
 */
export function audioBack(samples: readonly RtpSample[], upAt: number, until: number, baseline: Rates): number {
  return firstPeriod(samples, upAt, until, (r) => r.caller >= baseline.caller * BACK_SHARE && r.called >= baseline.called * BACK_SHARE);
}

/** ms from `upAt` to the start of the first period where both directions carry any packet at all. */
export function firstPackets(samples: readonly RtpSample[], upAt: number, until: number): number {
  return firstPeriod(samples, upAt, until, (r) => r.caller > 0 && r.called > 0);
}

function firstPeriod(samples: readonly RtpSample[], upAt: number, until: number, back: (r: Rates) => boolean): number {
  for (let i = 1; i < samples.length; i++) {
    const s = samples[i - 1];
    if (s === undefined || Math.min(s.callerAt, s.calledAt) < upAt) continue;
    if (s.callerAt >= until) break;
    if (back(rateAt(samples, i))) return Math.min(s.callerAt, s.calledAt) - upAt;
  }
  return Number.POSITIVE_INFINITY;
}
