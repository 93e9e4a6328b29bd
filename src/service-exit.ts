/**
 * Which exits of `sbc-agent run` a service manager should restart after. A crash, a lost hub, a
 * replaced identity (21) all deserve a restart; some exits would only fail again the same way until
 * a person acts, and restarting them every few seconds floods the log and, for enrollment, the hub:
 * the command line (2), the configuration (3), a revoked SBC (15), no identity (18).
 * The systemd units list these in RestartPreventExitStatus=; WinSW cannot, so service-host.ts asks
 * this module and ends them as a clean stop.
 */
import { EXIT } from './cli/index.js';

export const FINAL_EXITS: ReadonlyMap<number, string> = new Map<number, string>([
  [EXIT.USAGE, 'the command line is wrong'],
  [EXIT.CONFIG, 'the configuration is invalid'],
  [EXIT.ENROLL_REVOKED, "this SBC was revoked by the hub's admin"],
  [EXIT.NOT_ENROLLED, "this agent is not enrolled: run 'sbc-agent setup'"],
]);

export interface ServiceExit {
  /** The exit code to report to the service wrapper: 0 means "stopped, do not restart". */
  readonly code: number;
  readonly restart: boolean;
  /** A line for the service log when the exit is not what the agent itself said. */
  readonly note?: string;
}

/** The service's exit for the agent's exit code (null with a signal: killed). */
export function serviceExit(code: number | null, signal: string | null = null): ServiceExit {
  if (code === null) return { code: 1, restart: true, note: `sbc-agent was ended by ${signal ?? 'a signal'}; restarting` };
  if (code === EXIT.OK) return { code: 0, restart: false };
  const why = FINAL_EXITS.get(code);
  if (why !== undefined) return { code: 0, restart: false, note: `sbc-agent exited ${code} (${why}); not restarting: fix the cause, then start the service again` };
  return { code, restart: true };
}
