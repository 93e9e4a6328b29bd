/**
 * Running SIPp (Debian's sip-tester) as a load client against our stack: a built-in scenario,
 * bounded in calls and time, from a temporary directory, its stats CSV read back.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPeer, tempDir } from './real-peer.js';

export interface SippRunOptions {
  /** host:port of our UAS. */
  readonly remote: string;
  /** SIPp's own port (fixed: it is written into its Via and Contact). */
  readonly localPort: number;
  /** `u1` (UDP, one socket) or `t1` (TCP, one connection). */
  readonly transport: 'u1' | 't1';
  readonly calls: number;
  /** Calls per second. */
  readonly rate: number;
  /** Call hold time before BYE, ms. */
  readonly holdMs: number;
  /** SIPp's global timeout, s: the run never lasts longer. */
  readonly timeoutS: number;
  readonly scenario?: string;
}

export interface SippResult {
  /** SIPp's exit code: 0 all calls ok, 1 some failed; 97 internal exit, 99 no calls, -1/-2 fatal. */
  readonly exitCode: number | string;
  readonly successful: number;
  readonly failed: number;
  /** CallRate(C): the average call rate over the run, calls/s. */
  readonly callRate: number;
  readonly elapsedS: number;
  readonly output: string;
}

/** The last row of SIPp's `;`-separated stats CSV as a column → value map. */
export function lastStatsRow(csv: string): Map<string, string> {
  const lines = csv.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(';');
  const row = (lines[lines.length - 1] ?? '').split(';');
  return new Map(header.map((name, i) => [name, row[i] ?? '']));
}

export async function runSippUac(o: SippRunOptions): Promise<SippResult> {
  const dir = tempDir('sipp');
  const started = performance.now();
  try {
    const args = [
      '-sn', o.scenario ?? 'uac', o.remote, '-i', '127.0.0.1', '-p', String(o.localPort), '-t', o.transport,
      '-m', String(o.calls), '-r', String(o.rate), '-d', String(o.holdMs), '-l', String(Math.max(10, o.rate * 5)),
      '-nostdin', '-timeout', `${o.timeoutS}s`, '-timeout_error', '-trace_stat', '-fd', '1', '-trace_screen', '-trace_err',
    ];
    const peer = startPeer('sipp', args, dir.path);
    // -timeout bounds the run but does not end calls that are stuck: this guard sends SIGUSR1 (a
    // soft quit), then SIGKILL.
    const guard = setTimeout(() => void peer.stop('SIGUSR1', 2000).then(() => peer.stop('SIGKILL', 1000)), (o.timeoutS + 10) * 1000);
    const exitCode = await peer.exited;
    clearTimeout(guard);
    const elapsedS = (performance.now() - started) / 1000;
    const csvName = readdirSync(dir.path).find((f) => f.endsWith('_.csv'));
    const stats = csvName === undefined ? new Map<string, string>() : lastStatsRow(readFileSync(join(dir.path, csvName), 'utf8'));
    const screen = readdirSync(dir.path).filter((f) => f.endsWith('_screen.log') || f.endsWith('_errors.log'))
      .map((f) => readFileSync(join(dir.path, f), 'utf8').slice(-3000)).join('\n');
    return {
      exitCode,
      successful: Number(stats.get('SuccessfulCall(C)') ?? Number.NaN),
      failed: Number(stats.get('FailedCall(C)') ?? Number.NaN),
      callRate: Number(stats.get('CallRate(C)') ?? Number.NaN),
      elapsedS,
      output: `${peer.output().slice(-3000)}\n${screen}`,
    };
  } finally {
    dir.remove();
  }
}
