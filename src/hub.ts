/**
 * The hub's composition root. Start order: state (CA, server certificate, SBC list) → the
 * enrollment HTTPS listener → each added service (the tunnel's TLS and WSS listeners) → the status
 * file and the SBC list refresh; `close()` stops them in reverse order and is idempotent.
 *
 * A service is added before start():
 *   const hub = await Hub.open({ ... });
 *   hub.add(tunnelService(hub.state, ...));   // uses hub.state.server, hub.state.ca, checkAgentCertificate(hub.state.store, cert)
 *   await hub.start();
 */
import { componentLogger, realClock, type Clock, type Logger, type Timer } from './core/index.js';
import type { SbcConfig } from './config/index.js';
import { listenHttpsJson, type HttpsJsonServer } from './net/index.js';
import { StatusPublisher, type ListenerStatus, type StatusDocument, type TunnelStatus } from './platform/index.js';
import { EnrollmentService, MAX_REQUEST_BYTES, type HubAddresses, type ScryptParams } from './tunnel/index.js';
import { discardNewHubState, openHubState, type HubState } from './hub-state.js';
import { bindExplained } from './bind-explained.js';
import { HubLockout } from './hub-lockout.js';

export { NoHubError, openHubAdminState, openHubState, parseSbcListFile, hubCertificateNames, type HubAdminState, type HubState } from './hub-state.js';

/** One part of the running hub. */
export interface HubService {
  readonly name: string;
  start(): Promise<void>;
  /** Idempotent. */
  close(): Promise<void>;
  /** Bound addresses, once started (for the status file and the start-up line). */
  listeners?(): readonly ListenerStatus[];
  /** Live tunnels, for the status file. */
  tunnels?(): readonly TunnelStatus[];
  /** The service's own entries of the status file's `parts` (the CDR store: `cdr`). */
  statusParts?(): Readonly<Record<string, unknown>>;
}

export interface HubOptions {
  readonly config: SbcConfig;
  readonly stateDir: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Cost of the decoy hash for unknown ids (tests lower it together with add-sbc's). */
  readonly scrypt?: ScryptParams;
}

/** The addresses handed to an enrolled agent: the configured public name, else the Host it used. */
export function hubAddresses(config: SbcConfig, names: readonly string[], hostHeader: string | undefined): HubAddresses {
  const fromHost = hostHeader === undefined ? undefined : new URL(`https://${hostHeader}`).hostname.replace(/^\[|\]$/g, '');
  const host = config.hub.publicName ?? fromHost ?? names[0] ?? 'localhost';
  // The TLS name to verify must be in the server certificate.
  const name = names.includes(host) ? host : (names[0] ?? host);
  const wssHost = host.includes(':') ? `[${host}]` : host;
  const wssPort = config.hub.wss.port === 443 ? '' : `:${config.hub.wss.port}`;
  return { name, tunnel: { host, port: config.hub.tunnel.port }, wss: { url: `wss://${wssHost}${wssPort}${config.hub.wss.path}` } };
}

class EnrollmentListener implements HubService {
  readonly name = 'enrollment';
  readonly #state: HubState;
  readonly #options: HubOptions;
  readonly #clock: Clock;
  #server: HttpsJsonServer | undefined;
  #lockout: HubLockout | undefined;

  constructor(state: HubState, options: HubOptions, clock: Clock) {
    this.#state = state;
    this.#options = options;
    this.#clock = clock;
  }

  async start(): Promise<void> {
    const { config, logger } = this.#options;
    const log = componentLogger(logger, 'enrollment');
    // Lockouts persist in <state>/hub/blocks.json; `hub unlock ADDRESS` lifts one (hub-lockout.ts).
    const limiter = await HubLockout.open(config.hub, this.#options.stateDir, this.#clock, log);
    this.#lockout = limiter;
    const service = new EnrollmentService({
      store: this.#state.store,
      ca: this.#state.ca,
      limiter,
      clock: this.#clock,
      logger: log,
      addresses: (host) => hubAddresses(config, this.#state.names, host),
      ...(this.#options.scrypt === undefined ? {} : { scrypt: this.#options.scrypt }),
    });
    this.#server = await bindExplained('tcp', config.hub.enrollment.listen, config.hub.enrollment.port, () => listenHttpsJson({
      host: config.hub.enrollment.listen,
      port: config.hub.enrollment.port,
      key: this.#state.server.keyPem,
      cert: this.#state.server.chainPem,
      maxBodyBytes: MAX_REQUEST_BYTES,
      handler: (request) => service.handle(request),
      onError: (error) => log.error({ err: error }, 'enrollment request failed'),
    }));
  }

