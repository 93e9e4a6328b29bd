/**
 * The agent's admin server while `sbc-agent run` runs (src/admin): the API over what `status`,
 * `calls` and `phones` show, the event stream, /metrics and the status page, on agent.admin's
 * addresses (127.0.0.1 by default; `lan` adds every LAN address served). The token is
 * agent.admin.tokenFile, else `<state-dir>/admin-token`, created 0600 at the first start.
 */
import { AdminEvents, AdminMetrics, AdminServer, AGENT_METRICS, AgentWatch, CallPlots, History, adminTokenPath, agentMetrics, agentMode, agentRouter, badField, loadOrCreateAdminToken, loadPages, type AgentAdminSource } from '../admin/index.js';
import { captureFor } from '../capture/index.js';
import { BindError, realClock, type Logger } from '../core/index.js';
import type { AdminConfig } from '../config/index.js';
import type { Agent } from '../agent.js';
import type { AgentTunnel } from '../agent-tunnel.js';
import { bindExplained } from '../bind-explained.js';
import type { ListenerStatus } from '../platform/index.js';
import { InboxFile, decide } from '../pnp/index.js';
import { BlocksFile, agentBlocksPath } from '../blocks-file.js';
import { CidrError, activeBlocks } from '../protect/index.js';
import { entryJson, liftBlock } from './blocks.js';
import type { ChosenLan } from '../net/index.js';
import { statusDocument } from './status.js';

export interface RunAdminOptions {
  readonly config: AdminConfig;
  readonly stateDir: string;
  readonly lans: readonly ChosenLan[];
  readonly agent: Agent;
  readonly tunnel: AgentTunnel;
  /** The `parts` of the status file, as run-status.ts makes them. */
  readonly parts: () => Readonly<Record<string, unknown>>;
  readonly logger: Logger;
  /** The event bus, when the agent's parts publish to it from their start (run.ts); else one is made. */
  readonly events?: AdminEvents;
}

export interface RunAdmin {
  readonly events: AdminEvents;
  readonly server: AdminServer;
  listeners(): ListenerStatus[];
  close(): Promise<void>;
}

/** `lan` in agent.admin.listen stands for every LAN address served (each once). */
export function adminAddresses(listen: readonly string[], lans: readonly ChosenLan[]): string[] {
  return [...new Set(listen.flatMap((a) => (a === 'lan' ? lans.map((l) => l.address) : [a])))];
}

/**
 * Starts the server; on the default addresses a port already taken (another agent on this machine)
 * leaves the agent without its admin server and says so, as agent.admin names no port to insist on.
 */
async function startServer(o: RunAdminOptions, start: () => Promise<AdminServer>): Promise<AdminServer | undefined> {
  try {
    return await start();
  } catch (error) {
    if (!(error instanceof BindError) || o.config.required) throw error;
    o.logger.warn({ err: error.message }, 'admin API not started: its default port is taken; set agent.admin.port to run it');
    return undefined;
  }
}

/**
 * GET /api/blocks and DELETE /api/blocks/{address}: the same file `sbc-agent blocks` reads and
 * changes (`<state>/agent/blocks.json`), which the running protection watches; a bad address is
 * a 400 naming `address`.
 */
export function blocksSource(stateDir: string): Required<Pick<AgentAdminSource, 'blocks' | 'liftBlock'>> {
  const file = new BlocksFile(agentBlocksPath(stateDir));
  return {
    blocks: async () => activeBlocks(await file.read(), realClock.wallNow()).map(entryJson),
    liftBlock: async (address) => {
      try {
        const lifted = await liftBlock(file, address);
        return lifted === undefined ? undefined : entryJson(lifted);
      } catch (error) {
        if (error instanceof CidrError) throw badField('address', error.message);
        throw error;
      }
    },
  };
}

/** The agent's admin event bus; a failing listener is logged, never thrown into the publisher. */
export function runAdminEvents(logger: Logger): AdminEvents {
  return new AdminEvents(realClock, (event, error) => logger.error({ err: error, event }, 'admin event listener failed'));
}

