/**
 * Noticing, in a running agent, that its identity was replaced on disk (`sbc-agent enroll --force`,
 * `setup --force`): the tunnel still runs on the old certificate, which the hub has retired or will
 * soon refuse. The agent's hub.json names the certificate it goes with and is the last file a
 * replacement moves into place (platform/file-set.ts), so a changed certificateFingerprint there
 * means the whole new identity is ready. Polled on the injected clock (a few hundred bytes every
 * 2 s) rather than fs.watch, which misses renames on some file systems and is not portable.
 */
import type { Clock, Timer } from './core/index.js';

export const IDENTITY_POLL_MS = 2000;

export interface ReplacedIdentity {
  readonly id: string;
  readonly name: string;
  readonly certificateFingerprint: string;
}

export interface IdentityWatchOptions {
  readonly clock: Clock;
  /** The agent's hub.json. */
  readonly path: string;
  /** The certificate fingerprint of the identity in use. */
  readonly fingerprint: string;
  /** Called once, when hub.json names another certificate; polling stops then. */
  readonly onReplaced: (now: ReplacedIdentity) => void;
  /** A file's bytes, undefined when it does not exist. */
  readonly read: (path: string) => Promise<Buffer | undefined>;
  readonly intervalMs?: number;
}

/** The SBC and certificate a hub.json names; undefined when it is not a readable record. */
export function identityOfRecord(bytes: Buffer): ReplacedIdentity | undefined {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || !('certificateFingerprint' in value) || typeof value.certificateFingerprint !== 'string') return undefined;
  const sbc = 'sbc' in value && typeof value.sbc === 'object' && value.sbc !== null ? value.sbc : {};
  const id = 'id' in sbc && typeof sbc.id === 'string' ? sbc.id : '?';
  const name = 'name' in sbc && typeof sbc.name === 'string' ? sbc.name : '?';
  return { id, name, certificateFingerprint: value.certificateFingerprint };
}

export class IdentityWatch {
  readonly #o: IdentityWatchOptions;
  #timer: Timer | undefined;
  #busy = false;
  #done = false;

  constructor(o: IdentityWatchOptions) {
    this.#o = o;
  }

  start(): void {
    if (this.#done || this.#timer !== undefined) return;
    this.#timer = this.#o.clock.setInterval(() => void this.check(), this.#o.intervalMs ?? IDENTITY_POLL_MS);
  }

  /** One look at hub.json (the timer's tick). A missing or unreadable file is not a replacement. */
  async check(): Promise<void> {
    if (this.#busy || this.#done) return;
    this.#busy = true;
    try {
      const bytes = await this.#o.read(this.#o.path).catch(() => undefined);
      const now = bytes === undefined ? undefined : identityOfRecord(bytes);
      if (now !== undefined && now.certificateFingerprint !== this.#o.fingerprint && !this.#done) {
        this.close();
        this.#o.onReplaced(now);
      }
    } finally {
      this.#busy = false;
    }
  }

  /** Stops polling. Idempotent. */
  close(): void {
    this.#done = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }
}
