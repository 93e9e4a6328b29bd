/**
 * Helpers for the STUN end-to-end tests: run a program to completion, start a long-running one
 * and wait for a line of its output, stop it by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { realClock } from '../../src/core/index.js';
import { bindUdp } from '../../src/net/index.js';
import { StunClient, StunTimeoutError } from '../../src/stun/index.js';

/** The program built beside this test (dist/ or dist-NAME/). */
export const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(command: string, args: readonly string[], timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Started {
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts a process and resolves once `ready` matches its stdout or stderr. */
export function start(command: string, args: readonly string[], ready: RegExp, timeoutMs = 15_000): Promise<Started> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started: Started = {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void started.stop();
      reject(new Error(`${command} not ready after ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (d: Buffer): void => {
      output += d.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve(started);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code}) before ready:\n${output}`));
    });
  });
}

/** turnutils_natdiscovery's verdict words → our names. */
export function behaviourFromCoturn(output: string, kind: 'Mapping' | 'Filtering'): string | undefined {
  if (kind === 'Mapping' && /No NAT! \(Endpoint Independent Mapping\)/u.test(output)) return 'endpoint-independent';
  const match = new RegExp(`NAT with (Endpoint Independent|Address Dependent|Address and Port Dependent) ${kind}!`, 'u').exec(output);
  return match?.[1]?.toLowerCase().replaceAll(' ', '-');
}

/** Resolves once a STUN server answers a Binding request on address:port (at most `tries` × 500 ms). */
export async function waitForStun(address: string, port: number, tries = 20): Promise<void> {
  const socket = await bindUdp({ address: '0.0.0.0', port: 0 });
  const client = new StunClient({ socket, clock: realClock });
  try {
    for (let i = 0; i < tries; i++) {
      try {
        await client.request({ address, port }, { timeoutMs: 500 });
        return;
      } catch (error) {
        if (!(error instanceof StunTimeoutError)) throw error;
      }
    }
    throw new Error(`no STUN server answered on ${address}:${port}`);
  } finally {
    client.close();
    await socket.close();
  }
}