export async function startRunAdmin(o: RunAdminOptions): Promise<RunAdmin | undefined> {
  if (!o.config.enabled) return undefined;
  const { agent, tunnel, stateDir } = o;
  const tokenPath = o.config.tokenFile ?? adminTokenPath(stateDir);
  const { token, created } = await loadOrCreateAdminToken(tokenPath);
  if (created) o.logger.info({ tokenFile: tokenPath }, 'admin token created');
  const events = o.events ?? runAdminEvents(o.logger);
  const inboxFile = new InboxFile(stateDir, realClock);
  const source: AgentAdminSource = {
    status: () => statusDocument(stateDir),
    tunnel: () => tunnel.status(),
    parts: o.parts,
    registrations: () => agent.registeredPhones(),
    phones: () => agent.lan?.inbox.list(),
    decidePhone: async (id, state, extension) => {
      // The same change as `sbc-agent phones approve|reject`: the running inbox watches the file.
      const data = await inboxFile.update((d) => decide(d, id, state, extension));
      return data.phones.find((p) => p.id === id);
    },
    calls: () => agent.callsDocument(),
    // pbx mode: requests the call path could not relay; local mode: calls refused before routing.
    capture: (request) => captureFor(realClock, request),
    ...blocksSource(stateDir),
    callFailures: () => agent.sbcs.reduce((n, s) => {
      const c = s.callPath.counters;
      return n + ('unroutable' in c ? c.unroutable + c.tunnelDown + c.refusedDraining : c.refused + c.noRouting + c.refusedDraining);
    }, 0),
  };
  const watch = new AgentWatch({
    clock: realClock,
    events,
    source: {
      registrations: source.registrations,
      calls: source.calls,
      mode: () => agentMode(o.parts()),
      onTunnel: (listener) => {
        const offOpen = tunnel.client.on('open', (e) => listener(true, { peer: tunnel.status().peer, carriage: tunnel.status().carriage ?? null, resumed: e.resumed }));
        const offDown = tunnel.client.on('disconnected', (e) => listener(false, { peer: tunnel.status().peer, reason: e.reason }));
        return () => {
          offOpen();
          offDown();
        };
      },
    },
  });
  // The plot's last hour: a sample every 10 s (360 in the ring).
  const history = new History({
    clock: realClock, intervalMs: 10_000, windowMs: 3_600_000, fields: ['rttMs', 'calls'],
    sample: async () => {
      const t = tunnel.status();
      const calls = await agent.callsDocument();
      return { rttMs: t.state === 'up' ? (t.rttMs ?? null) : null, calls: new Set(calls.calls.map((c) => c.callId)).size };
    },
  });
  source.history = () => history.series();
  // Each active call's jitter and loss, a sample every 5 s: half an hour per call, at most 100 calls.
  const callPlots = new CallPlots({ clock: realClock, intervalMs: 5_000, capacity: 360, maxCalls: 100, calls: () => agent.callsDocument() });
  source.callPlots = () => callPlots.document();
  const metrics = await AdminMetrics.create(AGENT_METRICS, () => agentMetrics(source, watch));
  const pages = await loadPages('agent');
  const server = await startServer(o, () => AdminServer.start({
    clock: realClock,
    logger: o.logger,
    listen: adminAddresses(o.config.listen, o.lans),
    port: o.config.port,
    token,
    router: agentRouter(source, events),
    events,
    metrics,
    metricsOpen: o.config.metrics === 'open',
    pages,
  }, (address, port, open) => bindExplained('tcp', address, port, open)));
  if (server === undefined) return undefined;
  watch.start();
  history.start();
  callPlots.start();
  let closed: Promise<void> | undefined;
  return {
    events,
    server,
    listeners: () => server.addresses.map((a) => ({ name: 'admin', address: a.address, port: a.port })),
    close: () => {
      closed ??= (async () => {
        watch.close();
        history.close();
        callPlots.close();
        await server.close();
      })();
      return closed;
    },
  };
}
