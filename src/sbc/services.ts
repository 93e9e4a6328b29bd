/**
 * Composition of the call path on each side, for the composition roots (src/agent.ts, the hub):
 * opens the SIP sockets and the media port pool, wires the tunnel's SIP stream and datagram
 * channels. Start order: media pool → SIP stack → call path → tunnel wiring; close() reverses it.
 */
import { silentLogger, type Clock, type Logger } from '../core/index.js';
import { PortPool, openUdpRelayLeg, type PortRange } from '../media/index.js';
import { admitConnections, bindUdp, listenTcp, listenTls, tcpConnector, type DatagramSocket, type StreamListener } from '../net/index.js';
import { SipStack, SipTransportLayer, type SipTransportName, type TransportTarget } from '../sip/index.js';
import { openLabeledStream, type StreamDispatcher, type TunnelClient, type TunnelSession } from '../tunnel/index.js';
import { AgentCallPath, type AgentCallPathOptions } from './agent-side.js';
import type { SipAuthWatch } from './auth-watch.js';
import { CallMedia, type CallLegInfo } from './call-media.js';
import { HubCallPath } from './hub-side.js';
import { RegistrationCache, type Binding } from './registrations.js';
import { MAX_AGENT_LANS, SipTunnelLink, sipPeerName, sipStreamLabel } from './sip-link.js';

export interface SipListenOptions {
  readonly address: string;
  /** Absent: no listener of that transport. 0: any free port. */
  readonly udpPort?: number;
  readonly tcpPort?: number;
  readonly tlsPort?: number;
  readonly tlsServer?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** A UDP socket already bound (shared with plug-and-play): used instead of binding `udpPort`. The stack closes it. */
  readonly udpSocket?: DatagramSocket;
  /** STUN on the SIP UDP port (RFC 7983 demux): answered by the caller, from that socket. */
  readonly onStunDatagram?: (data: Buffer, from: { readonly address: string; readonly port: number }, via: DatagramSocket) => void;
  /** TCP and TLS connections from a source this refuses are closed at accept (a blocked source). */
  readonly admitConnection?: (address: string) => boolean;
}

/** Binds the listeners of `o` and starts a SIP stack on them (nothing stays bound when one fails). Also the local call path's (src/agent-local.ts). */
export async function openStack(clock: Clock, logger: Logger, o: SipListenOptions): Promise<SipStack> {
  const opened: { close(): Promise<void> }[] = [];
  const open = async <T extends { close(): Promise<void> }>(p: Promise<T>): Promise<T> => {
    const socket = await p;
    opened.push(socket);
    return socket;
  };
  let udp: DatagramSocket | undefined;
  let tcpListener: StreamListener | undefined;
  let tlsListener: StreamListener | undefined;
  try {
    udp = o.udpSocket ?? (o.udpPort === undefined ? undefined : await open(bindUdp({ address: o.address, port: o.udpPort, receiveBufferSize: 4 << 20 })));
    tcpListener = o.tcpPort === undefined ? undefined : await open(listenTcp({ address: o.address, port: o.tcpPort }));
    tlsListener = o.tlsPort === undefined || o.tlsServer === undefined ? undefined : await open(listenTls({ address: o.address, port: o.tlsPort, ...o.tlsServer }));
  } catch (error) {
    // Nothing stays bound when one listener fails.
    await Promise.all(opened.map((s) => s.close()));
    throw error;
  }
  const onStun = o.onStunDatagram;
  const udpSocket = udp;
  const admit = o.admitConnection;
  if (admit !== undefined) {
    tcpListener = tcpListener === undefined ? undefined : admitConnections(tcpListener, (remote) => admit(remote.address));
    tlsListener = tlsListener === undefined ? undefined : admitConnections(tlsListener, (remote) => admit(remote.address));
  }
  const transport = new SipTransportLayer({
    clock,
    logger,
    ...(udp === undefined ? {} : { udp }),
    ...(onStun === undefined || udpSocket === undefined ? {} : { onStunDatagram: (data: Buffer, from: { readonly address: string; readonly port: number }) => onStun(data, from, udpSocket) }),
    tcp: { ...(tcpListener === undefined ? {} : { listener: tcpListener }), connector: tcpConnector() },
    ...(tlsListener === undefined ? {} : { tls: { listener: tlsListener } }),
  });
  const stack = new SipStack({ clock, logger, transport, advertisedHost: o.address });
  stack.start();
  return stack;
}

function mediaFor(clock: Clock, address: string, ports: PortRange, localBridging: boolean): CallMedia {
  const pool = new PortPool(ports);
  return new CallMedia({
    clock,
    edgeAddress: address,
    localBridging,
    openLeg: () => openUdpRelayLeg(pool, (port) => bindUdp({ address, port, receiveBufferSize: 1 << 20 }), { clock }),
  });
}

export interface CallReport {
  readonly side: 'agent' | 'hub';
  readonly legs: readonly CallLegInfo[];
}

