/**
 * The agent's survival mode (issue 12): feeds the health machine (src/survival) from the tunnel
 * client (a session open is the tunnel up; a dead path or a refused reconnect is down) and from the
 * hub's `pbx-health` reports on the config push, ticks it every second for the start-up grace and
 * the hold-down, logs every transition with its reason and emits it for the parts that act on it
 * (the call path, the status, the admin event stream). Times are wall-clock (failback windows are
 * local times of day).
 */
import type { AgentSurvivalConfig } from './config/index.js';
import { TypedEmitter, type Clock, type Logger, type Timer } from './core/index.js';
import {
  HealthMachine, PBX_HEALTH_KIND, type FailbackPolicy, configKind, decodePbxHealth, type HealthPolicy, type HealthSnapshot, type ModeTransition, type SurvivalMode,
} from './survival/index.js';

export interface HealthSourceEvents {
  open: { resumed: boolean };
  disconnected: { reason: string };
  config: { data: Buffer };
}

/** What the service needs of the tunnel client (one generic `on`, so the client's own fits). */
export interface HealthSource {
  on<K extends keyof HealthSourceEvents>(event: K, listener: (e: HealthSourceEvents[K]) => void): () => void;
}

export interface AgentHealthOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly policy?: Partial<HealthPolicy>;
  /** A routing snapshot or stored relayed registrations exist: the start-up grace may end in survival. Default: yes. */
  readonly canServe?: () => boolean;
}

export type AgentHealthEvents = { mode: ModeTransition };

export const HEALTH_TICK_MS = 1000;

/** agent.survival as the health machine's policy (a failback window keeps its minutes and zone). */
export function survivalPolicy(s: AgentSurvivalConfig): HealthPolicy {
  const failback: FailbackPolicy = typeof s.failback === 'string' ? { kind: s.failback } : { kind: 'window', ...s.failback };
  return { holdDownMs: s.holdDownMs, startGraceMs: s.startGraceMs, failback };
}

export class AgentHealth extends TypedEmitter<AgentHealthEvents> {
  readonly #o: AgentHealthOptions;
  readonly #machine: HealthMachine;
  readonly #offs: (() => void)[] = [];
  #timer: Timer | undefined;
  #transitions = 0;

  constructor(o: AgentHealthOptions) {
    super();
    this.#o = o;
    this.#machine = new HealthMachine(o.clock.wallNow(), o.policy);
  }

  get mode(): SurvivalMode {
    return this.#machine.mode;
  }

  snapshot(): HealthSnapshot & { readonly transitions: number } {
    return { ...this.#machine.snapshot(this.#o.clock.wallNow()), transitions: this.#transitions };
  }

  start(source: HealthSource): void {
    const now = (): number => this.#o.clock.wallNow();
    this.#offs.push(
      source.on('open', () => this.#apply(this.#machine.tunnelUp(now()))),
      source.on('disconnected', (e) => this.#apply(this.#machine.tunnelDown(now(), e.reason))),
      source.on('config', (e) => {
        if (configKind(e.data) !== PBX_HEALTH_KIND) return;
        try {
          const report = decodePbxHealth(e.data);
          this.#apply(report.reachable ? this.#machine.pbxReachable(now()) : this.#machine.pbxUnreachable(now(), report.reason));
        } catch (err) {
          this.#o.logger.warn({ err }, 'PBX health report refused');
        }
      }),
    );
    this.#timer = this.#o.clock.setInterval(() => this.#apply(this.#machine.tick(now(), this.#o.canServe?.() ?? true)), HEALTH_TICK_MS);
  }

  /** Calls routed by the agent itself that are up (failback `when-idle` waits for 0). */
  survivalCalls(count: number): void {
    this.#apply(this.#machine.survivalCalls(count, this.#o.clock.wallNow()));
  }

  /** The bindings were re-registered upstream for the failing-back entered at `startedAt` (its `since`): normal mode. */
  failbackDone(startedAt?: number): void {
    this.#apply(this.#machine.failbackDone(this.#o.clock.wallNow(), startedAt));
  }

  #apply(transitions: readonly ModeTransition[]): void {
    for (const t of transitions) {
      this.#transitions++;
      this.#o.logger[t.to === 'survival' ? 'warn' : 'info']({ from: t.from, to: t.to, reason: t.reason }, `mode ${t.to}`);
      this.emit('mode', t);
    }
  }

  close(): void {
    this.#timer?.cancel();
    for (const off of this.#offs.splice(0)) off();
  }
}
