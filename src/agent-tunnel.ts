/**
 * The agent's tunnel toward its hub, from the identity `sbc-agent enroll` stored: key, certificate,
 * hub CA and hub addresses (enrollment/README.md). TLS to hub.tunnel first, WSS to hub.wss.url when
 * TLS cannot be established (PROTOCOL.md "Carriage"); reconnects and resumes until closed. The
 * agent's status file (`sbc-agent status`) is rewritten every second while it runs.
 *
 * `outcome` settles once the tunnel is over for good: closed by us, or refused by the hub with a
 * final go-away (PROTOCOL.md "Go-away": REVOKED, UNAUTHORIZED, UNSUPPORTED_VERSION), or when the
 * identity on disk was replaced under it (`enroll --force`; identity-watch.ts).
 */
import { SbcError, componentLogger, realClock, type Clock, type Logger } from './core/index.js';
import type { TunnelConnectorOptions } from './net/index.js';
import { orderedHubConnector, tunnelConnector, type ListedHub, type TunnelCarriage } from './net/index.js';
import { StatusPublisher, completeFileSet, readFileIfExists, type ListenerStatus, type StatusDocument, type TunnelStatus } from './platform/index.js';
import { IdentityWatch } from './identity-watch.js';

/** After GO_AWAY(SUPERSEDED): how often and how long to look for the new identity on disk (5 s). */
const SUPERSEDED_LOOK_MS = 200;
const SUPERSEDED_LOOKS = 25;
import { tunnelStatusOf } from './tunnel-status.js';
import {
  GoAwayReason,
  agentStatePaths,
  createTunnelClient,
  goAwayReasonName,
  loadAgentIdentity,
  type AgentIdentity,
  type AgentStatePaths,
  type SessionOptions,
  type TunnelClient,
} from './tunnel/index.js';

/** The state directory holds no agent identity: `sbc-agent enroll` has not run there. */
export class NotEnrolledError extends SbcError {
  constructor(readonly stateDir: string) {
    super('SBC_ERR_STATE', `this agent is not enrolled (no identity in ${stateDir}); run 'sbc-agent enroll --url URL --key KEY' first`);
  }
}

export type AgentTunnelOutcome =
  | { readonly kind: 'stopped' }
  /** GO_AWAY(REVOKED): the hub's admin revoked this SBC; only a new key (rekey-sbc) re-admits it. */
  | { readonly kind: 'revoked'; readonly message: string }
  /** Another final go-away (UNAUTHORIZED: the hub does not know this certificate; UNSUPPORTED_VERSION). */
  | { readonly kind: 'refused'; readonly reason: string; readonly message: string }
  /** The identity on disk is another one now (`enroll --force`): restart to use it. */
  | { readonly kind: 'replaced'; readonly message: string };

export interface AgentTunnelOptions {
  readonly stateDir: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Where the hub is, instead of the enrolled addresses (tests, the demo): TLS target, WSS URL. */
  readonly hub?: { readonly tls?: { readonly host: string; readonly port: number } | null; readonly wssUrl?: string | null };
  /** agent.hubs (issue 12): tunnel addresses to try in this order; the enrolled hub first when not listed. */
  readonly hubs?: readonly { readonly host: string; readonly port: number }[];
  /** Per carriage attempt; default 10 s. */
  readonly connectTimeoutMs?: number;
  readonly session?: SessionOptions;
  /** Write `<state>/agent/status.json` every second; default true. */
  readonly publishStatus?: boolean;
  /** Settle `outcome` with 'replaced' when hub.json names another certificate; default true. */
  readonly watchIdentity?: boolean;
}

/** The connector settings of an enrolled identity (also for the call path's Agent). */
export function agentConnectorOptions(identity: AgentIdentity, hub: AgentTunnelOptions['hub'] = {}): TunnelConnectorOptions {
  const tls = hub.tls === undefined ? identity.record.hub.tunnel : hub.tls;
  const wssUrl = hub.wssUrl === undefined ? identity.record.hub.wss.url : hub.wssUrl;
  return {
    key: identity.keyPem,
    cert: identity.certPem,
    ca: identity.caPem,
    ...(tls === null ? {} : { tls }),
    ...(wssUrl === null ? {} : { wssUrl }),
  };
}

