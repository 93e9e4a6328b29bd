/**
 * The hub's PBX health service (issue 12): probes the PBX with SIP OPTIONS from the hub's own SIP
 * leg (src/survival/pbx-probe.ts) and tells every agent, over the tunnel's config push (kind
 * `pbx-health`), whether the PBX answers: when a session opens or resumes, and on every change.
 * Agents combine it with their own view of the tunnel to decide when to take over (survival).
 */
import { componentLogger, type Clock, type Logger } from './core/index.js';
import type { HubService } from './hub.js';
import type { SipEndpoint, TransportTarget } from './sip/index.js';
import { PbxProbe, encodePbxHealth, type PbxState } from './survival/index.js';
import type { PushTarget, SessionHost } from './hub-routing.js';

export interface HubPbxHealthOptions<S extends PushTarget> {
  /** The SIP endpoint of the hub's call path (its leg toward the PBX). */
  readonly endpoint: () => SipEndpoint | undefined;
  readonly pbx: TransportTarget;
  readonly server: SessionHost<S>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly intervalMs?: number;
  readonly failures?: number;
}

export class HubPbxHealth<S extends PushTarget> implements HubService {
  readonly name = 'pbx-health';
  readonly #o: HubPbxHealthOptions<S>;
  readonly #log: Logger;
  #probe: PbxProbe | undefined;
  #offs: (() => void)[] = [];

  constructor(o: HubPbxHealthOptions<S>) {
    this.#o = o;
    this.#log = componentLogger(o.logger, 'pbx-health');
  }

  get state(): PbxState | undefined {
    return this.#probe?.state;
  }

  async start(): Promise<void> {
    const endpoint = this.#o.endpoint();
    if (endpoint === undefined) throw new Error('the PBX health service needs the call path started first');
    const probe = new PbxProbe({
      endpoint, clock: this.#o.clock, target: this.#o.pbx,
      ...(this.#o.intervalMs === undefined ? {} : { intervalMs: this.#o.intervalMs }),
      ...(this.#o.failures === undefined ? {} : { failures: this.#o.failures }),
    });
    this.#probe = probe;
    this.#offs.push(probe.on('change', (state) => {
      this.#log[state.reachable ? 'info' : 'warn']({ reachable: state.reachable, reason: state.reason }, state.reachable ? 'PBX reachable' : 'PBX unreachable');
      for (const session of this.#o.server.sessions()) this.#push(session, state);
    }));
    const onSession = (session: S): void => {
      const state = probe.state;
      if (state !== undefined) this.#push(session, state);
    };
    this.#offs.push(this.#o.server.on('session', onSession), this.#o.server.on('resumed', onSession));
    probe.start();
    await Promise.resolve();
  }

  #push(session: S, state: PbxState): void {
    try {
      session.pushConfig(encodePbxHealth(state));
    } catch (err) {
      // A session closing under us: it gets the state again when it resumes or reconnects.
      this.#log.debug({ err }, 'PBX health not pushed to a closing session');
    }
  }

  listeners(): readonly { name: string; address: string; port: number }[] {
    return [];
  }

  close(): Promise<void> {
    for (const off of this.#offs.splice(0)) off();
    this.#probe?.close();
    return Promise.resolve();
  }
}