export interface AgentSbcOptions {
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly sip: SipListenOptions;
  /** LAN address for media relay legs (what the phones send RTP to). */
  readonly mediaAddress: string;
  readonly mediaPorts: PortRange;
  readonly tunnel: TunnelClient;
  /** Upstream registration lifetime, seconds. */
  readonly upstreamExpires?: number;
  /** Which of the agent's LANs this call path serves (its SIP stream label); default 0. */
  readonly lanIndex?: number;
  /** Told of digest outcomes on the phones' requests (the protection's brute-force count). */
  readonly authWatch?: SipAuthWatch;
  /** A call detail record of each relayed call (relayed-cdr.ts). */
  readonly callRecords?: AgentCallPathOptions['callRecords'];
}

export class AgentSbc {
  readonly stack: SipStack;
  readonly callPath: AgentCallPath;
  readonly media: CallMedia;
  readonly registrations: RegistrationCache;
  #link: SipTunnelLink | undefined;
  #offSession: () => void = () => {};

  private constructor(stack: SipStack, callPath: AgentCallPath, media: CallMedia, registrations: RegistrationCache) {
    this.stack = stack;
    this.callPath = callPath;
    this.media = media;
    this.registrations = registrations;
  }

  static async start(o: AgentSbcOptions): Promise<AgentSbc> {
    const logger = o.logger ?? silentLogger;
    const media = mediaFor(o.clock, o.mediaAddress, o.mediaPorts, true);
    const stack = await openStack(o.clock, logger, o.sip);
    const registrations = new RegistrationCache({ clock: o.clock, ...(o.upstreamExpires === undefined ? {} : { upstreamExpires: o.upstreamExpires }) });
    const callPath = new AgentCallPath({
      clock: o.clock, stack, media, registrations, logger,
      ...(o.authWatch === undefined ? {} : { authWatch: o.authWatch }),
      ...(o.callRecords === undefined ? {} : { callRecords: o.callRecords }),
    });
    // One SIP stream per tunnel session; a resumed session keeps it, a new session gets a new one.
    const label = sipStreamLabel(o.lanIndex ?? 0);
    const sbc = new AgentSbc(stack, callPath, media, registrations);
    const attach = (session: TunnelSession): void => {
      const link = new SipTunnelLink(session, openLabeledStream(session, label), logger);
      sbc.#link = link;
      callPath.attach(link);
    };
    attach(o.tunnel.session);
    const offs = [
      o.tunnel.on('session', attach),
      // Calls through the tunnel wait out the hub's resume window (issue 12), then end (agent-side.ts).
      o.tunnel.on('disconnected', () => callPath.tunnelLost(o.tunnel.session.resumeWindowMs)),
      o.tunnel.on('open', () => callPath.tunnelBack()),
    ];
    sbc.#offSession = () => offs.forEach((off) => off());
    return sbc;
  }

  bindings(): Binding[] {
    return this.registrations.list();
  }

  async calls(): Promise<CallReport> {
    return { side: 'agent', legs: await this.media.list() };
  }

  /** Stops the call path, ends its SIP stream (a LAN taken away while the tunnel stays) and closes the stack. */
  async close(): Promise<void> {
    this.#offSession();
    this.callPath.close();
    if (this.#link !== undefined && !this.#link.closed) this.#link.close();
    await this.stack.close();
  }
}

export interface HubSbcOptions {
  readonly clock: Clock;
  readonly logger?: Logger;
  /** The hub's stream dispatcher: the call path takes the SIP streams of every LAN of an agent (sipStreamLabel). */
  readonly streams: StreamDispatcher;
  /** The hub's SIP address toward the PBX. */
  readonly sip: SipListenOptions;
  readonly pbx: TransportTarget;
  /** The hub's media address toward the PBX. */
  readonly mediaAddress: string;
  readonly mediaPorts: PortRange;
}

export class HubSbc {
  readonly stack: SipStack;
  readonly callPath: HubCallPath;
  readonly media: CallMedia;
  readonly #unregister: () => void;

  private constructor(stack: SipStack, callPath: HubCallPath, media: CallMedia, unregister: () => void) {
    this.stack = stack;
    this.callPath = callPath;
    this.media = media;
    this.#unregister = unregister;
  }

  static async start(o: HubSbcOptions): Promise<HubSbc> {
    const logger = o.logger ?? silentLogger;
    const media = mediaFor(o.clock, o.mediaAddress, o.mediaPorts, false);
    const stack = await openStack(o.clock, logger, o.sip);
    const callPath = new HubCallPath({ clock: o.clock, stack, media, pbx: o.pbx, logger });
    // One SIP stream per LAN of the agent; each LAN is a SIP peer of its own toward the PBX.
    const unregisters = Array.from({ length: MAX_AGENT_LANS }, (_, lan) => o.streams.register(sipStreamLabel(lan), (stream, session) => {
      const peer = sipPeerName(session.peerIdentity, lan);
      const link = new SipTunnelLink(session, stream, logger);
      callPath.attach(peer, link);
      session.on('close', () => callPath.detach(peer, link));
    }));
    return new HubSbc(stack, callPath, media, () => {
      for (const unregister of unregisters) unregister();
    });
  }

  transport(): SipTransportName {
    return this.callPath.pbxTransport;
  }

  async calls(): Promise<CallReport> {
    return { side: 'hub', legs: await this.media.list() };
  }

  async close(): Promise<void> {
    this.#unregister();
    this.callPath.close();
    await this.stack.close();
  }
}
