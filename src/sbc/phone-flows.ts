/**
 * The agent's contact tokens: token → the phone's contact and the flow it is reached on, and the
 * last REGISTER relayed upstream for it (failback re-registers it, issue 12).
 *
 * A token is minted for every phone contact seen on a flow (tokens.ts), and a flow is a source
 * address and port: a phone that reconnects over TCP or TLS, or whose NAT picks a new port, gets a
 * new token each time. Kept forever, the table grew with every reconnection, with two whole
 * REGISTER messages per token. An entry is now forgotten once it has not been used for `idleMs`
 * (default 2 h, longer than the registration and subscription refresh intervals phones use, RFC
 * 3261 §10.2.1 and RFC 6665 §4.1.2.1, so a live phone touches its token well before) and nothing
 * still needs it: no registration binding whose upstream lifetime runs (the PBX may send to it)
 * and no call up through the tunnel on that flow (a long call may send nothing for hours).
 */
import type { Clock, Timer } from '../core/index.js';
import type { TransportTarget } from '../sip/index.js';
import type { LastRegister } from './re-register.js';

export interface PhoneFlow {
  readonly uri: string;
  readonly target: TransportTarget;
}

interface Entry {
  flow: PhoneFlow | undefined;
  last: LastRegister | undefined;
  usedAt: number;
}

export interface PhoneFlowsOptions {
  readonly clock: Clock;
  /** Unused for this long (and not in use), an entry is forgotten; default 2 h. */
  readonly idleMs?: number;
  /** How often idle entries are looked for; default 10 min. */
  readonly sweepMs?: number;
  /** Whether something still needs the token (a live binding, a call on its flow), asked once per sweep. */
  readonly inUse: () => (token: string, flow: PhoneFlow | undefined) => boolean;
}

export const PHONE_FLOW_IDLE_MS = 2 * 60 * 60 * 1000;

export class PhoneFlows {
  readonly #clock: Clock;
  readonly #idleMs: number;
  readonly #sweepMs: number;
  readonly #inUse: PhoneFlowsOptions['inUse'];
  readonly #entries = new Map<string, Entry>();
  #timer: Timer | undefined;

  constructor(options: PhoneFlowsOptions) {
    this.#clock = options.clock;
    this.#idleMs = options.idleMs ?? PHONE_FLOW_IDLE_MS;
    this.#sweepMs = options.sweepMs ?? 10 * 60 * 1000;
    this.#inUse = options.inUse;
  }

  get size(): number {
    return this.#entries.size;
  }

  setFlow(token: string, flow: PhoneFlow): void {
    this.#entry(token).flow = flow;
  }

  /** The flow of `token` (a use: it keeps the entry). */
  flow(token: string): PhoneFlow | undefined {
    const e = this.#entries.get(token);
    if (e !== undefined) e.usedAt = this.#clock.now();
    return e?.flow;
  }

  /** The flow of `token` without counting as a use (a check, not a message routed). */
  peek(token: string): PhoneFlow | undefined {
    return this.#entries.get(token)?.flow;
  }

  setLastRegister(token: string, last: LastRegister): void {
    this.#entry(token).last = last;
  }

  lastRegister(token: string): LastRegister | undefined {
    return this.#entries.get(token)?.last;
  }

  /** Every token with a flow (no use: listing for status and the saved state keeps nothing). */
  flows(): Array<[string, PhoneFlow]> {
    const out: Array<[string, PhoneFlow]> = [];
    for (const [token, e] of this.#entries) if (e.flow !== undefined) out.push([token, e.flow]);
    return out;
  }

  /** Forgets everything and stops the sweep. Idempotent. */
  clear(): void {
    this.#entries.clear();
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #entry(token: string): Entry {
    let e = this.#entries.get(token);
    if (e === undefined) {
      e = { flow: undefined, last: undefined, usedAt: 0 };
      this.#entries.set(token, e);
    }
    e.usedAt = this.#clock.now();
    // The sweep runs only while there is something to sweep.
    this.#timer ??= this.#clock.setTimeout(() => this.#sweep(), this.#sweepMs);
    return e;
  }

  #sweep(): void {
    this.#timer = undefined;
    const idleSince = this.#clock.now() - this.#idleMs;
    const inUse = this.#inUse();
    for (const [token, e] of this.#entries) {
      if (e.usedAt > idleSince) continue;
      if (inUse(token, e.flow)) e.usedAt = this.#clock.now();
      else this.#entries.delete(token);
    }
    if (this.#entries.size > 0) this.#timer = this.#clock.setTimeout(() => this.#sweep(), this.#sweepMs);
  }
}
