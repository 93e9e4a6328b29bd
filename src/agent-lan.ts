/**
 * What the agent serves on each LAN besides the call path: LAN plug-and-play (the multicast group
 * socket beside the SIP socket; answers and NOTIFYs leave from the SIP socket itself, so phones
 * see a unicast source), the phone inbox, the provisioning relay (HTTP on each LAN address), and
 * a STUN server (UDP and TCP on each LAN address; STUN on the SIP port is answered by the same
 * server through the SIP transport's RFC 7983 demux).
 *
 * Start order: inbox → group socket → relay listeners → STUN listeners; a listener that cannot be
 * bound closes everything opened before it and rejects with a BindError. close() is idempotent.
 */
import { bindExplained } from './bind-explained.js';
import { componentLogger, type Clock, type Logger } from './core/index.js';
import type { AgentPnpConfig, PnpPolicyName } from './config/index.js';
import {
  bindUdp, joinMulticast, listenTcp, startHttpServer,
  type ChosenLan, type DatagramSocket, type SocketAddress, type StreamListener,
} from './net/index.js';
import { InboxFile, PhoneInbox, PnpResponder, ProvisioningRelay, VENDOR_RULES, type PnpStats, type RelayStats, type UpstreamFetcher } from './pnp/index.js';
import { StunServer, type StunServerCounters } from './stun/index.js';

export const PNP_GROUP = '224.0.1.75';

export interface LanServicesOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly stateDir: string;
  readonly lans: readonly ChosenLan[];
  /** The SIP UDP socket of each LAN address (PnP answers leave from it); the caller owns them. */
  readonly sipSockets: ReadonlyMap<string, DatagramSocket>;
  readonly sipPort: number;
  readonly pnp: AgentPnpConfig;
  /** Where the relay gets files; undefined: no relay (`agent.pnp.provisioning: off`). */
  readonly upstream: UpstreamFetcher | undefined;
  /** The upstream is a local template folder (placeholders are filled in). */
  readonly templates: boolean;
  /** 0: no STUN listener of its own. */
  readonly stunPort: number;
  readonly software: string;
}

export interface LanServicesStats {
  readonly pnp: PnpStats;
  readonly relay: RelayStats | undefined;
  readonly stun: StunServerCounters;
  readonly phones: { readonly pending: number; readonly approved: number; readonly rejected: number };
}

export class LanServices {
  readonly inbox: PhoneInbox;
  readonly stun: StunServer;
  readonly #o: LanServicesOptions;
  readonly #log: Logger;
  readonly #responder: PnpResponder;
  readonly #opened: { close(): Promise<void> }[];
  readonly #stunListeners: StreamListener[];
  #relay: ProvisioningRelay | undefined;
  #stopWatching: () => void = () => {};
  #closed: Promise<void> | undefined;

  private constructor(o: LanServicesOptions, inbox: PhoneInbox, responder: PnpResponder, stun: StunServer, opened: { close(): Promise<void> }[], stunListeners: StreamListener[]) {
    this.#o = o;
    this.#log = componentLogger(o.logger, 'lan');
    this.inbox = inbox;
    this.#responder = responder;
    this.stun = stun;
    this.#opened = opened;
    this.#stunListeners = stunListeners;
  }

