/**
 * `sbc-agent run`: the whole agent in one process, from agent.yaml (flags override it): the tunnel
 * to the enrolled hub, the SBC call path for the LAN phones, LAN plug-and-play on the same SIP
 * socket with the phone inbox and the provisioning relay, and a STUN server for the LAN. Writes
 * `<state>/agent/status.json` (every part) and `<state>/agent/calls.json`.
 *
 * Start-up checks everything before it binds (flags, configuration, LANs, identity), binds every
 * listener before the tunnel starts, and undoes all of it when a step fails: a failed start leaves
 * no socket, no tunnel and no status file. Signals: SIGINT stops at once; SIGTERM (and
 * `sbc-agent drain`) drains: new calls get 503, calls up go on until they end or
 * agent.drainTimeout passes, then exit 0; SIGHUP reloads agent.yaml (run-reload.ts).
 */
import { join } from 'node:path';
import { componentLogger, createLogger, isIpLiteral, realClock, type Logger } from '../core/index.js';
import { agentBlocksPath } from '../blocks-file.js';
import { ProtectionService } from '../protection-service.js';
import { Agent } from '../agent.js';
import { AgentCdr } from '../agent-cdr.js';
import { AgentHealth, survivalPolicy } from '../agent-health.js';
import { modelHa1, reRegisterAll } from '../agent-survival.js';
import { RelayedRegistrationsStore } from '../agent-relayed.js';
import { AgentRouting } from '../agent-routing.js';
import type { CdrRecord, RoutingModel } from '../routing/index.js';
import { PROMPTS_FOLDER, readMusicOnHold, type B2buaEvent } from '../b2bua/index.js';
import { agentStatePaths } from '../tunnel/index.js';
import { AgentTunnel, NotEnrolledError } from '../agent-tunnel.js';
import type { SystemdNotifier } from '../platform/index.js';
import { packageVersion } from '../version.js';
import { parseArgs, type ParsedArgs } from './args.js';
import { callsFilePath } from './calls.js';
import type { Command, CommandIo } from './command.js';
import { EXIT } from './exit-codes.js';
import { COMMON_VALUES, commonContext, reportErrors } from './hub-common.js';
import { checkNat, type NatStatus } from './run-nat.js';
import { runAdminEvents, startRunAdmin, type RunAdmin } from './run-admin.js';
import { cdrEventData, localCallEvents, trunkEvents } from '../admin/index.js';
import { reloadRun } from './run-reload.js';
import { RUN_VALUES, resolveRunSettings, type RunSettings } from './run-settings.js';
import { upstreamFor } from './run-upstream.js';
import { runStatusParts } from './run-status.js';
import { startQuietCollector } from './quiet-memory.js';
import { ServiceSignals } from './signals.js';
import { systemdNotifier } from './systemd-notifier.js';

const USAGE = `Usage: sbc-agent run [--config FILE] [--state-dir DIR] [--lan IF|ADDR[,...]] [--sip-port N]
                     [--tls-port N --tls-cert FILE --tls-key FILE] [--media-ports MIN-MAX]
                     [--upstream-expires S] [--stun-port N] [--pnp-policy inbox|auto|off] [--drain-timeout D]

Runs the whole agent, configured by agent.yaml (the flags override its 'agent' section): the
tunnel to the enrolled hub; the outbound proxy of the LAN phones (UDP and TCP on agent.sip.port,
default 5060; TLS on agent.sip.tlsPort with a certificate); LAN plug-and-play on the same SIP
port, the phone inbox and the provisioning relay (files fetched from the hub through the tunnel);
a STUN server on each LAN address (agent.stun.port, default 3478; STUN on the SIP port too).
LANs: agent.lan, or every interface with a private IPv4 address that is not the default
route's ('sbc-agent status' says which were chosen and why).

Signals: SIGINT stops at once; SIGTERM drains (new calls get 503, calls up go on, at most
agent.drainTimeout, default 10m), then exits 0; SIGHUP reloads agent.yaml.

Exit codes: 0 stopped, 2 wrong command line, 3 invalid configuration, 4 unreadable file,
15 this SBC was revoked, 18 not enrolled, 19 a port cannot be bound, 21 the identity was
replaced by 'sbc-agent enroll --force' (restart to use it).
`;

type Ended = { readonly kind: 'signal'; readonly how: 'stop' | 'drain' } | Awaited<AgentTunnel['outcome']>;