function hubName(h: { readonly host: string; readonly port?: number }): string {
  return `${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port ?? 5090}`;
}

/**
 * The order the agent tries its hubs in with agent.hubs: as listed, the enrolled hub first when it
 * is not among them (it is the one the agent was enrolled by, and the only one with a WSS URL).
 * `tls` undefined: the enrolled hub's own connector (TLS, then WSS); else TLS to that address.
 */
export function hubOrder(
  enrolled: { readonly host: string; readonly port?: number } | undefined,
  hubs: readonly { readonly host: string; readonly port: number }[],
  enrolledName = 'hub',
): { readonly name: string; readonly tls: { readonly host: string; readonly port: number } | undefined }[] {
  const own = enrolled === undefined ? undefined : hubName(enrolled);
  const listed = hubs.map((h) => ({ name: hubName(h), tls: hubName(h) === own ? undefined : h }));
  return own !== undefined && listed.some((h) => h.name === own) ? listed : [{ name: own ?? enrolledName, tls: undefined }, ...listed];
}

export class AgentTunnel {
  readonly client: TunnelClient;
  readonly identity: AgentIdentity;
  readonly paths: AgentStatePaths;
  readonly outcome: Promise<AgentTunnelOutcome>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #publisher: StatusPublisher | undefined;
  readonly #peer: string;
  readonly #identityWatch: IdentityWatch | undefined;
  #settle: ((outcome: AgentTunnelOutcome) => void) | undefined;
  #startedAt = '';
  #extra: () => { readonly listeners: readonly ListenerStatus[]; readonly parts: Readonly<Record<string, unknown>> } = () => ({ listeners: [], parts: {} });
  #closed: Promise<void> | undefined;

  /** The enrolled hub (TLS, then WSS), or with agent.hubs the hubs in order (hubOrder). */
  #connector(connector: TunnelConnectorOptions, o: AgentTunnelOptions): () => Promise<TunnelCarriage> {
    const timeout = o.connectTimeoutMs === undefined ? {} : { timeoutMs: o.connectTimeoutMs };
    const enrolled = tunnelConnector({ ...connector, ...timeout, onFallback: (error) => this.#logger.info({ err: error.message }, 'TLS to the hub failed; trying WSS') });
    const hubs = o.hubs ?? [];
    if (hubs.length === 0) return enrolled;
    const listed: ListedHub[] = hubOrder(connector.tls, hubs, this.#peer).map((h) => ({
      name: h.name,
      connect: h.tls === undefined ? enrolled : tunnelConnector({ key: connector.key, cert: connector.cert, ca: connector.ca, ...timeout, tls: h.tls }),
    }));
    return orderedHubConnector(listed, (hub, error) => this.#logger.warn({ hub, err: error.message }, 'hub not reachable; trying the next in agent.hubs'));
  }

