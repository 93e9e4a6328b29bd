/**
 * `sbc-agent demo` (what `npm start` runs): a hub and an agent on this machine, in one process, on
 * loopback ports that need no root. The agent enrolls with a fresh one-time key through the hub's
 * real HTTPS enrollment endpoint (the same `hub add-sbc` and `enroll` commands a person runs), the
 * tunnel comes up over TLS, and the status is printed as `sbc-agent status` prints it; then a status
 * line every few seconds until Ctrl-C. `--once` stops once the status has been printed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { BindError, UsageError, createLogger, type LogLevel, type Logger } from '../core/index.js';
import { loadConfig, type SbcConfig } from '../config/index.js';
import { Hub } from '../hub.js';
import { hubTunnelService } from '../hub-tunnel.js';
import { AgentTunnel } from '../agent-tunnel.js';
import { readFileIfExists, readStatusFile } from '../platform/index.js';
import { agentStatePaths, loadAgentIdentity } from '../tunnel/index.js';
import { parseArgs } from './args.js';
import { checkListeners, hubListeners } from './bind-check.js';
import type { Command, CommandIo } from './command.js';
import { enrollCommand } from './enroll.js';
import { EXIT } from './exit-codes.js';
import { hubCommand } from './hub.js';
import { hostPort, reportErrors } from './hub-common.js';
import { statusCommand } from './status.js';
import { waitForSignal } from './signals.js';

export const DEMO_PORTS = { tunnel: 15090, wss: 15443, enrollment: 15001 } as const;
const SBC_NAME = 'demo-branch';
const LINE_EVERY_MS = 5000;
const UP_TIMEOUT_MS = 30_000;

const USAGE = `Usage: sbc-agent demo [--once] [--state-dir DIR] [--config FILE] [--listen ADDR]
                      [--tunnel-port N] [--wss-port N] [--enroll-port N] [--interval S]

Runs a hub and an agent on this machine: the agent enrolls with a fresh one-time key over the
hub's HTTPS enrollment endpoint, brings the tunnel up over TLS, and the tunnel status is printed
(as 'sbc-agent status' shows it), then a status line every few seconds until Ctrl-C.

  --once         exit 0 once the tunnel is up and its status printed
  --state-dir D  keep the hub and agent state here (default: a new folder under the temp dir,
                 removed at the end); a second run with the same folder reuses the identity
  --listen A     the address every listener binds (default 127.0.0.1)
  --tunnel-port N  TLS tunnel port (default ${DEMO_PORTS.tunnel}); 0 for these: any free port
  --wss-port N     WSS tunnel port (default ${DEMO_PORTS.wss})
  --enroll-port N  HTTPS enrollment port (default ${DEMO_PORTS.enrollment})
  --interval S   seconds between status lines (default ${LINE_EVERY_MS / 1000})
`;

function port(args: ReturnType<typeof parseArgs>, name: string, fallback: number): number {
  const text = args.values.get(name);
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new UsageError(`--${name} '${text ?? ''}' is not a port number`);
  return value;
}

/**
 * Port 0 made concrete before the hub starts: the enrollment answer tells the agent the configured
 * tunnel ports, so they must be the ones bound (a port freed here could be taken meanwhile; the
 * hub then fails to start and says which).
 */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const a = server.address();
      server.close(() => (typeof a === 'object' && a !== null ? resolve(a.port) : reject(new Error('no free port'))));
    });
  });
}

async function concrete(port: number, host: string): Promise<number> {
  return port === 0 ? freePort(host) : port;
}

/** A CommandIo whose output is collected, to run `hub add-sbc` and `enroll` in this process. */
function captured(): { io: CommandIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  const stdin = new PassThrough();
  stdin.end();
  return { io: { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), stdin, env: process.env }, out: () => out, err: () => err };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Enrolls the demo agent unless its identity is still admitted by this hub. */