async function run(argv: readonly string[], io: CommandIo, signals: ServiceSignals): Promise<number> {
  const args = parseArgs(argv, { values: [...COMMON_VALUES, ...RUN_VALUES] });
  const { config, stateDir } = await commonContext(args);
  const resolved = await resolveRunSettings(config, args);
  // Checked before anything binds: a wrong file is a configuration error naming the field (exit 3).
  const music = resolved.agent.media.musicOnHold;
  const settings = music === undefined ? resolved : { ...resolved, musicOnHold: await readMusicOnHold(music, join(agentStatePaths(stateDir).dir, PROMPTS_FOLDER)) };
  const logger = createLogger({ level: config.log.level });
  const notifier = systemdNotifier(io.env, logger);
  try {
    notifier.start();
    return await serve(args, io, signals, logger, notifier, stateDir, settings);
  } finally {
    notifier.close();
  }
}

async function serve(args: ParsedArgs, io: CommandIo, signals: ServiceSignals, logger: Logger, notifier: SystemdNotifier, stateDir: string, first: RunSettings): Promise<number> {
  let settings = first;
  let tunnel: AgentTunnel;
  try {
    tunnel = await AgentTunnel.open({ stateDir, logger, hubs: first.agent.hubs });
  } catch (error) {
    if (!(error instanceof NotEnrolledError)) throw error;
    io.stderr.write(`sbc-agent run: ${error.message}\n`);
    return EXIT.NOT_ENROLLED;
  }
  if (signals.stopRequested) return EXIT.OK;
  // The routing snapshot the hub pushes (issue 11): the stored one is loaded before the tunnel is up.
  const routing = new AgentRouting({ dir: tunnel.paths.dir, logger });
  await routing.start(tunnel.client);
  const protection = await openAgentProtection(settings, tunnel, stateDir, logger);
  // Call detail records (issue 11): buffered in <state>/agent/cdr, uploaded whenever the tunnel is up.
  const cdr = await AgentCdr.open({ dir: join(tunnel.paths.dir, 'cdr'), clock: realClock, logger });
  cdr.start(tunnel.client);
  // Survival (issue 12, agent.calls: auto): the mode from the tunnel and the hub's PBX reports.
  // Started without the WAN, survival needs a snapshot or the relayed registrations read back at start.
  const started: { agent?: Agent } = {};
  const canServe = (): boolean => routing.current() !== undefined || (started.agent?.pbxPaths.some((p) => p.registrations.list().length > 0) ?? false);
  const health = settings.agent.calls === 'auto' ? startHealth(settings, tunnel, logger, canServe) : undefined;
  // Made before the agent so the B2BUA and the CDR buffer publish from the first call (issue 15).
  const events = runAdminEvents(logger);
  const onCdr = (record: CdrRecord): void => {
    void cdr.append(record);
    events.publish('call_cdr', cdrEventData(record));
  };
  // A call relayed to the PBX is the PBX's to record: the branch's view of it is logged and published, not uploaded (the hub's store would count it twice).
  const onRelayedCdr = (record: CdrRecord): void => {
    logger.info({ cdr: record }, 'call detail record (relayed to the PBX)');
    events.publish('call_cdr', cdrEventData(record));
  };
  let agent: Agent;
  try {
    agent = await startAgent(settings, tunnel, stateDir, logger, protection, () => routing.current(), { local: onCdr, relayed: onRelayedCdr }, localCallEvents(events), trunkEvents(events), health);
  } catch (error) {
    health?.close();
    await cdr.close();
    await protection.close();
    throw error;
  }
  started.agent = agent;
  // Survival after a restart without the WAN needs the registrations relayed before it (issue 12).
  const relayed = health === undefined ? undefined : new RelayedRegistrationsStore({ dir: tunnel.paths.dir, agent, clock: realClock, logger: componentLogger(logger, 'survival') });
  await relayed?.load();
  relayed?.start();
  health?.on('mode', (t) => {
    if (t.to === 'failing-back') void failBack(agent, health, logger, () => routing.current());
  });
  let nat: NatStatus = settings.agent.stun.server === undefined ? { state: 'not configured' } : { state: 'checking', server: settings.agent.stun.server };
  let mode: 'normal' | 'draining' = 'normal';
  let activeCalls = 0;
  const statusParts = (): ReturnType<typeof runStatusParts> => runStatusParts({ agent, settings: () => settings, nat: () => nat, mode: () => mode, activeCalls: () => activeCalls, routing: () => routing.summary(), cdr: () => cdr.status(), protection, ...(health === undefined ? {} : { survival: () => health.snapshot() }) });
  let admin: RunAdmin | undefined;
  try {
    admin = await startRunAdmin({ config: settings.agent.admin, stateDir, lans: settings.lans, agent, tunnel, parts: () => statusParts().parts, logger, events });
  } catch (error) {
    await relayed?.close();
    await agent.close();
    await cdr.close();
    await protection.close();
    await tunnel.close();
    await routing.close();
    throw error;
  }
  tunnel.setStatusSource(() => {
    const s = statusParts();
    return { listeners: [...s.listeners, ...(admin?.listeners() ?? [])], parts: s.parts };
  });
  await tunnel.start();
  // systemd: ready once every listener is bound and the first tunnel attempt has started.
  const statusLine = (): string => `${mode}; tunnel ${tunnel.client.state === 'open' ? 'up' : 'down'}; ${agent.registeredPhones().length} phones; ${activeCalls} calls`;
  notifier.ready(statusLine());
  const quiet = startQuietCollector(realClock, logger);
  const callsTimer = setInterval(() => {
    void agent.activeCalls().then((n) => {
      activeCalls = n;
      // Calls through the tunnel are kept across a cut: try the hub every second while they are up.
      tunnel.client.setUrgent(n > 0 && agent.callControl !== 'local');
    });
    health?.survivalCalls(agent.survivalCalls());
    notifier.status(statusLine());
  }, 1000);
  for (const lan of settings.lans) logger.info({ lan: lan.name, address: lan.address, reason: lan.reason }, 'serving LAN');
  io.stdout.write(`run: SBC '${tunnel.identity.record.sbc.name}', phones use ${settings.lans[0]?.address ?? '?'}:${settings.agent.sip.port} as ${agent.callControl === 'local' ? 'registrar (local call control)' : 'outbound proxy'}; LANs ${settings.lans.map((l) => `${l.name}/${l.address}`).join(' ')}\n`);
  if (settings.agent.stun.server !== undefined) void checkNat(settings.agent.stun.server).then((n) => (nat = n));

  let drainTimer: NodeJS.Timeout | undefined;
  let ended: Ended;
  try {
    const outcome = tunnel.outcome;
    for (;;) {
      const next = await Promise.race([signals.next().then((s) => ({ kind: 'signal' as const, how: s })), outcome]);
      if (next.kind !== 'signal') {
        ended = next;
        break;
      }
      if (next.how === 'reload') {
        notifier.reloading('reloading agent.yaml');
        settings = await reloadRun(args, settings, agent, tunnel.client, logger, protection);
        notifier.ready(statusLine());
        continue;
      }
      if (next.how === 'stop') {
        ended = { kind: 'signal', how: 'stop' };
        break;
      }
      mode = 'draining';
      notifier.stopping(`draining: ${await agent.activeCalls()} calls up`);
      agent.drain();
      logger.info({ activeCalls: await agent.activeCalls(), timeoutMs: settings.agent.drainTimeoutMs }, 'draining: new calls get 503; exit when the calls up end');
      io.stdout.write('run: draining\n');
      const drained = new Promise<void>((resolve) => {
        const started = Date.now();
        drainTimer = setInterval(() => {
          void agent.activeCalls().then((n) => {
            if (n === 0 || Date.now() - started >= settings.agent.drainTimeoutMs) resolve();
          });
        }, 250);
      });
      // Other signals still count while draining: SIGINT (or a second SIGTERM) stops at once, and
      // SIGHUP still reloads (a drain can last minutes).
      let during: 'drained' | 'tunnel' | 'stop' | 'drain' | 'reload';
      for (;;) {
        during = await Promise.race([drained.then(() => 'drained' as const), signals.next(), outcome.then(() => 'tunnel' as const)]);
        if (during !== 'reload') break;
        settings = await reloadRun(args, settings, agent, tunnel.client, logger, protection);
      }
      if (during === 'tunnel') continue;
      ended = { kind: 'signal', how: during === 'drained' ? 'drain' : 'stop' };
      break;
    }
  } finally {
    notifier.stopping('stopping');
    clearInterval(drainTimer);
    clearInterval(callsTimer);
    quiet.close();
    await admin?.close();
    health?.close();
    await relayed?.close();
    await agent.close();
    await cdr.close();
    await protection.close();
    await tunnel.close();
    await routing.close();
    logger.flush();
  }
  if (ended.kind === 'revoked') {
    io.stderr.write(`sbc-agent run: this SBC was revoked by the hub's admin (${ended.message})\n`);
    return EXIT.ENROLL_REVOKED;
  }
  if (ended.kind === 'replaced') {
    io.stderr.write(`sbc-agent run: ${ended.message}\n`);
    return EXIT.IDENTITY_REPLACED;
  }
  if (ended.kind === 'refused') {
    io.stderr.write(`sbc-agent run: the hub refused this SBC: ${ended.reason} ${ended.message}\n`);
    return EXIT.NOT_ENROLLED;
  }
  io.stdout.write(ended.kind === 'signal' && ended.how === 'drain' ? 'run: drained, stopped\n' : 'run: stopped\n');
  return EXIT.OK;
}

