/**
 * The protection of one running process (the agent's LAN SIP ports, the hub's enrollment
 * endpoint): the policy built from `agent.protection` / `hub.protection`, the blocks file read at
 * start (blocks survive a restart), each new block written to it, and the file watched so that
 * `sbc-agent blocks lift|deny` and `sbc-agent hub unlock` act on the running process.
 * Start: read the file → policy → watch; close() stops the watch and the sweep, and waits for the
 * last write. Idempotent.
 */
import { componentLogger, describeError, type Clock, type Logger } from './core/index.js';
import type { ProtectionConfig } from './config/index.js';
import { ProtectionGuard, ProtectionPolicy, type BlockEntry } from './protect/index.js';
import { BlocksFile, logBlock } from './blocks-file.js';

export interface ProtectionServiceOptions {
  readonly config: ProtectionConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The blocks file (agentBlocksPath / hubBlocksPath). */
  readonly file: string;
  /** Addresses never blocked besides the configured ones: the hub, for the agent. */
  readonly alwaysAllowed?: readonly string[];
  /** Loopback is never blocked (default true). */
  readonly allowLoopback?: boolean;
  /** Told when an entry of the file was lifted (the hub clears its enrollment lockout). */
  readonly onLift?: (address: string) => void;
}

export class ProtectionService {
  readonly guard: ProtectionGuard;
  readonly file: BlocksFile;
  readonly #o: ProtectionServiceOptions;
  readonly #log: Logger;
  readonly #onLift: (address: string) => void;
  #held: readonly BlockEntry[];
  #writes: Promise<unknown> = Promise.resolve();
  readonly #pending = new Map<string, BlockEntry>();
  #flushQueued = false;
  #stopWatch: () => void = () => {};
  #closed: Promise<void> | undefined;

  private constructor(o: ProtectionServiceOptions, file: BlocksFile, entries: BlockEntry[]) {
    this.#o = o;
    this.#log = componentLogger(o.logger, 'protect');
    this.file = file;
    this.#onLift = o.onLift ?? (() => {});
    this.#held = entries;
    this.guard = new ProtectionGuard(this.#policyFor(o.config));
    this.#stopWatch = file.watch(o.clock, (next) => this.#reloaded(next), (error) => this.#log.error({ err: describeError(error), file: file.path }, 'cannot read the blocks file; the blocks held stay'));
  }

  get policy(): ProtectionPolicy {
    return this.guard.policy;
  }

  #policyFor(config: ProtectionConfig): ProtectionPolicy {
    const o = this.#o;
    const policy = new ProtectionPolicy(config, o.clock, { alwaysAllowed: o.alwaysAllowed ?? [], ...(o.allowLoopback === undefined ? {} : { allowLoopback: o.allowLoopback }) });
    policy.replaceBlocks(this.#held);
    policy.onBlock((entry) => this.#persist(entry));
    policy.start();
    return policy;
  }

  /**
   * A configuration reload (SIGHUP): thresholds, levels, allow and deny lists apply from now on.
   * The blocks held stay; failures counted so far and rate buckets start again.
   */
  reconfigure(config: ProtectionConfig): void {
    const old = this.guard.policy;
    this.guard.usePolicy(this.#policyFor(config));
    old.close();
  }

  /** Reads the blocks file (a corrupt one stops the start, with the file named) and starts. */
  static async open(o: ProtectionServiceOptions): Promise<ProtectionService> {
    const file = new BlocksFile(o.file);
    const entries = await file.read();
    return new ProtectionService(o, file, entries);
  }

  /**
   * Writes new blocks to the file, batched: while one write (lock, read, atomic write) is under
   * way the blocks that come are collected and written together by the next, so a burst of blocks
   * costs a few writes, not one queued write each.
   */
  #persist(entry: BlockEntry): void {
    this.guard.noteBlock();
    logBlock(this.#log, entry);
    this.#held = [...this.#held.filter((e) => e.address !== entry.address), entry];
    this.#pending.set(entry.address, entry);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    this.#writes = this.#writes.then(async () => {
      this.#flushQueued = false;
      const batch = [...this.#pending.values()];
      this.#pending.clear();
      const now = this.#o.clock.wallNow();
      const replaced = new Set(batch.map((e) => e.address));
      await this.file.update((entries) => [...entries.filter((e) => !replaced.has(e.address) && (e.until === undefined || e.until > now)), ...batch]);
    }).catch((error: unknown) => this.#log.error({ err: describeError(error), file: this.file.path }, 'cannot write the blocks file; the blocks hold until a restart'));
  }

  #reloaded(entries: BlockEntry[]): void {
    for (const old of this.#held) {
      if (!entries.some((e) => e.address === old.address)) {
        this.#log.info({ address: old.address, reason: old.reason }, 'block lifted');
        this.#onLift(old.address);
      }
    }
    this.#held = entries;
    this.policy.replaceBlocks(entries);
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#stopWatch();
      this.guard.policy.close();
      await this.#writes;
    })();
    return this.#closed;
  }
}
