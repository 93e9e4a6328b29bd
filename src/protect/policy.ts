/**
 * The blocking policy, pure over an injected clock: which sources are never blocked (loopback, the
 * hub, configured networks), which are denied (operator masks, with an optional expiry), and when a
 * source earns a block: `maxFailures` failed digest attempts within `window` (a 401/407 after a
 * request that carried credentials, a 403, a REGISTER to an unknown user, or a challenge never
 * answered within `challengeTimeout`), or a packet rate over one of two levels, each with its own
 * block time. Defaults follow the PBX guides (PortSIP: 10 failed attempts within the detection
 * period block for an hour; packet-rate levels of 2,000 and 5,000 per second).
 *
 * Every table is bounded, so a flood of spoofed sources costs memory in proportion to the bound,
 * not to the flood.
 */
import { SourceRateLimiter, type Clock, type Timer } from '../core/index.js';
import { activeBlocks, type BlockEntry, type BlockReason } from './blocks.js';
import { LOOPBACK, addressBytes, cidrContains, parseCidr, type Cidr } from './cidr.js';

export interface RateLevel {
  readonly packetsPerSecond: number;
  readonly blockMs: number;
}

export interface ProtectionSettings {
  readonly enabled: boolean;
  readonly auth: {
    readonly maxFailures: number;
    /** The detection period: failures older than this are forgotten. */
    readonly windowMs: number;
    readonly blockMs: number;
    /** A 401/407 challenge not answered within this counts as a failure (64×T1, RFC 3261 Timer F). */
    readonly challengeTimeoutMs: number;
  };
  /** Packet-rate levels, lowest first. */
  readonly rates: readonly RateLevel[];
  /** Drop requests from scanner User-Agents (friendly-scanner, sipcli, ...) without an answer. */
  readonly dropScanners: boolean;
  /** Masks never blocked, besides loopback and the addresses the composition root adds (the hub). */
  readonly allow: readonly string[];
  /** Masks always refused; `until` epoch ms, undefined: no expiry. */
  readonly deny: readonly { readonly address: string; readonly until: number | undefined }[];
}

export const DEFAULT_PROTECTION: ProtectionSettings = {
  enabled: true,
  auth: { maxFailures: 10, windowMs: 10 * 60_000, blockMs: 60 * 60_000, challengeTimeoutMs: 32_000 },
  rates: [{ packetsPerSecond: 2000, blockMs: 5 * 60_000 }, { packetsPerSecond: 5000, blockMs: 60 * 60_000 }],
  dropScanners: true,
  allow: [],
  deny: [],
};

/** Bound of each per-source table. */
export const MAX_TRACKED_SOURCES = 10_000;

interface Failures {
  count: number;
  first: number;
}

interface ListVerdict {
  readonly allowed: boolean;
  readonly deny: BlockEntry | undefined;
}

export class ProtectionPolicy {
  readonly settings: ProtectionSettings;
  readonly #clock: Clock;
  readonly #allow: readonly Cidr[];
  /** Operator deny masks from the configuration (not in the blocks file). */
  readonly #configDeny: readonly { readonly cidr: Cidr; readonly entry: BlockEntry }[];
  /** Entries of the blocks file: exact addresses, and masks. */
  readonly #blocks = new Map<string, BlockEntry>();
  #blockMasks: { readonly cidr: Cidr; readonly entry: BlockEntry }[] = [];
  readonly #lists = new Map<string, ListVerdict>();
  readonly #failures = new Map<string, Failures>();
  readonly #challenges = new Map<string, { readonly address: string; readonly at: number }>();
  readonly #rates: { readonly limiter: SourceRateLimiter; readonly level: RateLevel; readonly reason: BlockReason }[];
  #onBlock: (entry: BlockEntry) => void = () => {};
  #sweeper: Timer | undefined;

