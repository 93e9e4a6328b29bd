/**
 * The agent's composition root (the call path part): the tunnel client toward the hub, the SBC
 * call path for the LAN phones, and the calls file that `sbc-agent calls` reads. Start order:
 * tunnel client → SIP stack and call path → calls file; close() reverses it and is idempotent.
 */
import { componentLogger, realClock, type Clock, type Logger, type Timer } from './core/index.js';
import type { PortRange } from './media/index.js';
import { tunnelConnector, type TunnelCredentials } from './net/index.js';
import { writeFileAtomic } from './platform/index.js';
import { AgentSbc, callsReport, type SipListenOptions } from './sbc/index.js';
import { createTunnelClient, type TunnelClient } from './tunnel/index.js';

/** The tunnel to use: one already made (AgentTunnel's client, not owned), or what to make one from. */
export type AgentTunnelSource =
  | { readonly client: TunnelClient }
  | { readonly identity: string; readonly credentials: TunnelCredentials; readonly hub: { readonly host: string; readonly port: number }; readonly wssUrl?: string };

export interface AgentOptions {
  readonly clock?: Clock;
  readonly logger: Logger;
  readonly tunnel: AgentTunnelSource;
  readonly sip: SipListenOptions;
  readonly mediaAddress: string;
  readonly mediaPorts: PortRange;
  readonly upstreamExpires?: number;
  /** Where the calls document is written every second (for `sbc-agent calls`). */
  readonly callsFile?: string;
}

export class Agent {
  readonly tunnel: TunnelClient;
  readonly sbc: AgentSbc;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #ownsTunnel: boolean;
  #timer: Timer | undefined;
  #closed: Promise<void> | undefined;

  private constructor(tunnel: TunnelClient, ownsTunnel: boolean, sbc: AgentSbc, clock: Clock, logger: Logger) {
    this.tunnel = tunnel;
    this.#ownsTunnel = ownsTunnel;
    this.sbc = sbc;
    this.#clock = clock;
    this.#logger = logger;
  }

  static async start(o: AgentOptions): Promise<Agent> {
    const clock = o.clock ?? realClock;
    const logger = componentLogger(o.logger, 'agent');
    const source = o.tunnel;
    const owned = !('client' in source);
    const tunnel = 'client' in source ? source.client : createTunnelClient({
      clock,
      identity: source.identity,
      logger: componentLogger(o.logger, 'tunnel'),
      connect: tunnelConnector({ ...source.credentials, tls: source.hub, ...(source.wssUrl === undefined ? {} : { wssUrl: source.wssUrl }) }),
    });
    if (owned) tunnel.start();
    const sbc = await AgentSbc.start({
      clock,
      logger: componentLogger(o.logger, 'sbc'),
      sip: o.sip,
      mediaAddress: o.mediaAddress,
      mediaPorts: o.mediaPorts,
      tunnel,
      ...(o.upstreamExpires === undefined ? {} : { upstreamExpires: o.upstreamExpires }),
    });
    const agent = new Agent(tunnel, owned, sbc, clock, logger);
    if (o.callsFile !== undefined) agent.#publish(o.callsFile);
    return agent;
  }

  #publish(path: string): void {
    const write = async (): Promise<void> => {
      const doc = callsReport(await this.sbc.calls(), this.#clock.wallNow());
      await writeFileAtomic(path, `${JSON.stringify(doc)}\n`);
    };
    this.#timer = this.#clock.setInterval(() => {
      write().catch((error: unknown) => this.#logger.warn({ err: error }, 'cannot write the calls file'));
    }, 1000);
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#timer?.cancel();
      await this.sbc.close();
      if (this.#ownsTunnel) this.tunnel.close();
    })();
    return this.#closed;
  }
}