async function enrollDemoAgent(hub: Hub, stateDir: string, enrollAt: string, configFile: string | undefined, io: CommandIo): Promise<void> {
  const identity = await loadAgentIdentity(agentStatePaths(stateDir), readFileIfExists).catch(() => undefined);
  const current = identity === undefined ? undefined : hub.state.store.byCertificateFingerprint(identity.record.certificateFingerprint);
  if (current?.current === true && current.record.state === 'enrolled') {
    io.stdout.write(`agent: already enrolled as SBC '${current.record.name}' (id ${current.record.id}) in ${stateDir}\n`);
    return;
  }
  const common = ['--state-dir', stateDir, ...(configFile === undefined ? [] : ['--config', configFile])];
  const exists = hub.state.store.byName(SBC_NAME) !== undefined;
  const add = captured();
  const addArgs = exists ? ['rekey-sbc', SBC_NAME] : ['add-sbc', '--name', SBC_NAME];
  const added = await hubCommand.run([...addArgs, '--url-host', enrollAt, '--expires', '10m', '--json', ...common], add.io);
  if (added !== EXIT.OK) throw new Error(`hub ${addArgs[0] ?? ''} failed: ${add.err().trim()}`);
  const key = JSON.parse(add.out()) as { url: string; key: string; fingerprint: string };
  io.stdout.write(`hub:   ${exists ? 'new key for' : 'added'} SBC '${SBC_NAME}': provisioning URL ${key.url}, a one-time auth key, fingerprint ${key.fingerprint}\n`);
  const enroll = captured();
  // --force: an identity this hub does not admit (another hub's, a revoked one) is replaced.
  const enrolled = await enrollCommand.run(['--url', key.url, '--key', key.key, '--fingerprint', key.fingerprint, '--force', ...common], enroll.io);
  if (enrolled !== EXIT.OK) throw new Error(`enroll failed (exit ${enrolled}): ${enroll.err().trim()}`);
  io.stdout.write(enroll.out().replace(/^/gm, 'agent: ').replace(/agent: $/, ''));
}

/** Waits until the hub's status file lists the tunnel up and the agent has a round-trip time. */
async function settle(hub: Hub, agent: AgentTunnel): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const reading = await readStatusFile(hub.state.paths.status, Date.now());
    const hubUp = reading.running && reading.status.tunnels.some((t) => t.state === 'up' && t.rttMs !== undefined);
    if (hubUp && agent.client.stats().rttMs !== undefined) break;
    await delay(100);
  }
  await agent.publish();
}

function statusLine(agent: AgentTunnel): string {
  const t = agent.status();
  const parts = [`tunnel ${t.state}`];
  if (t.carriage !== undefined) parts.push(`over ${t.carriage.toUpperCase()}`);
  if (t.rttMs !== undefined) parts.push(`rtt ${t.rttMs.toFixed(2)} ms`);
  if (t.uptimeMs !== undefined) parts.push(`up ${Math.round(t.uptimeMs / 1000)} s`);
  if (t.sent !== undefined && t.received !== undefined) parts.push(`sent ${t.sent.bytes} B/${t.sent.frames} frames, received ${t.received.bytes} B/${t.received.frames} frames`);
  return `demo: ${new Date().toISOString().slice(11, 19)} ${parts.join(', ')}`;
}

interface Running {
  readonly hub: Hub;
  readonly agent: AgentTunnel | undefined;
}

/** A port the demo cannot bind: exit 19 as for any listener, with the options that choose others. */
function withPortHint(error: unknown): unknown {
  if (!(error instanceof BindError)) return error;
  return new BindError(error.protocol, error.address, error.port, `${error.reason}; choose other ports with --enroll-port, --tunnel-port, --wss-port`, error.holder, { cause: error });
}

