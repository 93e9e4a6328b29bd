/**
 * Starting the agent as a service after `sbc-agent setup` enrolled it: a small interface over the
 * machine's service manager, so setup never knows which one it talks to and tests give it a fake.
 * systemd here; Windows (sc.exe + WinSW) in windows-service.ts; which one in service-detect.ts. Commands run without a shell, argv
 * as given, and their output is kept for the error message.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { SbcError } from '../core/index.js';

/** The agent's service, as the Debian package and the Windows installer name it. */
export const AGENT_SERVICE = 'sbc-agent';

export interface CommandResult {
  /** The exit code; null when the command could not be started or was killed. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Why it could not be started (ENOENT: not installed). */
  readonly startError?: string;
}

/** Runs argv[0] with the rest as its arguments; never rejects. */
export type CommandRunner = (argv: readonly string[]) => Promise<CommandResult>;

export interface ServiceManager {
  /** 'systemd' or 'windows', for messages. */
  readonly kind: string;
  readonly service: string;
  /** Makes the service start at boot and starts it now. Throws ServiceControlError. */
  enableAndStart(): Promise<void>;
}

/** A service manager command failed; `argv` is what ran, `result` what it said. */
export class ServiceControlError extends SbcError {
  constructor(
    readonly argv: readonly string[],
    readonly result: CommandResult | undefined,
    message?: string,
  ) {
    super('SBC_ERR_SERVICE', message ?? `'${argv.join(' ')}' failed: ${describeResult(result)}`);
  }
}

function describeResult(result: CommandResult | undefined): string {
  if (result === undefined) return 'not run';
  if (result.startError !== undefined) return `cannot run it (${result.startError})`;
  const said = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-3).join(' / ');
  return `exit ${String(result.code)}${said === '' ? '' : `: ${said}`}`;
}

export const runCommand: CommandRunner = (argv) =>
  new Promise((resolve) => {
    const [file, ...args] = argv;
    if (file === undefined) {
      resolve({ code: null, stdout: '', stderr: '', startError: 'empty command' });
      return;
    }
    execFile(file, args, { timeout: 120_000, windowsHide: true }, (error, stdout, stderr) => {
      if (error === null) return resolve({ code: 0, stdout, stderr });
      if (typeof error.code === 'string') return resolve({ code: null, stdout, stderr, startError: error.code });
      resolve({ code: typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });

/** `systemctl enable --now sbc-agent`: enabled for the next boot and started (or left running). */
export function systemdServiceManager(run: CommandRunner, service = AGENT_SERVICE): ServiceManager {
  return {
    kind: 'systemd',
    service,
    async enableAndStart() {
      const argv = ['systemctl', 'enable', '--now', service];
      const result = await run(argv);
      if (result.code !== 0) throw new ServiceControlError(argv, result);
    },
  };
}

export interface ServiceProbes {
  readonly run: CommandRunner;
  /** Whether a path exists. */
  readonly exists: (path: string) => Promise<boolean>;
}

export const realProbes: ServiceProbes = {
  run: runCommand,
  exists: (path) =>
    stat(path).then(
      () => true,
      () => false,
    ),
};
