/**
 * The survival health machine (issue 12): from what the agent knows of its tunnel and of the PBX
 * behind the hub, which mode the branch is in. Pure: inputs carry their time, outputs are the
 * transitions they cause; the agent feeds it from the tunnel client and the hub's PBX reports and
 * acts on the transitions (its call path or its own routing core).
 *
 *   normal ──(tunnel dead | PBX unreachable | no tunnel after start-up grace)──▶ survival
 *   survival ──(healthy for holdDown, policy allows)──▶ failing-back ──(bindings re-registered)──▶ normal
 *   failing-back ──(any failure)──▶ survival
 *
 * Takeover is immediate on the first failure report: the tunnel declares a dead path after its
 * dead interval (3 s of silence, PROTOCOL.md "Keep-alive"), the hub declares the PBX unreachable
 * after its probe threshold, so the branch is in survival within 5 s of the first lost packet.
 * Failback waits for both to have been healthy *without a break* for the hold-down time (default
 * 60 s): a PBX that comes and goes every 10 s never stays healthy that long, so it causes one
 * failover and, once it is stable, one failback, never one per cycle. Policy `when-idle` (the
 * default) also waits until no call routed in survival is up; `window` waits for a daily time window.
 */
import { localTime } from '../routing/index.js';

export type SurvivalMode = 'normal' | 'survival' | 'failing-back';

export type FailbackPolicy =
  | { readonly kind: 'immediate' }
  | { readonly kind: 'when-idle' }
  /** Minutes after local midnight, [from, to) (wrapping past midnight when from > to), in timeZone. */
  | { readonly kind: 'window'; readonly from: number; readonly to: number; readonly timeZone: string };

export interface HealthPolicy {
  /** Tunnel and PBX healthy without a break this long before failback. Default 60,000 ms. */
  readonly holdDownMs: number;
  readonly failback: FailbackPolicy;
  /** At start, no tunnel session within this time → survival (an agent restarted without the WAN). Default 5,000 ms. */
  readonly startGraceMs: number;
}

export const DEFAULT_HEALTH_POLICY: HealthPolicy = { holdDownMs: 60_000, failback: { kind: 'when-idle' }, startGraceMs: 5_000 };

export type TunnelHealth = 'starting' | 'up' | 'down';
/** `unknown`: no report since the tunnel came up (the hub reports at once on each session). */
export type PbxHealth = 'reachable' | 'unreachable' | 'unknown';

export interface ModeTransition {
  readonly from: SurvivalMode;
  readonly to: SurvivalMode;
  readonly at: number;
  readonly reason: string;
}

export interface HealthSnapshot {
  readonly mode: SurvivalMode;
  /** When the mode was entered (epoch ms). */
  readonly since: number;
  readonly reason: string;
  readonly tunnel: TunnelHealth;
  readonly pbx: PbxHealth;
  /** Since when tunnel and PBX have both been healthy without a break; undefined while not. */
  readonly healthySince: number | undefined;
  /** Calls routed by the agent itself (survival calls) that are up now. */
  readonly survivalCalls: number;
  /** What failback waits for, in survival: `hold-down`, `calls`, `window`; undefined otherwise. */
  readonly waitingFor: 'hold-down' | 'calls' | 'window' | undefined;
}

function inWindow(policy: Extract<FailbackPolicy, { kind: 'window' }>, at: number): boolean {
  const minute = localTime(at, policy.timeZone).minute;
  return policy.from <= policy.to ? minute >= policy.from && minute < policy.to : minute >= policy.from || minute < policy.to;
}

export class HealthMachine {
  readonly #policy: HealthPolicy;
  readonly #startedAt: number;
  #mode: SurvivalMode = 'normal';
  #since: number;
  #reason = 'started';
  #tunnel: TunnelHealth = 'starting';
  #pbx: PbxHealth = 'unknown';
  #healthySince: number | undefined;
  #survivalCalls = 0;

  constructor(startedAt: number, policy: Partial<HealthPolicy> = {}) {
    this.#policy = { ...DEFAULT_HEALTH_POLICY, ...policy };
    this.#startedAt = startedAt;
    this.#since = startedAt;
  }

