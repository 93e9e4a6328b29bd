/**
 * The agent's composition root: the tunnel client toward the hub, the SBC call path for the LAN
 * phones, and (with `lan`) the LAN services beside it on the same SIP socket: plug-and-play, the
 * provisioning relay and STUN (agent-lan.ts). Each LAN gets a call path of its own (its SIP stack,
 * media on its address, its SIP stream in the tunnel: the hub sees each LAN as a SIP peer). Start
 * order: tunnel client → SIP sockets → LAN services → SIP stacks and call paths → tunnel start →
 * calls file; a step that fails closes the ones before it. close() reverses it and is idempotent.
 */
import { bindExplained } from './bind-explained.js';
import { componentLogger, realClock, type Clock, type Logger, type Timer } from './core/index.js';
import type { AgentPnpConfig } from './config/index.js';
import type { PortRange } from './media/index.js';
import { bindUdp, claimDatagrams, tunnelConnector, type ChosenLan, type DatagramSocket, type TunnelCredentials } from './net/index.js';
import { writeFileAtomic } from './platform/index.js';
import type { UpstreamFetcher } from './pnp/index.js';
import { AgentSbc, MAX_AGENT_LANS, callsReport, type CallReport, type SipListenOptions } from './sbc/index.js';
import { createTunnelClient, type TunnelClient } from './tunnel/index.js';
import { LanServices } from './agent-lan.js';

/** The tunnel to use: one already made (AgentTunnel's client, not owned), or what to make one from. */
export type AgentTunnelSource =
  | { readonly client: TunnelClient }
  | { readonly identity: string; readonly credentials: TunnelCredentials; readonly hub: { readonly host: string; readonly port: number }; readonly wssUrl?: string };

/** The LAN services to run beside the call path (sbc-agent run). */
export interface AgentLanOptions {
  /** Every LAN served, each with its own call path, plug-and-play and STUN; the first is `sip.address`. */
  readonly lans: readonly ChosenLan[];
  readonly stateDir: string;
  readonly pnp: AgentPnpConfig;
  readonly upstream: UpstreamFetcher | undefined;
  readonly templates: boolean;
  readonly stunPort: number;
  readonly software: string;
}

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
  readonly lan?: AgentLanOptions;
}

/** Binds the SIP UDP socket of each LAN (no SO_REUSEADDR: a second agent on the port must fail). */
async function bindSipSockets(lans: readonly ChosenLan[], port: number): Promise<Map<string, DatagramSocket>> {
  const sockets = new Map<string, DatagramSocket>();
  try {
    for (const lan of lans) {
      sockets.set(lan.address, await bindExplained('udp', lan.address, port, () => bindUdp({ address: lan.address, port, receiveBufferSize: 4 << 20 })));
    }
  } catch (error) {
    await Promise.all([...sockets.values()].map((s) => s.close()));
    throw error;
  }
  return sockets;
}

export class Agent {
  readonly tunnel: TunnelClient;
  /** One call path per LAN, in the order of the LANs (the first is the `sip.address` one). */
  readonly sbcs: readonly AgentSbc[];
  readonly lan: LanServices | undefined;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #ownsTunnel: boolean;
  #timer: Timer | undefined;
  #closed: Promise<void> | undefined;

  private constructor(tunnel: TunnelClient, ownsTunnel: boolean, sbcs: readonly AgentSbc[], lan: LanServices | undefined, clock: Clock, logger: Logger) {
    this.tunnel = tunnel;
    this.#ownsTunnel = ownsTunnel;
    this.sbcs = sbcs;
    this.lan = lan;
    this.#clock = clock;
    this.#logger = logger;
  }