  listeners(): readonly ListenerStatus[] {
    return this.#server === undefined ? [] : [{ name: 'enrollment', address: this.#server.local.address, port: this.#server.local.port }];
  }

  async close(): Promise<void> {
    await this.#server?.close();
    await this.#lockout?.close();
  }
}

export class Hub {
  readonly state: HubState;
  readonly #clock: Clock;
  readonly #services: HubService[] = [];
  readonly #logger: Logger;
  #status: StatusPublisher | undefined;
  #refresh: Timer | undefined;
  #startedAt = '';
  #started = false;
  #closed: Promise<void> | undefined;

  private constructor(state: HubState, options: HubOptions, clock: Clock) {
    this.state = state;
    this.#clock = clock;
    this.#logger = componentLogger(options.logger, 'hub');
    this.#services.push(new EnrollmentListener(state, options, clock));
  }

  /** Opens (and on first use creates) the hub's state; nothing listens yet. */
  static async open(options: HubOptions): Promise<Hub> {
    const clock = options.clock ?? realClock;
    const state = await openHubState(options.stateDir, options.config.hub, clock);
    return new Hub(state, options, clock);
  }

  get clock(): Clock {
    return this.#clock;
  }

  /** Adds a service started after the enrollment listener, in the order added. */
  add(service: HubService): void {
    if (this.#started) throw new Error('Hub.add() must be called before start()');
    this.#services.push(service);
  }

  listeners(): ListenerStatus[] {
    return this.#services.flatMap((s) => [...(s.listeners?.() ?? [])]);
  }

  /** Live tunnels, as the status file lists them. */
  tunnels(): TunnelStatus[] {
    return this.#services.flatMap((s) => [...(s.tunnels?.() ?? [])]);
  }

  #snapshot(): StatusDocument {
    const parts = Object.assign({}, ...this.#services.map((s) => s.statusParts?.() ?? {})) as Record<string, unknown>;
    return {
      version: 1,
      role: 'hub',
      pid: process.pid,
      startedAt: this.#startedAt,
      updatedAt: new Date(this.#clock.wallNow()).toISOString(),
      listeners: this.listeners(),
      tunnels: this.tunnels(),
      ...(Object.keys(parts).length === 0 ? {} : { parts }),
    };
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#startedAt = new Date(this.#clock.wallNow()).toISOString();
    try {
      for (const service of this.#services) {
        await service.start();
        this.#logger.info({ service: service.name, listeners: service.listeners?.() ?? [] }, 'hub service started');
      }
    } catch (error) {
      // A listener that cannot bind stops the hub whole: nothing stays half-started, and a CA
      // made by this first start goes too.
      await this.close();
      await discardNewHubState(this.state);
      throw error;
    }
    // Admin commands change the SBC list from other processes; pick their changes up each second.
    this.#refresh = this.#clock.setInterval(() => {
      this.state.store.reload().catch((error: unknown) => this.#logger.error({ err: error }, 'cannot re-read the SBC list'));
    }, 1000);
    this.#status = new StatusPublisher(this.#clock, this.state.paths.status, () => this.#snapshot(), (error) => this.#logger.warn({ err: error }, 'cannot write the status file'));
    await this.#status.start();
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#refresh?.cancel();
      await this.#status?.close();
      for (const service of [...this.#services].reverse()) {
        await service.close().catch((error: unknown) => this.#logger.error({ err: error, service: service.name }, 'service did not close cleanly'));
      }
    })();
    return this.#closed;
  }
}