/** The blocks of `<state>/agent/blocks.json` and agent.protection; the hub's address is never blocked. */
function openAgentProtection(settings: RunSettings, tunnel: AgentTunnel, stateDir: string, logger: Logger): Promise<ProtectionService> {
  const hubHost = tunnel.identity.record.hub.tunnel.host;
  return ProtectionService.open({
    config: settings.agent.protection, clock: realClock, logger, file: agentBlocksPath(stateDir),
    alwaysAllowed: isIpLiteral(hubHost) ? [hubHost] : [],
  });
}

/** The health machine on the tunnel client, with agent.survival's hold-down and failback policy. */
function startHealth(settings: RunSettings, tunnel: AgentTunnel, logger: Logger, canServe: () => boolean): AgentHealth {
  const health = new AgentHealth({
    clock: realClock, logger: componentLogger(logger, 'survival'), canServe, policy: survivalPolicy(settings.agent.survival),
  });
  health.start(tunnel.client);
  return health;
}

/**
 * survival → failing-back: every binding re-registered upstream (a challenge answered with the
 * routing model's HA1s), then normal mode (calls up are left be), then BLF re-subscribed.
 */
async function failBack(agent: Agent, health: AgentHealth, logger: Logger, routing: () => RoutingModel | undefined): Promise<void> {
  const started = Date.now();
  const episode = health.snapshot().since;
  try {
    const outcome = await reRegisterAll({ clock: realClock, paths: agent.pbxPaths, ha1For: modelHa1(routing) });
    logger.info({ sent: outcome.sent, registered: outcome.registered, failed: outcome.failed, ms: Date.now() - started }, 'failback: bindings re-registered upstream');
  } catch (error) {
    logger.warn({ err: error }, 'failback: re-registration failed');
  }
  health.failbackDone(episode);
  // After failbackDone: the phones' new SUBSCRIBEs must find normal mode and go toward the PBX
  // (a failback a new failure interrupted leaves the survival subscriptions be).
  if (health.snapshot().mode === 'normal') agent.resubscribe();
}