  /**
   * `alwaysAllowed`: addresses never blocked besides the configured ones (the hub, for the agent).
   * `allowLoopback` (default true): loopback is never blocked; the hub's enrollment lockout turns it
   * off, since an agent on the hub's own machine enrolls like any other.
   */
  constructor(settings: ProtectionSettings, clock: Clock, options: { readonly alwaysAllowed?: readonly string[]; readonly allowLoopback?: boolean } = {}) {
    this.settings = settings;
    this.#clock = clock;
    this.#allow = [...(options.allowLoopback === false ? [] : LOOPBACK), ...[...settings.allow, ...(options.alwaysAllowed ?? [])].map(parseCidr)];
    const since = clock.wallNow();
    this.#configDeny = settings.deny.map((d) => ({ cidr: parseCidr(d.address), entry: { address: d.address, reason: 'deny', since, until: d.until } }));
    // A bucket of one second's packets refilled at the level's rate: over the level as soon as a
    // source sends more than it in any second (src/core/source-rate-limiter.ts).
    this.#rates = settings.rates.map((level, i) => ({
      limiter: new SourceRateLimiter({ burst: level.packetsPerSecond, perSecond: level.packetsPerSecond, maxSources: MAX_TRACKED_SOURCES }, clock),
      level,
      reason: i === 0 ? 'rate-1' : 'rate-2',
    }));
  }

  /** Told of every block the policy adds (for the blocks file and the log). */
  onBlock(handler: (entry: BlockEntry) => void): void {
    this.#onBlock = handler;
  }

  /** Starts the sweep of unanswered challenges and expired blocks (once a second). */
  start(): void {
    this.#sweeper ??= this.#clock.setInterval(() => this.sweep(), 1000);
  }

  close(): void {
    this.#sweeper?.cancel();
  }

  #listVerdict(address: string): ListVerdict {
    const cached = this.#lists.get(address);
    if (cached !== undefined) return cached;
    const bytes = addressBytes(address);
    const allowed = bytes !== undefined && this.#allow.some((c) => cidrContains(c, bytes));
    const deny = bytes === undefined || allowed ? undefined : [...this.#configDeny, ...this.#blockMasks].find((d) => cidrContains(d.cidr, bytes))?.entry;
    const verdict = { allowed, deny };
    if (this.#lists.size >= MAX_TRACKED_SOURCES) this.#lists.clear();
    this.#lists.set(address, verdict);
    return verdict;
  }

  /** Never blocked: loopback, the hub, the configured allow list. The allow list wins over every other rule. */
  isAllowed(address: string): boolean {
    return this.#listVerdict(address).allowed;
  }

  /** The block in force on `address`, if any. */
  blockOf(address: string): BlockEntry | undefined {
    if (!this.settings.enabled) return undefined;
    const list = this.#listVerdict(address);
    if (list.allowed) return undefined;
    const now = this.#clock.wallNow();
    const exact = this.#blocks.get(address);
    if (exact !== undefined && (exact.until === undefined || exact.until > now)) return exact;
    if (list.deny !== undefined && (list.deny.until === undefined || list.deny.until > now)) return list.deny;
    return undefined;
  }

  isBlocked(address: string): boolean {
    return this.blockOf(address) !== undefined;
  }

  /**
   * One packet (datagram, stream chunk or connection) from `address`: undefined to let it through,
   * else the reason it is dropped. Rates are counted even while blocked, so a source blocked at the
   * first level that keeps flooding reaches the second.
   */
  packet(address: string): BlockReason | undefined {
    if (!this.settings.enabled || this.#listVerdict(address).allowed) return undefined;
    for (let i = this.#rates.length - 1; i >= 0; i--) {
      const rate = this.#rates[i];
      if (rate === undefined || rate.limiter.allow(address)) continue;
      // Once per block, not per packet: only a stronger level replaces a block in force.
      const current = this.blockOf(address);
      if (current === undefined || (rate.reason === 'rate-2' && current.reason === 'rate-1')) this.block(address, rate.reason, rate.level.blockMs);
      break;
    }
    return this.blockOf(address)?.reason;
  }

  /** A failed digest attempt from `address` (or a request to an unknown user); `reason` names a scanner's. */
  authFailed(address: string, reason: 'auth' | 'scanner' = 'auth'): void {
    if (!this.settings.enabled || this.#listVerdict(address).allowed) return;
    const now = this.#clock.now();
    const { maxFailures, windowMs, blockMs } = this.settings.auth;
    let f = this.#failures.get(address);
    if (f === undefined || now - f.first >= windowMs) {
      if (f === undefined && this.#failures.size >= MAX_TRACKED_SOURCES) this.#failures.delete(this.#failures.keys().next().value ?? '');
      f = { count: 0, first: now };
      this.#failures.set(address, f);
    }
    f.count++;
    if (f.count >= maxFailures && !this.isBlocked(address)) {
      this.#failures.delete(address);
      this.block(address, reason, blockMs);
    }
  }

  /** A digest that passed: the source's failures are forgotten. */
  authSucceeded(address: string): void {
    this.#failures.delete(address);
  }

  /** A 401/407 sent to `address` for the request `key` (its Call-ID): it must be answered in time. */
  challenged(address: string, key: string): void {
    if (!this.settings.enabled || this.#listVerdict(address).allowed) return;
    const id = `${address}|${key}`;
    if (!this.#challenges.has(id) && this.#challenges.size >= MAX_TRACKED_SOURCES) {
      const oldest = this.#challenges.keys().next().value;
      if (oldest !== undefined) this.#expireChallenge(oldest);
    }
    this.#challenges.set(id, { address, at: this.#clock.now() });
  }

  /** A request with credentials from `address` for `key`: its challenge was answered. */
  answered(address: string, key: string): void {
    this.#challenges.delete(`${address}|${key}`);
  }

  #expireChallenge(id: string): void {
    const c = this.#challenges.get(id);
    this.#challenges.delete(id);
    if (c !== undefined) this.authFailed(c.address);
  }

  /** Counts challenges left unanswered as failures, and forgets blocks that ran out. */
  sweep(): void {
    const limit = this.#clock.now() - this.settings.auth.challengeTimeoutMs;
    // Map order is insertion order: the oldest first.
    for (const [id, c] of this.#challenges) {
      if (c.at > limit) break;
      this.#expireChallenge(id);
    }
    const now = this.#clock.wallNow();
    for (const [address, entry] of this.#blocks) if (entry.until !== undefined && entry.until <= now) this.#blocks.delete(address);
  }

  /** Blocks `address` (an address or a mask) for `ms` (undefined: until lifted). */
  block(address: string, reason: BlockReason, ms: number | undefined): BlockEntry {
    const since = this.#clock.wallNow();
    const entry: BlockEntry = { address, reason, since, until: ms === undefined ? undefined : since + ms };
    this.#put(entry);
    this.#onBlock(entry);
    return entry;
  }

  #put(entry: BlockEntry): void {
    if (entry.address.includes('/')) {
      this.#blockMasks = [...this.#blockMasks.filter((m) => m.entry.address !== entry.address), { cidr: parseCidr(entry.address), entry }];
      this.#lists.clear();
    } else {
      this.#blocks.set(entry.address, entry);
    }
  }

  /** The blocks file as read again (a lift or a deny from the command line): it replaces the blocks held. */
  replaceBlocks(entries: readonly BlockEntry[]): void {
    const lifted = [...this.#blocks.keys()].filter((a) => !entries.some((e) => e.address === a));
    this.#blocks.clear();
    this.#blockMasks = [];
    this.#lists.clear();
    for (const entry of activeBlocks(entries, this.#clock.wallNow())) this.#put(entry);
    for (const address of lifted) this.#failures.delete(address);
  }

  /** Every block in force now (the blocks file's entries and the configured deny list). */
  blocks(): BlockEntry[] {
    const now = this.#clock.wallNow();
    return activeBlocks([...this.#blocks.values(), ...this.#blockMasks.map((m) => m.entry), ...this.#configDeny.map((d) => d.entry)], now);
  }

  /** Sources being watched (failures counted, challenges pending). */
  get tracked(): { readonly failing: number; readonly challenges: number } {
    return { failing: this.#failures.size, challenges: this.#challenges.size };
  }
}