  get mode(): SurvivalMode {
    return this.#mode;
  }

  snapshot(at: number): HealthSnapshot {
    return {
      mode: this.#mode, since: this.#since, reason: this.#reason, tunnel: this.#tunnel, pbx: this.#pbx,
      healthySince: this.#healthySince, survivalCalls: this.#survivalCalls, waitingFor: this.#mode === 'survival' ? this.#blocker(at) : undefined,
    };
  }

  tunnelUp(at: number): ModeTransition[] {
    this.#tunnel = 'up';
    // A new session: the hub reports the PBX's state at once; until then it is not known.
    this.#pbx = 'unknown';
    return this.#settle(at);
  }

  tunnelDown(at: number, reason: string): ModeTransition[] {
    this.#tunnel = 'down';
    this.#pbx = 'unknown';
    return this.#fail(at, `tunnel down: ${reason}`);
  }

  pbxReachable(at: number): ModeTransition[] {
    if (this.#tunnel !== 'up') return [];
    this.#pbx = 'reachable';
    return this.#settle(at);
  }

  pbxUnreachable(at: number, reason: string): ModeTransition[] {
    if (this.#tunnel !== 'up') return [];
    this.#pbx = 'unreachable';
    return this.#fail(at, `PBX unreachable: ${reason}`);
  }

  survivalCalls(count: number, at: number): ModeTransition[] {
    this.#survivalCalls = count;
    return this.#settle(at);
  }

  /**
   * The agent re-registered its bindings upstream: normal mode again (if still healthy). With
   * `startedAt` (the `since` of the failing-back it was started for), the end of a failback that a
   * failure interrupted does not complete a later one: a PBX that dropped and came back meanwhile
   * may have lost the bindings it was sent.
   */
  failbackDone(at: number, startedAt?: number): ModeTransition[] {
    if (this.#mode !== 'failing-back' || (startedAt !== undefined && startedAt !== this.#since)) return [];
    return [this.#move('normal', at, 'failback complete: phones re-registered upstream')];
  }

  /**
   * Time passing (the agent calls it every second): start-up grace and hold-down. `canServe`: the
   * agent has something to serve the branch with alone (a routing snapshot or stored relayed
   * registrations); without it an agent that starts with no tunnel stays normal, and its phones'
   * requests get 503 Tunnel Down rather than refusals from a local side that knows no one.
   */
  tick(at: number, canServe = true): ModeTransition[] {
    if (this.#mode === 'normal' && this.#tunnel === 'starting' && canServe && at - this.#startedAt >= this.#policy.startGraceMs) {
      return [this.#move('survival', at, `no tunnel within ${this.#policy.startGraceMs} ms of start`)];
    }
    return this.#settle(at);
  }

  #healthy(): boolean {
    return this.#tunnel === 'up' && this.#pbx === 'reachable';
  }

  #fail(at: number, reason: string): ModeTransition[] {
    this.#healthySince = undefined;
    if (this.#mode === 'survival') {
      this.#reason = reason;
      return [];
    }
    return [this.#move('survival', at, reason)];
  }

  /** What keeps a survival branch from failing back now, if anything. */
  #blocker(at: number): 'hold-down' | 'calls' | 'window' | undefined {
    if (this.#healthySince === undefined || at - this.#healthySince < this.#policy.holdDownMs) return 'hold-down';
    const policy = this.#policy.failback;
    if (policy.kind === 'when-idle' && this.#survivalCalls > 0) return 'calls';
    if (policy.kind === 'window' && !inWindow(policy, at)) return 'window';
    return undefined;
  }

  #settle(at: number): ModeTransition[] {
    if (this.#healthy()) this.#healthySince ??= at;
    else this.#healthySince = undefined;
    if (this.#mode !== 'survival' || this.#blocker(at) !== undefined) return [];
    return [this.#move('failing-back', at, `tunnel and PBX healthy for ${Math.round((at - (this.#healthySince ?? at)) / 1000)} s`)];
  }

  #move(to: SurvivalMode, at: number, reason: string): ModeTransition {
    const t: ModeTransition = { from: this.#mode, to, at, reason };
    this.#mode = to;
    this.#since = at;
    this.#reason = reason;
    return t;
  }
}
