/**
 * Running a real peer (Kamailio, SIPp) for an end-to-end test: start the process, collect its
 * output, wait until it answers, stop it by pid (SIGTERM, then SIGKILL after a grace period).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PeerProcess {
  readonly pid: number;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** SIGTERM (or `signal`), then SIGKILL after `graceMs`; resolves when it is gone. Idempotent. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export function startPeer(command: string, args: readonly string[], cwd: string): PeerProcess {
  const child: ChildProcess = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`cannot start ${command}`);
  const pid = child.pid;
  const chunks: Buffer[] = [];
  let size = 0;
  const keep = (chunk: Buffer): void => {
    // Bounded: a chatty peer must not fill the test's memory.
    if (size < 4_000_000) chunks.push(chunk);
    size += chunk.length;
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (error) => resolve(error.message));
  });
  let stopping: Promise<void> | undefined;
  return {
    pid,
    output: () => Buffer.concat(chunks).toString('utf8'),
    exited,
    stop(signal = 'SIGTERM', graceMs = 3000) {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        try {
          process.kill(pid, signal);
        } catch {
          return;
        }
        const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
        if (!done) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            return;
          }
          await exited;
        }
      })();
      return stopping;
    },
  };
}

/** Polls `probe` until it returns true or `timeoutMs` passes; throws with `what` on timeout. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 10_000, everyMs = 100): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A fresh temporary directory and its remover. */
export function tempDir(prefix: string): { readonly path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `sbc-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