  private constructor(identity: AgentIdentity, paths: AgentStatePaths, o: AgentTunnelOptions) {
    this.identity = identity;
    this.paths = paths;
    this.#clock = o.clock ?? realClock;
    this.#logger = componentLogger(o.logger, 'agent');
    const connector = agentConnectorOptions(identity, o.hub);
    const target = connector.tls ?? undefined;
    this.#peer = target === undefined ? (connector.wssUrl ?? 'hub') : `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port ?? 5090}`;
    this.client = createTunnelClient({
      ...o.session,
      clock: this.#clock,
      identity: identity.record.sbc.id,
      logger: componentLogger(o.logger, 'tunnel'),
      connect: this.#connector(connector, o),
    });
    this.outcome = new Promise((resolve) => {
      this.#settle = resolve;
      this.client.on('close', (info) => {
        const ended: AgentTunnelOutcome =
          info.reason === GoAwayReason.REVOKED
            ? { kind: 'revoked', message: info.message }
            : info.byPeer
              ? { kind: 'refused', reason: goAwayReasonName(info.reason), message: info.message }
              : { kind: 'stopped' };
        const watch = this.#identityWatch;
        if (info.reason !== GoAwayReason.SUPERSEDED || watch === undefined) return resolve(ended);
        // Enrolling the same SBC again retires its old certificate, and the hub's go-away for it can
        // come before `enroll --force` has put the new files in place: look at the identity on disk
        // a few times (onReplaced settles 'replaced'); if none comes, the hub refused this one.
        let tries = 0;
        const look = (): void => {
          void watch.check().finally(() => {
            if (++tries >= SUPERSEDED_LOOKS) resolve(ended);
            else this.#clock.setTimeout(look, SUPERSEDED_LOOK_MS);
          });
        };
        look();
      });
    });
    this.client.on('open', (e) => this.#logger.info({ resumed: e.resumed, carriage: this.client.stats().peer?.carriage }, 'tunnel up'));
    this.client.on('disconnected', (e) => this.#logger.warn({ reason: e.reason, err: e.error?.message }, 'tunnel down'));
    this.client.on('reconnecting', (e) => this.#logger.info({ attempt: e.attempt, delayMs: Math.round(e.delayMs), err: e.error?.message }, 'tunnel reconnecting'));
    this.#identityWatch =
      o.watchIdentity === false
        ? undefined
        : new IdentityWatch({
            clock: this.#clock,
            path: paths.hub,
            fingerprint: identity.record.certificateFingerprint,
            read: readFileIfExists,
            onReplaced: (now) => {
              const message = `the identity in ${paths.dir} was replaced (now SBC '${now.name}', id ${now.id}); restart to use it`;
              this.#logger.warn({ sbc: now.id }, 'identity replaced on disk; ending the tunnel');
              this.#settle?.({ kind: 'replaced', message });
              void this.close();
            },
          });
    this.#publisher =
      o.publishStatus === false ? undefined : new StatusPublisher(this.#clock, paths.status, () => this.snapshot(), (error) => this.#logger.warn({ err: error }, 'cannot write the status file'));
  }

  /** Loads the enrolled identity; throws NotEnrolledError when there is none. Nothing connects yet. */
  static async open(o: AgentTunnelOptions): Promise<AgentTunnel> {
    const paths = agentStatePaths(o.stateDir);
    // A replacement a crash interrupted after its commit point is finished first (file-set.ts).
    await completeFileSet(paths.dir);
    const identity = await loadAgentIdentity(paths, readFileIfExists);
    if (identity === undefined) throw new NotEnrolledError(o.stateDir);
    return new AgentTunnel(identity, paths, o);
  }

  /** Connects (and keeps reconnecting), and starts the status file. */
  async start(): Promise<void> {
    this.#startedAt = new Date(this.#clock.wallNow()).toISOString();
    this.client.start();
    this.#identityWatch?.start();
    await this.#publisher?.start();
  }

  /** Resolves at the next `open` (or at once when open); rejects if the tunnel ends first. */
  whenOpen(): Promise<void> {
    if (this.client.state === 'open') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const offOpen = this.client.once('open', () => {
        offClose();
        resolve();
      });
      const offClose = this.client.once('close', (info) => {
        offOpen();
        reject(new Error(`the tunnel ended before it came up: ${goAwayReasonName(info.reason)} ${info.message}`));
      });
    });
  }

  status(): TunnelStatus {
    const stats = this.client.stats();
    // The hub's address on the carriage in use (the WSS port after a fallback), else the TLS target.
    const peer = stats.peer === undefined ? this.#peer : stats.peer.address.includes(':') ? `[${stats.peer.address}]:${stats.peer.port}` : `${stats.peer.address}:${stats.peer.port}`;
    return tunnelStatusOf(stats, peer, this.client.session.resumeToken.length > 0);
  }

  /** What the rest of the process adds to the status file (sbc-agent run: listeners and parts). */
  setStatusSource(source: () => { readonly listeners: readonly ListenerStatus[]; readonly parts: Readonly<Record<string, unknown>> }): void {
    this.#extra = source;
  }

  snapshot(): StatusDocument {
    const extra = this.#extra();
    return {
      version: 1,
      role: 'agent',
      pid: process.pid,
      startedAt: this.#startedAt,
      updatedAt: new Date(this.#clock.wallNow()).toISOString(),
      listeners: extra.listeners,
      tunnels: [this.status()],
      parts: extra.parts,
    };
  }

  /** Writes the status file now (the demo prints it right after). */
  publish(): Promise<void> {
    return this.#publisher?.publish() ?? Promise.resolve();
  }

  /** Ends the tunnel with GO_AWAY(NORMAL) and removes the status file. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#identityWatch?.close();
      this.client.close();
      await this.#publisher?.close();
    })();
    return this.#closed;
  }
}
