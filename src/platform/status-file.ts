/**
 * The status file: a running hub or agent rewrites `<state-dir>/<role>/status.json` every second;
 * `sbc-agent status` reads it. A file whose writer is gone, or older than STALE_AFTER_MS, is
 * reported as "not running".
 */
import { unlink } from 'node:fs/promises';
import type { Clock, Timer } from '../core/index.js';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';

export const STATUS_INTERVAL_MS = 1000;
export const STALE_AFTER_MS = 5000;

export type Role = 'hub' | 'agent';

export interface DirectionStats {
  readonly bytes: number;
  readonly frames: number;
}

/** One tunnel as seen from this side (the agent has at most one; the hub one per agent). */
export interface TunnelStatus {
  /** 'connecting' | 'up' | 'resuming' | 'down' ... as the tunnel session names its states. */
  readonly state: string;
  /** The other end: the hub's address on the agent, the SBC name on the hub. */
  readonly peer: string;
  readonly carriage?: 'tls' | 'wss';
  readonly rttMs?: number;
  readonly uptimeMs?: number;
  readonly reconnects?: number;
  readonly sent?: DirectionStats;
  readonly received?: DirectionStats;
  readonly droppedDatagrams?: number;
}

export interface ListenerStatus {
  readonly name: string;
  readonly address: string;
  readonly port: number;
}

export interface StatusDocument {
  readonly version: 1;
  readonly role: Role;
  readonly pid: number;
  /** ISO 8601 times. */
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly listeners: readonly ListenerStatus[];
  readonly tunnels: readonly TunnelStatus[];
  /** What else the process runs, by part (the agent: mode, lans, pnp, stun, nat, registrations, calls). */
  readonly parts?: Readonly<Record<string, unknown>>;
}

/** Rewrites the status file every second from `snapshot()`; `close()` removes it. */
export class StatusPublisher {
  readonly #clock: Clock;
  readonly #path: string;
  readonly #snapshot: () => StatusDocument;
  readonly #onError: (error: unknown) => void;
  #timer: Timer | undefined;
  #writing: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(clock: Clock, path: string, snapshot: () => StatusDocument, onError: (error: unknown) => void) {
    this.#clock = clock;
    this.#path = path;
    this.#snapshot = snapshot;
    this.#onError = onError;
  }

  get path(): string {
    return this.#path;
  }

  async start(): Promise<void> {
    await this.publish();
    this.#timer = this.#clock.setInterval(() => void this.publish(), STATUS_INTERVAL_MS);
  }

  /** Writes the current snapshot now (writes are serialized so an older one never lands last). */
  publish(): Promise<void> {
    if (this.#closed) return this.#writing;
    this.#writing = this.#writing
      .then(() => writeFileAtomic(this.#path, `${JSON.stringify(this.#snapshot(), null, 2)}\n`, { durable: false }))
      .catch((error: unknown) => this.#onError(error));
    return this.#writing;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer?.cancel();
    await this.#writing;
    await unlink(this.#path).catch(() => undefined);
  }
}

export type StatusReading =
  | { readonly running: true; readonly status: StatusDocument }
  | { readonly running: false; readonly reason: 'absent' | 'stale' | 'unreadable'; readonly status?: StatusDocument };

function isStatusDocument(value: unknown): value is StatusDocument {
  return (
    typeof value === 'object' &&
    value !== null &&
    'version' in value &&
    value.version === 1 &&
    'role' in value &&
    (value.role === 'hub' || value.role === 'agent') &&
    'pid' in value &&
    typeof value.pid === 'number' &&
    'updatedAt' in value &&
    typeof value.updatedAt === 'string' &&
    'listeners' in value &&
    Array.isArray(value.listeners) &&
    'tunnels' in value &&
    Array.isArray(value.tunnels)
  );
}

/** Reads a status file and says whether its writer is alive and recent. */
export async function readStatusFile(path: string, wallNow: number): Promise<StatusReading> {
  const bytes = await readFileIfExists(path).catch(() => undefined);
  if (bytes === undefined) return { running: false, reason: 'absent' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { running: false, reason: 'unreadable' };
  }
  if (!isStatusDocument(parsed)) return { running: false, reason: 'unreadable' };
  const age = wallNow - Date.parse(parsed.updatedAt);
  if (!(age <= STALE_AFTER_MS)) return { running: false, reason: 'stale', status: parsed };
  return { running: true, status: parsed };
}
