/**
 * The hub's tunnel service: the TLS 1.3 listener (hub.tunnel, port 5090) and the WSS listener
 * (hub.wss, port 443), both with the hub's server certificate and requiring an agent certificate
 * signed by the hub CA, feeding one TunnelServer. At each handshake (HELLO and RESUME) the agent's
 * certificate must be the current one of an enrolled SBC (enrollment/README.md "The SBC list and
 * revocation"); a revoked one gets GO_AWAY(REVOKED), anything else GO_AWAY(UNAUTHORIZED). When the
 * SBC list changes (the admin ran `hub revoke-sbc` in another process; the hub re-reads the list
 * every second), the live sessions of SBCs no longer admitted are ended the same way.
 *
 *   const hub = await Hub.open({ config, stateDir, logger });
 *   const tunnel = hubTunnelService({ state: hub.state, config: config.hub, clock: hub.clock, logger });
 *   hub.add(tunnel);
 *   await hub.start();
 *   tunnel.streams.register('sip/1', (stream, session) => ...);   // services take their streams here
 *
 * Every stream an agent opens goes through `streams` (PROTOCOL.md "Stream purpose"), shared by
 * all hub services, once a service has registered a label; a hub with none registered (a test hub
 * that listens to its sessions itself) leaves the streams alone.
 */
import { createServer } from 'node:net';
import { componentLogger, type Clock, type Logger } from './core/index.js';
import type { HubConfig } from './config/index.js';
import type { HubService, HubState } from './hub.js';
import { listenTunnelTls, listenTunnelWss, type TunnelCarriage, type TunnelListener, type TunnelPeer } from './net/index.js';
import type { ListenerStatus, TunnelStatus } from './platform/index.js';
import { tunnelStatusOf } from './tunnel-status.js';
import { bindExplained } from './bind-explained.js';
import {
  DEFAULT_RESUME_WINDOW_MS,
  GoAwayReason,
  StreamDispatcher,
  checkAgentCertificate,
  createTunnelServer,
  normalizeFingerprint,
  type GoAway,
  type SessionOptions,
  type TunnelServer,
  type TunnelSession,
} from './tunnel/index.js';

/** What a refused agent reads (and `sbc-agent agent` turns into its message and exit code). */
export const REVOKED_MESSAGE = 'this SBC was revoked by the hub admin';
export const SUPERSEDED_MESSAGE = 'this certificate was replaced by a later enrollment of the same SBC';
export const UNKNOWN_MESSAGE = 'this certificate does not belong to an enrolled SBC; enroll again';

export interface HubTunnelOptions {
  readonly state: HubState;
  /** hub.tunnel and hub.wss: listen address and port (0: any free port). */
  readonly config: Pick<HubConfig, 'tunnel' | 'wss'>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Keep-alive and limits of the sessions (defaults: PROTOCOL.md). */
  readonly session?: SessionOptions;
  /** Default: hub.tunnel.resumeWindow. */
  readonly resumeWindowMs?: number;
  /** The WSS listener; false: TLS only. Default true. */
  readonly wss?: boolean;
}

export interface HubTunnelService extends HubService {
  /** The tunnel server every agent session lands in: the call path listens for `session` here. */
  readonly server: TunnelServer;
  /** The hub's stream dispatcher: each service registers the stream labels it serves. */
  readonly streams: StreamDispatcher;
  /** TLS handshakes refused (no, foreign or expired client certificate). */
  readonly tlsRefused: number;
  /** How long a dropped agent session may be resumed (hub.tunnel.resumeWindow); agents learn it in HELLO(ACK). */
  readonly resumeWindowMs: number;
  /** The enrolled SBC's name for a session (from its certificate), for logs. */
  sbcName(session: TunnelSession): string;
}

function fingerprintOf(peer: TunnelPeer | { readonly fingerprint256: string } | undefined): string | undefined {
  return peer === undefined || peer.fingerprint256 === '' ? undefined : normalizeFingerprint(peer.fingerprint256);
}

function isAccessDenied(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'EACCES';
}

/**
 * Binds and releases the port first: listenTunnelWss's WebSocketServer re-emits a listen error of
 * its HTTPS server as an 'error' event nobody listens to, which would end the process instead of
 * failing start() (EACCES on 443 without root, EADDRINUSE).
 */