  /** The first LAN's call path. */
  get sbc(): AgentSbc {
    const first = this.sbcs[0];
    if (first === undefined) throw new Error('the agent has no call path');
    return first;
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
    let lan: LanServices | undefined;
    let sipSockets = new Map<string, DatagramSocket>();
    const sbcs: AgentSbc[] = [];
    try {
      // Without LAN services: one call path on `sip.address`, its sockets bound by the stack.
      let paths: { address: string; sip: SipListenOptions }[] = [{ address: o.sip.address, sip: o.sip }];
      if (o.lan !== undefined && o.sip.udpPort !== undefined) {
        const port = o.sip.udpPort;
        if (o.lan.lans.length > MAX_AGENT_LANS) throw new Error(`at most ${MAX_AGENT_LANS} LANs (${o.lan.lans.length} given)`);
        sipSockets = await bindSipSockets(o.lan.lans, port);
        const services = await LanServices.open({ clock, logger: o.logger, sipSockets, sipPort: port, ...o.lan });
        lan = services;
        // Every LAN gets its call path on its own SIP socket, shared with plug-and-play and STUN.
        paths = o.lan.lans.map((l) => {
          const socket = sipSockets.get(l.address);
          if (socket === undefined) throw new Error(`no SIP socket on ${l.address}`);
          return {
            address: l.address,
            sip: {
              ...o.sip,
              address: l.address,
              udpSocket: claimDatagrams(socket, (data, from) => services.claim(data, from)),
              onStunDatagram: (data, from, via) => services.handleStun(data, from, via),
            },
          };
        });
      }
      for (const [lanIndex, path] of paths.entries()) {
        sbcs.push(await AgentSbc.start({
          clock,
          logger: componentLogger(o.logger, 'sbc'),
          sip: path.sip,
          mediaAddress: path.address === o.sip.address ? o.mediaAddress : path.address,
          mediaPorts: o.mediaPorts,
          tunnel,
          lanIndex,
          ...(o.upstreamExpires === undefined ? {} : { upstreamExpires: o.upstreamExpires }),
        }));
      }
      if (owned) tunnel.start();
      const agent = new Agent(tunnel, owned, sbcs, lan, clock, logger);
      if (o.callsFile !== undefined) agent.#publish(o.callsFile);
      return agent;
    } catch (error) {
      for (const sbc of sbcs) await sbc.close();
      await lan?.close();
      // The stacks closed their sockets; the rest were never handed to a stack.
      await Promise.all([...sipSockets.values()].map((s) => s.close()));
      if (owned) tunnel.close();
      throw error;
    }
  }

  async #report(): Promise<CallReport> {
    const reports = await Promise.all(this.sbcs.map((s) => s.calls()));
    return { side: 'agent', legs: reports.flatMap((r) => r.legs) };
  }

  #publish(path: string): void {
    const write = async (): Promise<void> => {
      const doc = callsReport(await this.#report(), this.#clock.wallNow());
      await writeFileAtomic(path, `${JSON.stringify(doc)}\n`);
    };
    this.#timer = this.#clock.setInterval(() => {
      write().catch((error: unknown) => this.#logger.warn({ err: error }, 'cannot write the calls file'));
    }, 1000);
  }

  /** The phones registered through the agent now, with the time left on their own registration. */
  registeredPhones(): { aor: string; userAgent: string | null; expiresInS: number }[] {
    const now = this.#clock.now();
    return this.sbcs.flatMap((s) => s.bindings()).filter((b) => b.expiresAt > now).map((b) => ({ aor: b.aor, userAgent: b.userAgent ?? null, expiresInS: Math.round((b.expiresAt - now) / 1000) }));
  }

  /** New calls get 503 from now on; calls up go on (sbc-agent drain, SIGTERM). */
  drain(): void {
    for (const sbc of this.sbcs) sbc.callPath.drain();
  }

  /** Calls refused while draining, on every LAN. */
  get refusedDraining(): number {
    return this.sbcs.reduce((n, s) => n + s.callPath.counters.refusedDraining, 0);
  }

  /** Calls with media anchored here (both directions of a call count once). */
  async activeCalls(): Promise<number> {
    const report = await this.#report();
    return new Set(report.legs.map((l) => l.callId)).size;
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#timer?.cancel();
      for (const sbc of this.sbcs) await sbc.close();
      await this.lan?.close();
      if (this.#ownsTunnel) this.tunnel.close();
    })();
    return this.#closed;
  }
}
