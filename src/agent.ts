/**
 * The agent's composition root: the tunnel client toward the hub, the SBC call path for the LAN
 * phones, and (with `lan`) the LAN services beside it on the same SIP socket: plug-and-play, the
 * provisioning relay and STUN (agent-lan.ts). Start order: tunnel client → SIP socket → LAN
 * services → SIP stack and call path → calls file; a step that fails closes the ones before it.
 * close() reverses the order and is idempotent.
 */
import { bindExplained } from './bind-explained.js';
import { componentLogger, realClock, type Clock, type Logger, type Timer } from './core/index.js';
import type { AgentPnpConfig } from './config/index.js';
import type { PortRange } from './media/index.js';
import { bindUdp, claimDatagrams, tunnelConnector, type ChosenLan, type DatagramSocket, type TunnelCredentials } from './net/index.js';
import { writeFileAtomic } from './platform/index.js';
import type { UpstreamFetcher } from './pnp/index.js';
import { AgentSbc, callsReport, type SipListenOptions } from './sbc/index.js';
import { createTunnelClient, type TunnelClient } from './tunnel/index.js';
import { LanServices } from './agent-lan.js';

/** The tunnel to use: one already made (AgentTunnel's client, not owned), or what to make one from. */
export type AgentTunnelSource =
  | { readonly client: TunnelClient }
  | { readonly identity: string; readonly credentials: TunnelCredentials; readonly hub: { readonly host: string; readonly port: number }; readonly wssUrl?: string };

/** The LAN services to run beside the call path (sbc-agent run). */
export interface AgentLanOptions {
  /** Every LAN served; the call path is on the first (`sip.address`). */
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
  readonly sbc: AgentSbc;
  readonly lan: LanServices | undefined;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #ownsTunnel: boolean;
  readonly #pnpOnlySockets: readonly DatagramSocket[];
  #timer: Timer | undefined;
  #closed: Promise<void> | undefined;

  private constructor(tunnel: TunnelClient, ownsTunnel: boolean, sbc: AgentSbc, lan: LanServices | undefined, pnpOnlySockets: readonly DatagramSocket[], clock: Clock, logger: Logger) {
    this.tunnel = tunnel;
    this.#ownsTunnel = ownsTunnel;
    this.sbc = sbc;
    this.lan = lan;
    this.#pnpOnlySockets = pnpOnlySockets;
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
    let lan: LanServices | undefined;
    let sip = o.sip;
    let sipSockets = new Map<string, DatagramSocket>();
    try {
      if (o.lan !== undefined && o.sip.udpPort !== undefined) {
        const port = o.sip.udpPort;
        sipSockets = await bindSipSockets(o.lan.lans, port);
        lan = await LanServices.open({ clock, logger: o.logger, sipSockets, sipPort: port, ...o.lan });
        const services = lan;
        const callPathSocket = sipSockets.get(o.sip.address);
        if (callPathSocket !== undefined) {
          sip = { ...o.sip, udpSocket: claimDatagrams(callPathSocket, (data, from) => services.claim(data, from)), onStunDatagram: (data, from, via) => services.handleStun(data, from, via) };
        }
      }
      // The other LANs' SIP sockets serve plug-and-play only: their datagrams go to the responder.
      for (const [address, socket] of sipSockets) {
        const services = lan;
        if (address !== o.sip.address && services !== undefined) socket.onMessage((data, from) => void services.claim(data, from));
      }
      const sbc = await AgentSbc.start({
        clock,
        logger: componentLogger(o.logger, 'sbc'),
        sip,
        mediaAddress: o.mediaAddress,
        mediaPorts: o.mediaPorts,
        tunnel,
        ...(o.upstreamExpires === undefined ? {} : { upstreamExpires: o.upstreamExpires }),
      });
      if (owned) tunnel.start();
      const pnpOnly = [...sipSockets].filter(([address]) => address !== o.sip.address).map(([, s]) => s);
      const agent = new Agent(tunnel, owned, sbc, lan, pnpOnly, clock, logger);
      if (o.callsFile !== undefined) agent.#publish(o.callsFile);
      return agent;
    } catch (error) {
      await lan?.close();
      await Promise.all([...sipSockets.values()].map((s) => s.close()));
      if (owned) tunnel.close();
      throw error;
    }
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

  /** The phones registered through the agent now, with the time left on their own registration. */
  registeredPhones(): { aor: string; userAgent: string | null; expiresInS: number }[] {
    const now = this.#clock.now();
    return this.sbc.bindings().filter((b) => b.expiresAt > now).map((b) => ({ aor: b.aor, userAgent: b.userAgent ?? null, expiresInS: Math.round((b.expiresAt - now) / 1000) }));
  }

  /** New calls get 503 from now on; calls up go on (sbc-agent drain, SIGTERM). */
  drain(): void {
    this.sbc.callPath.drain();
  }

  /** Calls with media anchored here (both directions of a call count once). */
  async activeCalls(): Promise<number> {
    const report = await this.sbc.calls();
    return new Set(report.legs.map((l) => l.callId)).size;
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#timer?.cancel();
      await this.sbc.close();
      await this.lan?.close();
      await Promise.all(this.#pnpOnlySockets.map((s) => s.close()));
      if (this.#ownsTunnel) this.tunnel.close();
    })();
    return this.#closed;
  }
}
