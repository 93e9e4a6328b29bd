/**
 * The agent's composition root: the tunnel client toward the hub, the SBC call path for the LAN
 * phones, and (with `lan`) the LAN services beside it on the same SIP socket: plug-and-play, the
 * provisioning relay and STUN (agent-lan.ts). Each LAN gets a call path of its own (its SIP stack,
 * media on its address, its SIP stream in the tunnel: the hub sees each LAN as a SIP peer), and a
 * reload may add and remove LANs while the others keep their calls. Start order: tunnel client →
 * per LAN, SIP socket then call path → LAN services → tunnel start → calls file; a step that fails
 * closes the ones before it. close() reverses it and is idempotent. With `local` (agent.calls: local)
 * each LAN gets the local call path instead (agent-local.ts): the agent's own registrar and call
 * control; the tunnel and the LAN services are the same.
 */
import { bindExplained } from './bind-explained.js';
import { componentLogger, realClock, type Clock, type Logger, type Timer } from './core/index.js';
import type { AgentPnpConfig, PnpPolicyName } from './config/index.js';
import type { PortRange } from './media/index.js';
import { bindUdp, claimDatagrams, tunnelConnector, type ChosenLan, type DatagramSocket, type TunnelCredentials } from './net/index.js';
import { writeFileAtomic } from './platform/index.js';
import type { UpstreamFetcher } from './pnp/index.js';
import { AgentSbc, MAX_AGENT_LANS, callsReport, type CallReport, type CallsDocument, type SipListenOptions } from './sbc/index.js';
import { createTunnelClient, type TunnelClient } from './tunnel/index.js';
import { LanServices } from './agent-lan.js';
import { LocalControl, LocalLanPath, type LocalControlOptions, type LocalRegistrationRow } from './agent-local.js';
import type { B2buaEvent } from './b2bua/index.js';
import type { CdrRecord, RoutingModel } from './routing/index.js';
import type { ProtectionGuard } from './protect/index.js';
import type { SurvivalMode } from './survival/index.js';
import type { LocalCallPath } from './b2bua/index.js';
import { CombinedLocator, RelayedPhones, dispatchLan, registrationModel } from './agent-survival.js';

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
  /** Local call control: the agent's registrar and B2BUA on each LAN instead of the path toward the PBX. */
  readonly local?: { readonly routing: () => RoutingModel | undefined; readonly dir: string; readonly sbcName: string; readonly onCdr?: (record: CdrRecord) => void; readonly onEvent?: (event: B2buaEvent) => void; readonly onTrunk?: LocalControlOptions['onTrunk']; readonly musicOnHold?: Int16Array };
  /**
   * Brute-force, flood and scanner protection of the LAN SIP ports: blocked sources' datagrams are
   * dropped before the SIP stack parses them, their connections closed at accept.
   */
  readonly protection?: ProtectionGuard;
  /**
   * `agent.calls: auto` (issue 12), with `local`: each LAN keeps its path toward the PBX and gets
   * the local call path beside it; new requests go to the local one while `mode()` is not normal.
   */
  readonly survival?: { readonly mode: () => SurvivalMode };
  /** A call detail record of each call relayed to the PBX, as the branch saw it (src/sbc/relayed-cdr.ts). */
  readonly relayedCdr?: { readonly sbcName: string; readonly onCdr: (record: CdrRecord) => void };
}

/** The media port range cut in two at an even port (RTP even, RTCP odd: RFC 3550 §11). */
function splitPorts(range: PortRange): { readonly pbx: PortRange; readonly local: PortRange } {
  const mid = range.min + 2 * Math.floor((range.max - range.min + 1) / 4);
  return { pbx: { min: range.min, max: mid - 1 }, local: { min: mid, max: range.max } };
}

/** A LAN's call path: toward the PBX (pbx mode) or the agent's own (local mode). */
export type LanCallPath = AgentSbc | LocalLanPath;

/** One LAN's call path: its SIP socket (shared with plug-and-play) and the SBC on it. */
interface LanPath {
  readonly lan: ChosenLan;
  /** Its place among the agent's LANs: names its SIP stream (sip-lanN/1), stable while it is served. */
  readonly index: number;
  readonly socket: DatagramSocket;
  readonly sbc: LanCallPath;
}

export interface LanChange {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly failed: readonly { readonly address: string; readonly error: unknown }[];
}

export class Agent {
  readonly tunnel: TunnelClient;
  readonly #o: AgentOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #ownsTunnel: boolean;
  /** The LAN options as they are now (a reload changes the policy, the upstream, the LANs). */
  #lanOptions: AgentLanOptions | undefined;
  #paths: LanPath[] = [];
  /** The call path when the agent runs without LAN services (tests, benchmarks). */
  #plain: LanCallPath | undefined;
  #local: LocalControl | undefined;
  /** auto: the local call path beside each LAN's path toward the PBX (drained with it). */
  readonly #beside = new Map<LanCallPath, LocalCallPath>();
  #lan: LanServices | undefined;
  #timer: Timer | undefined;
  #closed: Promise<void> | undefined;

