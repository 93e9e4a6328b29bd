/**
 * The hub's enrollment lockout, made persistent and liftable: the AttemptLimiter counts wrong keys
 * per address (src/tunnel/enrollment), and the address it locks out is also written to the hub's
 * blocks file (`<state>/hub/blocks.json`) through the protection service. A locked-out address
 * stays locked across a restart, `sbc-agent hub unlock ADDRESS` removes it from the file, and the
 * running hub, which watches the file, forgets its failures within a second. `hub.protection.deny`
 * masks are refused the same way.
 */
import { AttemptLimiter, addressKey, type LimiterVerdict } from './tunnel/index.js';
import type { Clock, Logger } from './core/index.js';
import type { HubConfig } from './config/index.js';
import { ProtectionService } from './protection-service.js';
import { hubBlocksPath } from './blocks-file.js';

export class HubLockout {
  readonly #limiter: AttemptLimiter;
  readonly #protection: ProtectionService;
  readonly #clock: Clock;
  readonly #durationMs: number;

  private constructor(limiter: AttemptLimiter, protection: ProtectionService, clock: Clock, durationMs: number) {
    this.#limiter = limiter;
    this.#protection = protection;
    this.#clock = clock;
    this.#durationMs = durationMs;
  }

  static async open(config: HubConfig, stateDir: string, clock: Clock, logger: Logger): Promise<HubLockout> {
    const l = config.lockout;
    const limiter = new AttemptLimiter(clock, {
      maxFailures: l.maxFailures, windowMs: l.windowMs, lockoutMs: l.durationMs, baseDelayMs: l.baseDelayMs, maxDelayMs: l.maxDelayMs, maxTracked: 10_000,
    });
    const protection = await ProtectionService.open({
      config: config.protection, clock, logger, file: hubBlocksPath(stateDir), allowLoopback: false,
      // The limiter keys IPv6 by /64 (addressKey); the file names the same /64.
      onLift: (address) => limiter.recordSuccess(address.replace(/\/64$/, '')),
    });
    return new HubLockout(limiter, protection, clock, l.durationMs);
  }

  check(address: string): LimiterVerdict {
    const verdict = this.#limiter.check(address);
    if (verdict.locked) return verdict;
    const block = this.#protection.policy.blockOf(addressKey(address)) ?? this.#protection.policy.blockOf(address);
    if (block === undefined) return { locked: false };
    return { locked: true, retryAfterMs: block.until === undefined ? this.#durationMs : Math.max(1000, block.until - this.#clock.wallNow()) };
  }

  recordFailure(address: string): { readonly delayMs: number; readonly lockedOut: boolean } {
    const outcome = this.#limiter.recordFailure(address);
    if (outcome.lockedOut) this.#protection.policy.block(addressKey(address), 'enrollment', this.#durationMs);
    return outcome;
  }

  recordSuccess(address: string): void {
    this.#limiter.recordSuccess(address);
  }

  close(): Promise<void> {
    return this.#protection.close();
  }
}
