/**
 * The survival part of a running agent's status (`sbc-agent status --json`), for the survival
 * end-to-end tests: read once, or polled until a condition holds. `since` is the agent's own time
 * of its last mode change (its status file is written once a second, so it is the time to measure
 * takeover and failback by).
 */
import { runCli } from './integ-process.js';

export interface SurvivalStatus {
  readonly mode: string;
  readonly since: number;
  readonly reason: string;
  readonly tunnel: string;
  readonly pbx: string;
  readonly survivalCalls: number;
  readonly waitingFor?: string;
  readonly transitions: number;
}

export async function survivalStatus(stateDir: string): Promise<SurvivalStatus | undefined> {
  const r = await runCli(['status', '--json', '--state-dir', stateDir]);
  if (r.code !== 0) return undefined;
  return (JSON.parse(r.stdout) as { agent: { parts?: { survival?: SurvivalStatus } } }).agent.parts?.survival;
}

/** Polls every 100 ms until `ok`; the error names `what`, the last status and `context()` (the agent's log). */
export async function survivalUntil(stateDir: string, what: string, ok: (s: SurvivalStatus) => boolean, timeoutMs: number, context: () => string): Promise<SurvivalStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await survivalStatus(stateDir);
    if (s !== undefined && ok(s)) return s;
    if (Date.now() > deadline) throw new Error(`${what} not reached: ${JSON.stringify(s)}\nagent: ${context()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The mode transitions the agent logged (`"msg":"mode <to>"` lines of its survival component), in order. */
export function loggedTransitions(stderr: string): { readonly at: number; readonly from: string; readonly to: string; readonly reason: string }[] {
  return stderr.split('\n').flatMap((line) => {
    if (!line.includes('"component":"survival"') || !/"msg":"mode /.test(line)) return [];
    const o = JSON.parse(line) as { time: string; from: string; to: string; reason: string };
    return [{ at: Date.parse(o.time), from: o.from, to: o.to, reason: o.reason }];
  });
}