async function start(config: SbcConfig, stateDir: string, configFile: string | undefined, logger: Logger, io: CommandIo): Promise<Running> {
  // The demo's hub runs no call path, so hub.sip is not its to check.
  await checkListeners(hubListeners(config).filter((l) => l.field !== 'hub.sip')).catch((error: unknown) => Promise.reject(withPortHint(error)));
  const hub = await Hub.open({ config, stateDir, logger });
  hub.add(hubTunnelService({ state: hub.state, config: config.hub, clock: hub.clock, logger }));
  await hub.start().catch((error: unknown) => Promise.reject(withPortHint(error)));
  const bound = new Map(hub.listeners().map((l) => [l.name, l]));
  const enrollment = bound.get('enrollment');
  const tls = bound.get('tunnel');
  const wss = bound.get('wss');
  if (enrollment === undefined || tls === undefined) throw new Error('the hub did not open its enrollment and tunnel listeners');
  io.stdout.write(
    `hub:   enrollment https://${hostPort(enrollment.address, enrollment.port)}/enroll/, tunnel ${hostPort(tls.address, tls.port)} (TLS)${wss === undefined ? '' : `, wss://${hostPort(wss.address, wss.port)}${config.hub.wss.path} (WSS)`}\n`,
  );
  try {
    await enrollDemoAgent(hub, stateDir, hostPort(enrollment.address, enrollment.port), configFile, io);
    // The ports actually bound (0 picks any), whatever the enrollment answer said.
    const agent = await AgentTunnel.open({
      stateDir,
      logger,
      hub: { tls: { host: tls.address, port: tls.port }, wssUrl: wss === undefined ? null : `wss://${hostPort(wss.address, wss.port)}${config.hub.wss.path}` },
    });
    await agent.start();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the tunnel did not come up within ${UP_TIMEOUT_MS / 1000} s`)), UP_TIMEOUT_MS);
    });
    await Promise.race([agent.whenOpen(), late]).finally(() => clearTimeout(timer));
    io.stdout.write(`agent: tunnel up over ${(agent.client.stats().peer?.carriage ?? '?').toUpperCase()}\n`);
    return { hub, agent };
  } catch (error) {
    await hub.close();
    throw error;
  }
}

async function demo(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: ['state-dir', 'config', 'listen', 'tunnel-port', 'wss-port', 'enroll-port', 'interval'], flags: ['once'] });
  const configFile = args.values.get('config');
  const base = await loadConfig(configFile);
  const listen = args.values.get('listen') ?? '127.0.0.1';
  const interval = Number(args.values.get('interval') ?? LINE_EVERY_MS / 1000);
  if (!(interval > 0)) throw new UsageError(`--interval '${args.values.get('interval') ?? ''}' is not a number of seconds`);
  const config: SbcConfig = {
    ...base,
    // Quiet by default: the demo's own lines are the output; --config can ask for more.
    log: { level: configFile === undefined ? ('warn' satisfies LogLevel) : base.log.level },
    hub: {
      ...base.hub,
      enrollment: { listen, port: await concrete(port(args, 'enroll-port', DEMO_PORTS.enrollment), listen) },
      tunnel: { listen, port: await concrete(port(args, 'tunnel-port', DEMO_PORTS.tunnel), listen) },
      wss: { ...base.hub.wss, listen, port: await concrete(port(args, 'wss-port', DEMO_PORTS.wss), listen) },
    },
  };
  const given = args.values.get('state-dir');
  const stateDir = given ?? (await mkdtemp(join(tmpdir(), 'sbc-agent-demo-')));
  const logger = createLogger({ level: config.log.level });
  io.stdout.write(`sbc-agent demo: a hub and an agent on this machine (state directory ${stateDir})\n`);
  const stop = waitForSignal();
  let running: Running | undefined;
  try {
    running = await start(config, stateDir, configFile, logger, io);
    const agent = running.agent;
    if (agent === undefined) return EXIT.INTERNAL;
    await settle(running.hub, agent);
    const status = captured();
    await statusCommand.run(['--state-dir', stateDir, ...(configFile === undefined ? [] : ['--config', configFile])], status.io);
    io.stdout.write(`\n$ sbc-agent status --state-dir ${stateDir}\n${status.out()}\n`);
    if (args.flags.has('once')) return EXIT.OK;
    io.stdout.write('demo: running; a status line every few seconds, Ctrl-C to stop\n');
    const timer = setInterval(() => io.stdout.write(`${statusLine(agent)}\n`), interval * 1000);
    const ended = await Promise.race([stop.signal.then(() => 'signal' as const), agent.outcome]);
    clearInterval(timer);
    if (ended !== 'signal' && ended.kind !== 'stopped') {
      io.stderr.write(`sbc-agent demo: the hub ended the tunnel (${ended.kind}: ${ended.message})\n`);
      return EXIT.INTERNAL;
    }
    return EXIT.OK;
  } finally {
    stop.cancel();
    await running?.agent?.close();
    await running?.hub.close();
    logger.flush();
    if (given === undefined) await rm(stateDir, { recursive: true, force: true });
    io.stdout.write('demo: stopped\n');
  }
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run a hub and an agent here: enroll, bring the tunnel up, show its status (npm start)',
  usage: USAGE,
  run: (argv, io) => reportErrors(io, 'demo', () => demo(argv, io)),
};