  private constructor(tunnel: TunnelClient, ownsTunnel: boolean, o: AgentOptions, clock: Clock, logger: Logger) {
    this.tunnel = tunnel;
    this.#ownsTunnel = ownsTunnel;
    this.#o = o;
    this.#lanOptions = o.lan;
    this.#clock = clock;
    this.#logger = logger;
  }

  /** One call path per LAN, in LAN order. */
  get sbcs(): LanCallPath[] {
    return this.#plain !== undefined ? [this.#plain] : this.#paths.map((p) => p.sbc);
  }

  /** The first LAN's call path toward the PBX. */
  get sbc(): AgentSbc {
    const first = this.sbcs[0];
    if (first === undefined) throw new Error('the agent has no call path');
    if (!(first instanceof AgentSbc)) throw new Error('the agent controls calls locally: no call path toward the PBX');
    return first;
  }

  /** `pbx`: outbound proxy toward the PBX; `local`: the agent's own registrar and call control; `auto`: by the survival mode. */
  get callControl(): 'pbx' | 'local' | 'auto' {
    if (this.#local === undefined) return 'pbx';
    return this.#o.survival === undefined ? 'local' : 'auto';
  }

  /** The paths toward the PBX, one per LAN (all of them in pbx and auto modes). */
  get pbxPaths(): AgentSbc[] {
    return this.sbcs.filter((s): s is AgentSbc => s instanceof AgentSbc);
  }

  /**
   * Failback, once normal mode is back (issue 12): the BLF subscriptions the agent served itself
   * end with `deactivated`, and so do the watchers of the shared upstream subscriptions made before
   * the outage (a restarted PBX has lost them), so every phone subscribes again (RFC 6665 §4.1.3),
   * now toward the PBX.
   */
  resubscribe(): void {
    this.#local?.watchers?.terminateAll('deactivated');
    for (const sbc of this.pbxPaths) sbc.callPath.subscriptions.reset();
  }

  /** The local mode's registrar, digest checks and call handler; undefined in pbx mode. */
  get local(): LocalControl | undefined {
    return this.#local;
  }

  /** Plug-and-play, the provisioning relay and STUN, when the agent runs them. */
  get lan(): LanServices | undefined {
    return this.#lan;
  }

  /** The protection of the LAN SIP ports, for a component that verifies digests itself (a local registrar). */
  get protection(): ProtectionGuard | undefined {
    return this.#o.protection;
  }

  /** The LANs served now. */
  get lans(): ChosenLan[] {
    return this.#paths.map((p) => p.lan);
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
    const agent = new Agent(tunnel, owned, o, clock, logger);
    try {
      if (o.local !== undefined) {
        const routing = o.local.routing;
        const survival = o.survival;
        const relayed = new RelayedPhones(clock, () => agent.pbxPaths);
        const local = await LocalControl.open({
          clock, logger: o.logger, dir: o.local.dir, routing, ...(o.local.onCdr === undefined ? {} : { onCdr: o.local.onCdr }),
          ...(o.local.onEvent === undefined ? {} : { onEvent: o.local.onEvent }), ...(o.local.onTrunk === undefined ? {} : { onTrunk: o.local.onTrunk }),
          ...(o.local.musicOnHold === undefined ? {} : { musicOnHold: o.local.musicOnHold }),
          ...(survival === undefined ? {} : {
            // No snapshot: route by the registrations relayed to the PBX (agent-survival.ts).
            routing: () => routing() ?? registrationModel(agent.#local?.locator.registered() ?? []),
            locator: (registrar) => new CombinedLocator(registrar, relayed),
            learnedThroughPbx: (request, source) => relayed.learned(request, source),
            survival: () => survival.mode() !== 'normal',
            // MWI in survival: the last summary the PBX sent through any LAN's shared subscriptions.
            messageSummary: (user) => agent.pbxPaths.map((p) => p.callPath.subscriptions.lastMessageSummary(user)).find((m) => m !== undefined),
          }),
        });
        agent.#local = local;
        // The local registrar verifies digests itself: its outcomes count toward the same blocks
        // as the PBX's answers do in pbx mode (10 failures from one source block it).
        const guard = o.protection;
        if (guard !== undefined) {
          local.registrar.on('auth-failure', (e) => guard.authFailed(e.source.address));
          local.registrar.on('register', (b) => guard.authSucceeded(b.target.host));
        }
      }
      if (o.lan !== undefined && o.sip.udpPort !== undefined) {
        if (o.lan.lans.length > MAX_AGENT_LANS) throw new Error(`at most ${MAX_AGENT_LANS} LANs (${o.lan.lans.length} given)`);
        // All or nothing at start: the first LAN that cannot be served stops the agent.
        for (const [index, lan] of o.lan.lans.entries()) agent.#paths.push(await agent.#openPath(lan, index, o.sip.udpPort));
        agent.#lan = await agent.#openLanServices();
      } else {
        agent.#plain = await agent.#startSbc(o.sip, o.mediaAddress, 0);
      }
      const first = agent.sbcs[0];
      if (agent.#local !== undefined && o.local !== undefined && first !== undefined) {
        // auto: the two call paths share the LAN address, so each gets its own half of the ports.
        const mediaPorts = o.survival === undefined ? o.mediaPorts : splitPorts(o.mediaPorts).local;
        await agent.#local.startCalls({ stack: first.stack, mediaAddress: agent.#paths[0]?.lan.address ?? o.mediaAddress, mediaPorts, sbcName: o.local.sbcName });
      }
      if (owned) tunnel.start();
      if (o.callsFile !== undefined) agent.#publish(o.callsFile);
      return agent;
    } catch (error) {
      await agent.close();
      throw error;
    }
  }

  async #startSbc(sip: SipListenOptions, mediaAddress: string, lanIndex: number): Promise<LanCallPath> {
    const local = this.#local;
    const survival = this.#o.survival;
    if (local !== undefined && survival === undefined) return LocalLanPath.start({ clock: this.#clock, logger: this.#o.logger, sip, control: local });
    const sbc = await AgentSbc.start({
      clock: this.#clock,
      logger: componentLogger(this.#o.logger, 'sbc'),
      sip,
      mediaAddress,
      mediaPorts: survival === undefined ? this.#o.mediaPorts : splitPorts(this.#o.mediaPorts).pbx,
      tunnel: this.tunnel,
      lanIndex,
      ...(this.#o.protection === undefined ? {} : { authWatch: this.#o.protection }),
      ...(this.#o.relayedCdr === undefined ? {} : { callRecords: { agent: this.#o.relayedCdr.sbcName, onCdr: this.#o.relayedCdr.onCdr } }),
      ...(this.#o.upstreamExpires === undefined ? {} : { upstreamExpires: this.#o.upstreamExpires }),
    });
    if (local !== undefined && survival !== undefined) this.#beside.set(sbc, dispatchLan(sbc, local, survival.mode, this.#o.logger));
    return sbc;
  }

  /**
   * Binds a LAN's SIP socket (no SO_REUSEADDR: a second agent on the port must fail) and starts its
   * call path on it; datagrams the LAN services claim (answers to our NOTIFYs) and STUN go to them.
   */
  async #openPath(lan: ChosenLan, index: number, port: number): Promise<LanPath> {
    const socket = await bindExplained('udp', lan.address, port, () => bindUdp({ address: lan.address, port, receiveBufferSize: 4 << 20 }));
    const guard = this.#o.protection;
    try {
      const sbc = await this.#startSbc({
        ...this.#o.sip,
        address: lan.address,
        udpSocket: claimDatagrams(socket, (data, from) => guard?.dropDatagram(data, from.address) === true || (this.#lan?.claim(data, from) ?? false)),
        ...(guard === undefined ? {} : { admitConnection: (address: string) => guard.admitConnection(address) }),
        onStunDatagram: (data, from, via) => this.#lan?.handleStun(data, from, via),
      }, lan.address, index);
      return { lan, index, socket, sbc };
    } catch (error) {
      await socket.close();
      throw error;
    }
  }

  #openLanServices(): Promise<LanServices> {
    const o = this.#lanOptions;
    const port = this.#o.sip.udpPort;
    if (o === undefined || port === undefined) throw new Error('the agent runs no LAN services');
    return LanServices.open({
      ...o,
      clock: this.#clock,
      logger: this.#o.logger,
      lans: this.#paths.map((p) => p.lan),
      sipSockets: new Map(this.#paths.map((p) => [p.lan.address, p.socket])),
      sipPort: port,
    });
  }

  /**
   * Serves another set of LANs (a configuration reload): LANs no longer named lose their call path
   * (their calls end), new ones get theirs; the calls and registrations of the LANs kept are
   * untouched, and so is the tunnel. Plug-and-play and STUN restart on the new set.
   */
  async setLans(lans: readonly ChosenLan[]): Promise<LanChange> {
    const port = this.#o.sip.udpPort;
    if (this.#lanOptions === undefined || port === undefined) throw new Error('the agent runs no LAN services');
    const wanted = new Set(lans.map((l) => l.address));
    const removed = this.#paths.filter((p) => !wanted.has(p.lan.address));
    const added = lans.filter((l) => !this.#paths.some((p) => p.lan.address === l.address));
    const failed: { address: string; error: unknown }[] = [];
    if (removed.length === 0 && added.length === 0) return { added: [], removed: [], failed };
    await this.#lan?.close();
    this.#lan = undefined;
    for (const path of removed) {
      this.#beside.get(path.sbc)?.close();
      this.#beside.delete(path.sbc);
      await path.sbc.close();
    }
    this.#paths = this.#paths.filter((p) => wanted.has(p.lan.address));
    for (const lan of added) {
      const index = Array.from({ length: MAX_AGENT_LANS }, (_, i) => i).find((i) => !this.#paths.some((p) => p.index === i));
      try {
        if (index === undefined) throw new Error(`at most ${MAX_AGENT_LANS} LANs`);
        this.#paths.push(await this.#openPath(lan, index, port));
      } catch (error) {
        failed.push({ address: lan.address, error });
      }
    }
    this.#paths.sort((a, b) => a.index - b.index);
    this.#lanOptions = { ...this.#lanOptions, lans: this.#paths.map((p) => p.lan) };
    if (this.#paths.length > 0) this.#lan = await this.#openLanServices();
    return { added: added.map((l) => l.address).filter((a) => !failed.some((f) => f.address === a)), removed: removed.map((p) => p.lan.address), failed };
  }

  /** A reload: the plug-and-play policy from now on (kept across a LAN change). */
  setPolicy(policy: PnpPolicyName): void {
    if (this.#lanOptions !== undefined) this.#lanOptions = { ...this.#lanOptions, pnp: { ...this.#lanOptions.pnp, policy } };
    this.#lan?.setPolicy(policy);
  }

  /** A reload: where the provisioning relay gets files from now on. */
  setUpstream(upstream: UpstreamFetcher | undefined, templates: boolean): void {
    if (this.#lanOptions !== undefined) this.#lanOptions = { ...this.#lanOptions, upstream, templates };
    this.#lan?.setUpstream(upstream, templates);
  }

  async #report(): Promise<CallReport> {
    const reports = await Promise.all(this.sbcs.map((s) => s.calls()));
    return { side: 'agent', legs: reports.flatMap((r) => r.legs) };
  }

  /** The calls document of `sbc-agent calls --json`, now (the admin API's /api/calls). */
  async callsDocument(): Promise<CallsDocument> {
    return callsReport(await this.#report(), this.#clock.wallNow());
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
    const local = this.#local?.rows().map((r) => ({ aor: r.extension, userAgent: r.userAgent, expiresInS: r.expiresInS })) ?? [];
    if (this.callControl === 'local') return local;
    const now = this.#clock.now();
    return [...local, ...this.sbcs.flatMap((s) => (s instanceof AgentSbc ? s.bindings() : [])).filter((b) => b.expiresAt > now).map((b) => ({ aor: b.aor, userAgent: b.userAgent ?? null, expiresInS: Math.round((b.expiresAt - now) / 1000) }))];
  }

  /** Local mode: every binding of the local registrar, for `status`. */
  localRegistrations(): LocalRegistrationRow[] {
    return this.#local?.rows() ?? [];
  }

  /** New calls get 503 from now on; calls up go on (sbc-agent drain, SIGTERM). */
  drain(): void {
    for (const sbc of this.sbcs) {
      sbc.callPath.drain();
      this.#beside.get(sbc)?.drain();
    }
  }

  /** Calls refused while draining, on every LAN. */
  get refusedDraining(): number {
    return this.sbcs.reduce((n, s) => n + s.callPath.counters.refusedDraining + (this.#beside.get(s)?.counters.refusedDraining ?? 0), 0);
  }

  /** Calls with media anchored here (both directions of a call count once). */
  async activeCalls(): Promise<number> {
    if (this.callControl === 'local') return this.#local?.activeCalls() ?? 0;
    const report = await this.#report();
    return new Set(report.legs.map((l) => l.callId)).size + (this.#local?.activeCalls() ?? 0);
  }

  /** Calls the agent routed itself (survival calls, `agent.calls: auto`): failback when-idle waits for 0. */
  survivalCalls(): number {
    return this.#local?.activeCalls() ?? 0;
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#timer?.cancel();
      await this.#local?.endCalls();
      await this.#lan?.close();
      for (const sbc of this.sbcs) await sbc.close();
      // The stacks closed their sockets; closing again is harmless (idempotent).
      await Promise.all(this.#paths.map((p) => p.socket.close()));
      await this.#local?.close();
      if (this.#ownsTunnel) this.tunnel.close();
    })();
    return this.#closed;
  }
}