  static async open(o: LanServicesOptions): Promise<LanServices> {
    const file = new InboxFile(o.stateDir, o.clock);
    const inbox = new PhoneInbox(file, o.pnp.policy, o.clock, componentLogger(o.logger, 'pnp-inbox'));
    inbox.reload();
    const opened: { close(): Promise<void> }[] = [];
    const open = async <T extends { close(): Promise<void> }>(protocol: 'udp' | 'tcp', address: string, port: number, bind: () => Promise<T>): Promise<T> => {
      const socket = await bindExplained(protocol, address, port, bind);
      opened.push(socket);
      return socket;
    };
    try {
      const lans = o.lans.map((lan) => {
        const socket = o.sipSockets.get(lan.address);
        if (socket === undefined) throw new Error(`no SIP socket for the LAN address ${lan.address}`);
        return { address: lan.address, netmask: lan.netmask, socket };
      });
      const group = await open('udp', PNP_GROUP, o.sipPort, () =>
        joinMulticast({ group: PNP_GROUP, port: o.sipPort, interfaceAddresses: o.lans.map((l) => l.address), receiveBufferSize: 4 << 20 }));
      const responder = new PnpResponder({
        clock: o.clock, log: componentLogger(o.logger, 'pnp'), inbox, lans,
        url: { base: o.pnp.urlBase }, relayPort: o.pnp.httpPort,
      });
      group.onMessage((data, from) => responder.handleMulticast(data, from));
      group.onError((error) => o.logger.debug({ err: error.message }, 'pnp group socket error'));
      const stunUdp: { socket: DatagramSocket; ip: 0; port: 0 }[] = [];
      const stunListeners: StreamListener[] = [];
      const services = new LanServices(o, inbox, responder, new StunServer({ clock: o.clock, logger: componentLogger(o.logger, 'stun'), udp: stunUdp, software: o.software }), opened, stunListeners);
      services.setUpstream(o.upstream, o.templates);
      for (const lan of o.lans) {
        if (o.upstream === undefined) break;
        opened.push(await open('tcp', lan.address, o.pnp.httpPort, () =>
          startHttpServer({ host: lan.address, port: o.pnp.httpPort, handler: (req) => services.#handleHttp(req), onError: (e) => o.logger.error({ err: String(e) }, 'relay handler failed') })));
      }
      if (o.stunPort !== 0) {
        for (const lan of o.lans) {
          const udp = await open('udp', lan.address, o.stunPort, () => bindUdp({ address: lan.address, port: o.stunPort }));
          udp.onMessage((data, from) => services.stun.handleDatagram(data, from, udp));
          udp.onError((error) => o.logger.debug({ err: error.message }, 'stun socket error'));
          const tcp = await open('tcp', lan.address, o.stunPort, () => listenTcp({ address: lan.address, port: o.stunPort }));
          tcp.onConnection((connection) => services.stun.handleStream(connection));
          tcp.onError((error) => o.logger.debug({ err: error.message }, 'stun listener error'));
          stunListeners.push(tcp);
        }
      }
      services.#stopWatching = file.watch(() => inbox.reload());
      return services;
    } catch (error) {
      await Promise.all(opened.map((s) => s.close()));
      await inbox.close();
      throw error;
    }
  }

  #handleHttp(request: Parameters<ProvisioningRelay['handle']>[0]): ReturnType<ProvisioningRelay['handle']> {
    const relay = this.#relay;
    if (relay === undefined) return Promise.resolve({ status: 404 });
    return relay.handle(request);
  }

  /** A datagram on a SIP socket that is the phone's answer to our NOTIFY: taken, not passed to SIP. */
  claim(data: Buffer, from: SocketAddress): boolean {
    // Cheap test first: only a response can answer a NOTIFY, and only while one is running.
    if (this.#responder.activeNotifies === 0 || data.length < 8 || data.toString('latin1', 0, 8) !== 'SIP/2.0 ') return false;
    void from;
    return this.#responder.handleUnicast(data);
  }

  /** STUN that arrived on a SIP socket (RFC 7983 demux), answered from that socket. */
  handleStun(data: Buffer, from: { readonly address: string; readonly port: number }, via: DatagramSocket): void {
    this.stun.handleDatagram(data, { family: from.address.includes(':') ? 'IPv6' : 'IPv4', address: from.address, port: from.port }, via);
  }

  /** A configuration reload: the new policy applies to phones seen from now on. */
  setPolicy(policy: PnpPolicyName): void {
    this.inbox.setPolicy(policy);
  }

  /** Replaces where the relay gets files (a configuration reload); its cache starts empty. */
  setUpstream(upstream: UpstreamFetcher | undefined, templates: boolean): void {
    this.#relay = upstream === undefined
      ? undefined
      : new ProvisioningRelay({ upstream, inbox: this.inbox, clock: this.#o.clock, log: componentLogger(this.#o.logger, 'pnp-relay'), rules: VENDOR_RULES, templates, sipPort: this.#o.sipPort });
  }

  listeners(): { name: string; address: string; port: number }[] {
    const out = [{ name: 'pnp-group', address: PNP_GROUP, port: this.#o.sipPort }];
    if (this.#o.upstream !== undefined) for (const lan of this.#o.lans) out.push({ name: 'provisioning', address: lan.address, port: this.#o.pnp.httpPort });
    for (const l of this.#stunListeners) out.push({ name: 'stun', address: l.local.address, port: l.local.port });
    return out;
  }

  stats(): LanServicesStats {
    const phones = { pending: 0, approved: 0, rejected: 0 };
    for (const p of this.inbox.list()) phones[p.state]++;
    return { pnp: { ...this.#responder.stats }, relay: this.#relay === undefined ? undefined : { ...this.#relay.stats }, stun: this.stun.counters, phones };
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#stopWatching();
      this.#responder.close();
      this.stun.close();
      await Promise.all(this.#opened.map((s) => s.close()));
      await this.inbox.close();
      this.#log.debug('LAN services closed');
    })();
    return this.#closed;
  }
}