async function startAgent(settings: RunSettings, tunnel: AgentTunnel, stateDir: string, logger: Logger, protection: ProtectionService, routing: () => RoutingModel | undefined, onCdr: { readonly local: (record: CdrRecord) => void; readonly relayed: (record: CdrRecord) => void }, onEvent: (event: B2buaEvent) => void, onTrunk: ReturnType<typeof trunkEvents>, health?: AgentHealth): Promise<Agent> {
  const a = settings.agent;
  const primary = settings.lans[0]?.address ?? '';
  const upstream = upstreamFor(a.pnp.provisioning, tunnel.client);
  return Agent.start({
    logger,
    tunnel: { client: tunnel.client },
    sip: { address: primary, udpPort: a.sip.port, tcpPort: a.sip.port, ...(settings.tls === undefined ? {} : { tlsPort: settings.tls.port, tlsServer: { cert: settings.tls.cert, key: settings.tls.key } }) },
    mediaAddress: primary,
    mediaPorts: a.media.ports,
    upstreamExpires: a.upstreamExpires,
    callsFile: callsFilePath(stateDir),
    protection: protection.guard,
    lan: {
      lans: settings.lans, stateDir, pnp: a.pnp, upstream: upstream.fetcher, templates: upstream.templates,
      stunPort: a.stun.port, software: `sbc-agent ${packageVersion()}`,
    },
    ...(a.calls === 'pbx' ? {} : { local: { routing, dir: tunnel.paths.dir, sbcName: tunnel.identity.record.sbc.name, onCdr: onCdr.local, onEvent, onTrunk, ...(settings.musicOnHold === undefined ? {} : { musicOnHold: settings.musicOnHold }) } }),
    ...(health === undefined ? {} : { survival: { mode: () => health.mode } }),
    relayedCdr: { sbcName: tunnel.identity.record.sbc.name, onCdr: onCdr.relayed },
  });
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run the whole agent from agent.yaml: tunnel, call path, plug-and-play, provisioning relay, STUN',
  usage: USAGE,
  run: async (argv, io) => {
    // Listening from the first line: a signal during start-up is never lost.
    const signals = new ServiceSignals();
    try {
      return await reportErrors(io, 'run', () => run(argv, io, signals));
    } finally {
      signals.dispose();
    }
  },
};
