/**
 * `sbc-agent hub`: runs the hub (`hub` or `hub run`), or manages its SBCs (`hub add-sbc`...).
 */
import { isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { UsageError, createLogger, describeError, type Logger, type Timer } from '../core/index.js';
import type { SbcConfig } from '../config/index.js';
import { Hub } from '../hub.js';
import { hubCdrService } from '../hub-cdr.js';
import { hubSipEchoService } from '../hub-sip-echo.js';
import { hubProvisioningService } from '../hub-provisioning.js';
import { HubPbxHealth } from '../hub-pbx-health.js';
import { HubRouting } from '../hub-routing.js';
import { HubBuiltinPbx, builtinPbxDir } from '../hub-pbx.js';
import { hubTunnelService } from '../hub-tunnel.js';
import { hubCallPathService } from '../sbc/index.js';
import type { TunnelSession } from '../tunnel/index.js';
import { parseArgs, type ParsedArgs } from './args.js';
import type { Command, CommandIo } from './command.js';
import { EXIT } from './exit-codes.js';
import { checkListeners, hubListeners } from './bind-check.js';
import { hubUnlock } from './blocks.js';
import { issueKey, listSbcs, renameSbc, revokeSbc } from './hub-admin.js';
import { hubCdrDir, listCdrs } from './hub-cdr.js';
import { importExtensions } from './hub-import.js';
import { hubAdminService } from './hub-admin-service.js';
import { COMMON_VALUES, commonContext, hostPort, reportErrors } from './hub-common.js';
import { ServiceSignals } from './signals.js';
import { startQuietCollector } from './quiet-memory.js';
import type { QuietCollector } from '../platform/index.js';
import { systemdNotifier } from './systemd-notifier.js';

const USAGE = `Usage: sbc-agent hub [run] [--config FILE] [--state-dir DIR] [--listen ADDR] [--enroll-port N] [--public-name NAME]
       sbc-agent hub add-sbc --name NAME [--expires 7d] [--url-host HOST[:PORT]] [--json]
       sbc-agent hub list-sbc [--json]
       sbc-agent hub revoke-sbc NAME
       sbc-agent hub rekey-sbc NAME [--expires 7d] [--url-host HOST[:PORT]] [--json]
       sbc-agent hub rename-sbc OLD NEW
       sbc-agent hub cdr [--json] [--since 2h|ISO-8601] [--sbc NAME] [--limit N]
       sbc-agent hub unlock ADDRESS
       sbc-agent hub import-extensions FILE.csv [--realm REALM] [--json]

Runs the hub (the HTTPS enrollment endpoint, port 5001 by default, and the tunnel listeners), or
manages the SBCs it enrolls. Every subcommand takes --config FILE and --state-dir DIR.

  run           run the hub until SIGINT or SIGTERM (the default)
  add-sbc       add an SBC; prints its provisioning URL, a one-time auth key and the hub fingerprint
  list-sbc      list the SBCs: state, enrollment, last seen, key
  revoke-sbc    revoke an SBC: its tunnel is refused at the next handshake
  rekey-sbc     a new one-time key for an SBC (its current certificate stays valid until it re-enrolls)
  rename-sbc    rename an SBC (its id and certificate stay)
  cdr           the call detail records the agents uploaded, oldest first (read-only; the hub
                need not run): time, agent, direction, caller → callee, talk seconds, how and by
                whom it ended, final destination, survival; --json: one record per line
  unlock        lift the enrollment lockout of an address (too many wrong keys), on a running hub too
  import-extensions  extensions from a CSV (number,name,password,department,outboundCallerId,
                emergencyCallerId,homeAgent,enabled) into the routing file of hub.routing: new ones
                added, existing ones updated (their forwarding kept), passwords stored as HA1s,
                version + 1; a running hub pushes it to its agents

  --expires D   how long the key stays valid: 30s, 15m, 12h, 7d (default hub.keyLifetime, 7d)
  --url-host H  the host (and port) agents reach the hub by, for the URL (default hub.publicName)
  --json        print one JSON object (add-sbc: name, id, url, key, fingerprint, expiresAt)
  --since T     cdr: records that started within 30m, 2h, 7d... or since an ISO-8601 date/time (UTC)
  --sbc NAME    cdr: one agent's records
  --limit N     cdr: the N most recent
  --listen A    listen address for every hub listener (overrides the configuration)
  --enroll-port N  enrollment port (0: any free port; the start-up line says which)
  --public-name N  the hub's public name (overrides hub.publicName)
`;

/** How often `systemctl status` gets a fresh STATUS= line. */
const NOTIFY_STATUS_INTERVAL_MS = 5000;

/** "2 tunnels up, listening enrollment 0.0.0.0:5001, tunnel 0.0.0.0:5090, wss 0.0.0.0:443". */
export function hubStatusLine(hub: Pick<Hub, 'listeners' | 'tunnels'>): string {
  const up = hub.tunnels().filter((t) => t.state === 'up').length;
  const listening = hub.listeners().map((l) => `${l.name} ${hostPort(l.address, l.port)}`).join(', ');
  return `${up} tunnel${up === 1 ? '' : 's'} up, listening ${listening}`;
}

function runOverrides(config: SbcConfig, args: ReturnType<typeof parseArgs>): SbcConfig {
  const listen = args.values.get('listen');
  if (listen !== undefined && isIP(listen) === 0) throw new UsageError(`--listen '${listen}' is not an IP address`);
  const portText = args.values.get('enroll-port');
  const port = portText === undefined ? config.hub.enrollment.port : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--enroll-port '${portText ?? ''}' is not a port number`);
  const publicName = args.values.get('public-name') ?? config.hub.publicName;
  const at = (l: { listen: string; port: number }) => ({ ...l, listen: listen ?? l.listen });
  return {
    ...config,
    hub: { ...config.hub, publicName, enrollment: { ...at(config.hub.enrollment), port }, tunnel: at(config.hub.tunnel), wss: { ...at(config.hub.wss), path: config.hub.wss.path } },
  };
}

/**
 * SIGHUP: the log level of hub.yaml applies at once and the routing file is read again now (it is
 * also polled every second). Listeners, certificates and the PBX address need a restart; a file that
 * does not load changes nothing, and the log says why.
 */
async function reloadHub(args: ParsedArgs, logger: Logger, routing: HubRouting<TunnelSession> | undefined): Promise<void> {
  try {
    const { config } = await commonContext(args, 'hub');
    logger.level = config.log.level;
    await routing?.poll();
    logger.info({ logLevel: config.log.level }, 'configuration reloaded; listeners, certificates and hub.pbx change at the next restart');
  } catch (error) {
    logger.error({ err: describeError(error) }, 'reload refused: the configuration is not valid; the running configuration stays');
  }
}

/** What addHubServices made that the running hub still uses. */
export interface HubServices {
  readonly tunnel: ReturnType<typeof hubTunnelService>;
  readonly routing: HubRouting<TunnelSession> | undefined;
  readonly builtinPbx: HubBuiltinPbx | undefined;
}

/**
 * The hub's services from its configuration, added in their start order (docs/ARCHITECTURE.md
 * "Composition roots"): what `sbc-agent hub` runs, and `sbc-agent demo` with it.
 */
export function addHubServices(hub: Hub, config: SbcConfig, stateDir: string, configFile: string | undefined, logger: Logger): HubServices {
  const tunnel = hubTunnelService({ state: hub.state, config: config.hub, clock: hub.clock, logger });
  hub.add(tunnel);
  const call = config.hub.callPath;
  let callPath: ReturnType<typeof hubCallPathService> | undefined;
  // Assigned below; the built-in PBX reads the model at each request.
  let routing: HubRouting<TunnelSession> | undefined;
  let builtinPbx: HubBuiltinPbx | undefined;
  // Made here, added below in its place: the built-in PBX stores its calls' records there too.
  const cdr = hubCdrService({ streams: tunnel.streams, dir: hubCdrDir(stateDir), retentionDays: config.hub.cdr.retentionDays, clock: hub.clock, logger, sbcName: (s) => tunnel.sbcName(s) });
  if (call?.builtin !== undefined) {
    // hub.pbx: builtin (issue 12): the routing core as the PBX, started before the call path and
    // its probe so that the first OPTIONS is answered. Every branch's requests share the call
    // path's socket, so none is trusted by that flow (src/hub-pbx.ts).
    builtinPbx = new HubBuiltinPbx({
      config: call.builtin, dir: builtinPbxDir(hub.state.paths.dir), routing: () => routing?.current(), clock: hub.clock, logger,
      onCdr: (record) => void cdr.store?.store([record]).catch((error: unknown) => logger.warn({ err: describeError(error), id: record.id }, 'built-in PBX: call detail record not stored')),
      sharedFlow: (source) => {
        const own = callPath?.sbc()?.stack.transport.localAddress('UDP');
        return own !== undefined && own.port === source.port && own.address === source.address;
      },
    });
    hub.add(builtinPbx);
  }
  if (call !== undefined) {
    // With a PBX configured the hub carries the branches' calls (src/sbc): SIP and media toward the PBX.
    const transport = call.pbx.transport === 'tcp' ? 'TCP' : 'UDP';
    const pbx = { transport, host: call.pbx.host, port: call.pbx.port } as const;
    callPath = hubCallPathService({
      clock: hub.clock, logger, streams: tunnel.streams,
      sip: { address: call.sip.listen, udpPort: call.sip.port, tcpPort: call.sip.port },
      pbx, mediaAddress: call.media.address, mediaPorts: call.media.ports,
    });
    hub.add(callPath);
    // Whether the PBX answers, probed from the call path's SIP leg and reported to every agent
    // (survival); `probeInterval: 0s` for a PBX that does not answer OPTIONS.
    if (call.pbx.probeIntervalMs > 0) hub.add(new HubPbxHealth<TunnelSession>({
      endpoint: () => callPath?.sbc()?.stack, pbx, server: tunnel.server, clock: hub.clock, logger,
      intervalMs: call.pbx.probeIntervalMs, failures: call.pbx.probeFailures,
    }));
  }
  // Provisioning fetches of the agents' relays (hub.provisioning.upstream), with or without a PBX;
  // without an upstream each fetch is answered 404 rather than left unanswered.
  hub.add(hubProvisioningService({ streams: tunnel.streams, config: config.hub.provisioning, clock: hub.clock, logger, sbcName: (s) => tunnel.sbcName(s) }));
  // The routing model (hub.routing), replicated to every agent over the tunnel's config push.
  if (config.hub.routing !== undefined) {
    const path = resolve(dirname(configFile ?? join(process.cwd(), 'hub.yaml')), config.hub.routing);
    routing = new HubRouting<TunnelSession>({ path, server: tunnel.server, sbcName: (s) => tunnel.sbcName(s), clock: hub.clock, logger });
    hub.add(routing);
  }
  // The agents' call detail records (cdr/1 streams), kept hub.cdr.retentionDays.
  hub.add(cdr);
  // The SIP echo doctor's ALG test sends to (hub.sipEcho), when configured.
  if (config.hub.sipEcho !== undefined) hub.add(hubSipEchoService({ listen: config.hub.sipEcho, clock: hub.clock, logger }));
  // The admin API and status page (hub.admin), last: it reports on every other service.
  hub.add(hubAdminService({ hub, config, stateDir, tunnel, routingVersion: () => routing?.current()?.version, calls: () => callPath?.sbc()?.calls(), logger }));
  return { tunnel, routing, builtinPbx };
}

async function runHub(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: [...COMMON_VALUES, 'listen', 'enroll-port', 'public-name'] });
  const context = await commonContext(args, 'hub');
  const config = runOverrides(context.config, args);
  // Before Hub.open creates any state: a hub that cannot listen leaves no new CA behind.
  await checkListeners(hubListeners(config));
  const logger = createLogger({ level: config.log.level });
  const hub = await Hub.open({ config, stateDir: context.stateDir, logger });
  const { routing } = addHubServices(hub, config, context.stateDir, context.configFile, logger);
  const signals = new ServiceSignals();
  const notifier = systemdNotifier(io.env, logger, hub.clock);
  notifier.start();
  let statusTimer: Timer | undefined;
  let quiet: QuietCollector | undefined;
  try {
    await hub.start();
    io.stdout.write(`hub: state ${context.stateDir}\nhub: fingerprint ${hub.state.fingerprint}\n`);
    for (const l of hub.listeners()) {
      const host = l.address.includes(':') ? `[${l.address}]` : l.address;
      io.stdout.write(`hub: ${l.name} ${l.name === 'enrollment' ? `https://${host}:${l.port}/enroll/` : `${host}:${l.port}`}\n`);
    }
    // READY=1 only now: hub.start() resolves once every listener is bound.
    notifier.ready(hubStatusLine(hub));
    statusTimer = hub.clock.setInterval(() => notifier.status(hubStatusLine(hub)), NOTIFY_STATUS_INTERVAL_MS);
    quiet = startQuietCollector(hub.clock, logger);
    io.stdout.write('hub: ready\n');
    // SIGHUP (systemctl reload) re-reads what can change without a restart; SIGINT and SIGTERM stop.
    for (let signal = await signals.next(); ; signal = await signals.next()) {
      if (signal !== 'reload') {
        logger.info({ signal: signal === 'stop' ? 'SIGINT' : 'SIGTERM' }, 'hub stopping');
        break;
      }
      await reloadHub(args, logger, routing);
    }
    notifier.stopping('stopping');
  } finally {
    signals.dispose();
    statusTimer?.cancel();
    quiet?.close();
    await hub.close();
    notifier.close();
    logger.flush();
  }
  return EXIT.OK;
}

export const hubCommand: Command = {
  name: 'hub',
  summary: 'run the hub, manage the SBCs it enrolls, unlock an address, or list the call detail records they uploaded',
  usage: USAGE,
  run(argv: readonly string[], io: CommandIo): Promise<number> {
    const [sub, ...rest] = argv;
    return reportErrors(io, `hub${sub !== undefined && !sub.startsWith('-') ? ` ${sub}` : ''}`, () => {
      switch (sub) {
        case 'add-sbc':
          return issueKey('add', rest, io);
        case 'rekey-sbc':
          return issueKey('rekey', rest, io);
        case 'list-sbc':
          return listSbcs(rest, io);
        case 'revoke-sbc':
          return revokeSbc(rest, io);
        case 'rename-sbc':
          return renameSbc(rest, io);
        case 'cdr':
          return listCdrs(rest, io);
        case 'unlock':
          return hubUnlock(rest, io);
        case 'import-extensions':
          return importExtensions(rest, io);
        case 'run':
          return runHub(rest, io);
        default:
          if (sub !== undefined && !sub.startsWith('-')) throw new UsageError(`unknown hub subcommand '${sub}'`);
          return runHub(argv, io);
      }
    });
  },
};
