/**
 * Where packets and requests meet the policy: a datagram or a connection from a blocked source is
 * dropped before anything parses it (counted per reason), a scanner's request is dropped unanswered,
 * and the outcomes of digest authentication seen on the call path become failures and successes.
 *
 * The SIP registrar and the call path use the small `AuthWatch` API (`authFailed`, `authSucceeded`,
 * `isBlocked`), so a component that verifies digests itself reports to the same counts.
 */
import type { BlockReason } from './blocks.js';
import type { ProtectionPolicy } from './policy.js';
import { scannerAgent } from './scanner.js';

/** Why a datagram was dropped: the block on its source, or (`scanner`) its own User-Agent. */
export type DropReason = BlockReason;

export interface ProtectionCounters {
  /** Datagrams (and stream connections) dropped, by reason. */
  readonly dropped: Readonly<Record<DropReason, number>>;
  readonly connectionsRefused: number;
  readonly authFailures: number;
  readonly authSuccesses: number;
  readonly blocksAdded: number;
}

/** What an authenticating component tells the protection (the agent's call path, a local registrar). */
export interface AuthWatch {
  authFailed(address: string): void;
  authSucceeded(address: string): void;
  isBlocked(address: string): boolean;
}

/** How a SIP response to a phone's request counts for its source. */
export type AuthOutcome = 'failed' | 'succeeded' | 'challenged' | undefined;

/**
 * A 401/407 after a request that carried credentials is a failed digest (RFC 3261 §22.2: the
 * credentials were refused); one after a request without is a challenge, which must be answered.
 * A 403 is a refusal, and a 404 to a REGISTER is a scan of user names: both count as failures.
 * A 2xx to a request that carried credentials proves them.
 */
export function authOutcome(method: string, hadCredentials: boolean, status: number): AuthOutcome {
  if (status === 401 || status === 407) return hadCredentials ? 'failed' : 'challenged';
  if (status === 403 || (status === 404 && method === 'REGISTER')) return 'failed';
  if (status >= 200 && status < 300 && hadCredentials) return 'succeeded';
  return undefined;
}

export class ProtectionGuard implements AuthWatch {
  #policy: ProtectionPolicy;
  readonly #dropped: Record<DropReason, number> = { auth: 0, 'rate-1': 0, 'rate-2': 0, scanner: 0, deny: 0, enrollment: 0 };
  #connectionsRefused = 0;
  #authFailures = 0;
  #authSuccesses = 0;
  #blocksAdded = 0;

  constructor(policy: ProtectionPolicy) {
    this.#policy = policy;
  }

  get policy(): ProtectionPolicy {
    return this.#policy;
  }

  /** A new policy (a configuration reload); the counters go on. */
  usePolicy(policy: ProtectionPolicy): void {
    this.#policy = policy;
  }

  /** Called by the composition root for each block the policy adds. */
  noteBlock(): void {
    this.#blocksAdded++;
  }

  /** True when the datagram from `address` must be dropped (blocked source, over rate, scanner). */
  dropDatagram(data: Buffer, address: string): boolean {
    const reason = this.policy.packet(address);
    if (reason !== undefined) {
      this.#dropped[reason]++;
      return true;
    }
    if (this.policy.settings.dropScanners && scannerAgent(data) !== undefined && !this.policy.isAllowed(address)) {
      this.#dropped.scanner++;
      // A scanner's requests count as failed attempts: a persistent one is blocked outright.
      this.#authFailures++;
      this.policy.authFailed(address, 'scanner');
      return true;
    }
    return false;
  }

  /** False when a TCP or TLS connection from `address` must be closed: at accept, or at a chunk once blocked. */
  admitConnection(address: string): boolean {
    const reason = this.policy.packet(address);
    if (reason === undefined) return true;
    this.#dropped[reason]++;
    this.#connectionsRefused++;
    return false;
  }

  authFailed(address: string): void {
    this.#authFailures++;
    this.policy.authFailed(address);
  }

  authSucceeded(address: string): void {
    this.#authSuccesses++;
    this.policy.authSucceeded(address);
  }

  isBlocked(address: string): boolean {
    return this.policy.isBlocked(address);
  }

  /** A phone's request: one with credentials answers the challenge sent for its Call-ID. */
  sipRequest(address: string, callId: string, hasCredentials: boolean): void {
    if (hasCredentials) this.policy.answered(address, callId);
  }

  /** The answer to a phone's request, as it goes back to the phone. */
  sipResponse(address: string, callId: string, method: string, hadCredentials: boolean, status: number): void {
    switch (authOutcome(method, hadCredentials, status)) {
      case 'failed':
        this.authFailed(address);
        break;
      case 'succeeded':
        this.authSucceeded(address);
        break;
      case 'challenged':
        this.policy.challenged(address, callId);
        break;
      default:
        break;
    }
  }

  counters(): ProtectionCounters {
    return {
      dropped: { ...this.#dropped }, connectionsRefused: this.#connectionsRefused, authFailures: this.#authFailures,
      authSuccesses: this.#authSuccesses, blocksAdded: this.#blocksAdded,
    };
  }
}
