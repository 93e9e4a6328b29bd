/**
 * The hub's admin server while `sbc-agent hub` runs (src/admin): the SBC list with live state, the
 * add / rekey / revoke / rename operations of `sbc-agent hub ...-sbc` (the same functions,
 * hub-admin.ts), the routing model's version, the event stream, /metrics and the status page with
 * its "Add SBC" form. It listens on hub.admin's addresses (127.0.0.1 by default), is the hub's
 * last service to start, and takes its token from hub.admin.tokenFile, else
 * `<state-dir>/admin-token` (created 0600 at the first start).
 */
import { AdminEvents, AdminMetrics, AdminServer, HUB_METRICS, History, adminTokenPath, callsBySbc, hubMetrics, hubRouter, loadOrCreateAdminToken, loadPages, type HubAdminSource } from '../admin/index.js';
import { BindError, type Logger } from '../core/index.js';
import type { SbcConfig } from '../config/index.js';
import type { Hub, HubService } from '../hub.js';
import type { HubTunnelService } from '../hub-tunnel.js';
import { bindExplained } from '../bind-explained.js';
import type { ListenerStatus } from '../platform/index.js';
import type { CallReport } from '../sbc/index.js';
import { readCdrStore } from '../cdr/index.js';
import { issueSbcKey, keyLifetime } from './hub-admin.js';
import { hubCdrDir } from './hub-cdr.js';

export interface HubAdminServiceOptions {
  readonly hub: Hub;
  readonly config: SbcConfig;
  readonly stateDir: string;
  readonly tunnel: HubTunnelService;
  /** The routing model's version now; undefined without hub.routing. */
  readonly routingVersion: () => number | undefined;
  /** The calls the hub carries (its call path's report); undefined without hub.pbx. */
  readonly calls?: () => Promise<CallReport> | undefined;
  readonly logger: Logger;
}

export interface HubAdminService extends HubService {
  readonly events: AdminEvents;
  /** The server, once started. */
  server(): AdminServer | undefined;
}

export function hubAdminService(o: HubAdminServiceOptions): HubAdminService {
  const { hub, config, tunnel } = o;
  const events = new AdminEvents(hub.clock, (event, error) => o.logger.error({ err: error, event }, 'admin event listener failed'));
  const store = hub.state.store;
  const source: HubAdminSource = {
    sbcs: () => store.list(),
    tunnels: () => tunnel.tunnels?.() ?? [],
    addSbc: (name, expires) => issueSbcKey('add', hub.state, config, name, keyLifetime(expires, config), undefined),
    rekeySbc: (name, expires) => issueSbcKey('rekey', hub.state, config, name, keyLifetime(expires, config), undefined),
    revokeSbc: (name) => store.revoke(name),
    renameSbc: (from, to) => store.rename(from, to),
    routingVersion: o.routingVersion,
    callsBySbc: async () => callsBySbc((await o.calls?.())?.legs ?? [], store.list()),
    // Read from the files, as `sbc-agent hub cdr` does: the store appends whole lines, so a reader
    // sees each record complete or not at all (a torn last line is counted as unreadable).
    cdrs: (filter) => readCdrStore(hubCdrDir(o.stateDir), filter),
  };
  // The hub page's plot: calls per SBC over the last hour, a sample every 10 s; every enrolled SBC
  // has a value (0 without calls), so a line starts when the SBC is added.
  const history = new History({
    clock: hub.clock, intervalMs: 10_000, windowMs: 3_600_000, fields: [],
    sample: async () => {
      const calls = await source.callsBySbc();
      return Object.fromEntries(store.list().filter((r) => r.state !== 'revoked').map((r) => [r.name, calls.get(r.name) ?? 0]));
    },
  });
  source.history = () => history.series();
  let server: AdminServer | undefined;
  let offSession: (() => void) | undefined;
  return {
    name: 'admin',
    events,
    server: () => server,
    async start() {
      const admin = config.hub.admin;
      if (!admin.enabled) return;
      const tokenPath = admin.tokenFile ?? adminTokenPath(o.stateDir);
      const { token, created } = await loadOrCreateAdminToken(tokenPath);
      if (created) o.logger.info({ tokenFile: tokenPath }, 'admin token created');
      offSession = tunnel.server.on('session', (s) => {
        const sbc = tunnel.sbcName(s);
        events.publish('tunnel_up', { sbc, carriage: s.stats().peer?.carriage ?? null });
        s.once('close', (info) => events.publish('tunnel_down', { sbc, reason: info.message }));
      });
      try {
        server = await AdminServer.start({
        clock: hub.clock,
        logger: o.logger,
        listen: admin.listen,
        port: admin.port,
        token,
        router: hubRouter(source, events),
        events,
        metrics: await AdminMetrics.create(HUB_METRICS, () => hubMetrics(source)),
        metricsOpen: admin.metrics === 'open',
        pages: await loadPages('hub'),
        }, (address, port, open) => bindExplained('tcp', address, port, open));
        history.start();
      } catch (error) {
        // On the default addresses a port already taken (another hub on this machine) leaves this
        // hub without its admin server, and says so; a configured address must bind (exit 19).
        if (!(error instanceof BindError) || admin.required) throw error;
        o.logger.warn({ err: error.message }, 'admin API not started: its default port is taken; set hub.admin.port to run it');
      }
    },
    listeners(): readonly ListenerStatus[] {
      return (server?.addresses ?? []).map((a) => ({ name: 'admin', address: a.address, port: a.port }));
    },
    async close() {
      offSession?.();
      history.close();
      await server?.close();
    },
  };
}