function probePort(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/** The go-away for a certificate the hub no longer admits (PROTOCOL.md "Go-away"). */
function refusal(reason: 'revoked' | 'superseded' | 'unknown'): GoAway {
  if (reason === 'revoked') return { reason: GoAwayReason.REVOKED, message: REVOKED_MESSAGE };
  if (reason === 'superseded') return { reason: GoAwayReason.SUPERSEDED, message: SUPERSEDED_MESSAGE };
  return { reason: GoAwayReason.UNAUTHORIZED, message: UNKNOWN_MESSAGE };
}

class HubTunnel implements HubTunnelService {
  readonly name = 'tunnel';
  readonly server: TunnelServer;
  readonly streams: StreamDispatcher;
  readonly resumeWindowMs: number;
  readonly #o: HubTunnelOptions;
  readonly #log: Logger;
  #tls: TunnelListener | undefined;
  #wss: TunnelListener | undefined;
  #tlsRefused = 0;
  #unsubscribe: (() => void) | undefined;
  #closed: Promise<void> | undefined;

  constructor(o: HubTunnelOptions) {
    this.#o = o;
    this.#log = componentLogger(o.logger, 'tunnel');
    this.resumeWindowMs = o.resumeWindowMs ?? o.config.tunnel.resumeWindowMs ?? DEFAULT_RESUME_WINDOW_MS;
    this.server = createTunnelServer({
      ...o.session,
      clock: o.clock,
      identity: o.state.names[0] ?? 'hub',
      logger: this.#log,
      resumeWindowMs: this.resumeWindowMs,
      authorize: (peer) => this.#authorize(peer),
    });
    this.streams = new StreamDispatcher({ clock: o.clock, logger: this.#log });
    this.server.on('session', (s) => {
      this.#log.info({ sbc: this.sbcName(s), peer: s.stats().peer }, 'tunnel session open');
      s.on('stream', (stream) => {
        if (this.streams.labels.length > 0) this.streams.accept(s, stream);
      });
    });
    this.server.on('resumed', (s) => this.#log.info({ sbc: this.sbcName(s), peer: s.stats().peer }, 'tunnel session resumed'));
    this.server.on('refused', ({ peer, goAway }) => this.#log.warn({ peer: `${peer.remoteAddress}:${peer.remotePort}`, subject: peer.subject, reason: goAway.reason, message: goAway.message }, 'tunnel handshake refused'));
  }

  get tlsRefused(): number {
    return this.#tlsRefused;
  }

  /** PROTOCOL.md "Handshake": the certificate TLS verified must be an admitted SBC's current one. */
  #authorize(peer: TunnelPeer): GoAway | undefined {
    const check = checkAgentCertificate(this.#o.state.store, { fingerprint256: peer.fingerprint256 });
    if (!check.ok) return refusal(check.reason);
    const fingerprint = fingerprintOf(peer);
    if (fingerprint !== undefined) {
      this.#o.state.store.markSeen(fingerprint).catch((error: unknown) => this.#log.warn({ err: error }, 'cannot record when the SBC was last seen'));
    }
    return undefined;
  }

  sbcName(session: TunnelSession): string {
    const fingerprint = fingerprintOf(session.stats().peer);
    const match = fingerprint === undefined ? undefined : this.#o.state.store.byCertificateFingerprint(fingerprint);
    return match?.record.name ?? (session.peerIdentity || 'unknown');
  }

  /** Ends the sessions whose SBC is no longer admitted (revoked, or re-enrolled with a new certificate). */
  #recheck(): void {
    for (const session of this.server.sessions()) {
      const peer = session.stats().peer;
      const check = checkAgentCertificate(this.#o.state.store, { fingerprint256: peer?.fingerprint256 ?? '' });
      if (check.ok) continue;
      this.#log.warn({ sbc: this.sbcName(session), reason: check.reason }, 'ending the tunnel of an SBC no longer admitted');
      const goAway = refusal(check.reason);
      session.close(goAway.reason, goAway.message);
    }
  }

  async start(): Promise<void> {
    const { state, config } = this.#o;
    const credentials = { key: state.server.keyPem, cert: state.server.chainPem, ca: state.ca.certPem };
    const onCarriage = (c: TunnelCarriage): void => this.server.accept(c);
    const onHandshakeError = (error: Error, remoteAddress: string): void => {
      this.#tlsRefused++;
      this.#log.warn({ remoteAddress, err: error.message }, 'tunnel TLS handshake refused');
    };
    this.#unsubscribe = state.store.events.on('changed', () => this.#recheck());
    this.#tls = await bindExplained('tcp', config.tunnel.listen, config.tunnel.port, () => listenTunnelTls({ ...credentials, host: config.tunnel.listen, port: config.tunnel.port, onCarriage, onHandshakeError }));
    if (this.#o.wss === false) return;
    try {
      await probePort(config.wss.listen, config.wss.port);
      this.#wss = await listenTunnelWss({ ...credentials, host: config.wss.listen, port: config.wss.port, path: config.wss.path, onCarriage, onHandshakeError });
    } catch (error) {
      // Port 443 needs root (or CAP_NET_BIND_SERVICE): the TLS path still works, so the hub runs on
      // and says loudly why agents behind HTTPS-only networks cannot reach it.
      if (!isAccessDenied(error)) throw error;
      this.#log.error({ err: error, port: config.wss.port }, `WSS tunnel listener not started: port ${config.wss.port} needs root; set hub.wss.port (agents can use TLS only)`);
    }
  }

  listeners(): readonly ListenerStatus[] {
    const out: ListenerStatus[] = [];
    if (this.#tls !== undefined) out.push({ name: 'tunnel', address: this.#tls.address, port: this.#tls.port });
    if (this.#wss !== undefined) out.push({ name: 'wss', address: this.#wss.address, port: this.#wss.port });
    return out;
  }

  tunnels(): readonly TunnelStatus[] {
    return this.server.sessions().map((s) => tunnelStatusOf(s.stats(), this.sbcName(s), true));
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#unsubscribe?.();
      // GO_AWAY(SHUTTING_DOWN) first: a TLS listener's close waits for its connections to end.
      this.server.close();
      this.streams.close();
      await Promise.all([this.#tls?.close(), this.#wss?.close()]);
    })();
    return this.#closed;
  }
}

/** The hub's tunnel listeners and server; `hub.add()` it before `hub.start()`. */
export function hubTunnelService(options: HubTunnelOptions): HubTunnelService {
  return new HubTunnel(options);
}
