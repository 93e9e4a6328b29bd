/**
 * `sbc-agent demo` (what `npm start` runs): a PBX in a box on this machine, on loopback ports that
 * need no root. A hub with `hub.pbx: builtin` (the routing core as its PBX, src/hub-pbx.ts) and the
 * demo routing model (demo-model.ts: extensions 1001–1003, ring group 2000, an inbound rule) runs
 * in this process with the services `sbc-agent hub` adds (addHubServices); an agent enrolls with a
 * fresh one-time key through the hub's real HTTPS endpoint (the same `hub add-sbc` and `enroll`
 * commands a person runs) and runs as `sbc-agent run` in a child process (demo-agent.ts), its
 * phones' SIP listener on 127.0.0.1:15060. The status is printed as `sbc-agent status` prints it,
 * then what to point a softphone at; then a status line every few seconds until Ctrl-C. `--once`
 * stops once that is printed. `--call` places a test call through a running demo (demo-call.ts).
 */
import { mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { BindError, UsageError, createLogger, type LogLevel } from '../core/index.js';
import { loadConfig, validateConfig, type SbcConfig } from '../config/index.js';
import { Hub } from '../hub.js';
import { agentStatePaths, loadAgentIdentity } from '../tunnel/index.js';
import { PRIVATE_DIR_MODE, readFileIfExists, readStatusFile } from '../platform/index.js';
import { parseArgs } from './args.js';
import { checkListeners, hubListeners } from './bind-check.js';
import type { Command, CommandIo } from './command.js';
import { DemoAgent } from './demo-agent.js';
import { demoCall } from './demo-call.js';
import { DEMO_INFO_FILE, DEMO_REALM, DEMO_RING_GROUP, DEMO_ROUTING_FILE, demoAccounts, defaultDemoStateDir, ensureDemoModel, writeDemoInfo } from './demo-model.js';
import { enrollCommand } from './enroll.js';
import { EXIT } from './exit-codes.js';
import { addHubServices, hubCommand } from './hub.js';
import { hostPort, reportErrors } from './hub-common.js';
import { statusCommand } from './status.js';
import { waitForSignal } from './signals.js';

export const DEMO_PORTS = { tunnel: 15090, wss: 15443, enrollment: 15001, sip: 15060, pbx: 15070, admin: 15081 } as const;
/** UDP media ranges of the three relays (agent, hub toward its PBX, the built-in PBX). */
const DEMO_MEDIA = { agent: { min: 16000, max: 16999 }, hub: { min: 17000, max: 17999 }, pbx: { min: 18000, max: 18999 } } as const;
const SBC_NAME = 'demo-branch';
const LINE_EVERY_MS = 5000;
const UP_TIMEOUT_MS = 30_000;

const USAGE = `Usage: sbc-agent demo [--once] [--state-dir DIR] [--config FILE] [--listen ADDR] [--no-admin]
                      [--tunnel-port N] [--wss-port N] [--enroll-port N] [--sip-port N] [--pbx-port N]
                      [--interval S]
       sbc-agent demo --call [--state-dir DIR]

Runs a PBX in a box on this machine: a hub whose built-in PBX routes the demo model (extensions
1001-1003, ring group ${DEMO_RING_GROUP}), and an agent ('sbc-agent run') enrolled with a fresh one-time key
over the hub's HTTPS endpoint, its tunnel up over TLS. Prints the status (as 'sbc-agent status'
shows it) and what to point a softphone at, then a status line every few seconds until Ctrl-C.

  --call         with a demo running: two built-in phones register as 1001 and 1002 to its agent,
                 1001 calls 1002, each sends a tone for 2 s; prints the audio received both ways
                 (exit 0), or what failed (exit 1)
  --once         exit 0 once everything is up and printed
  --state-dir D  the hub's and agent's state, the model (${DEMO_ROUTING_FILE}: passwords kept across runs)
                 and ${DEMO_INFO_FILE} (default ${defaultDemoStateDir()})
  --listen A     the address every listener binds (default 127.0.0.1)
  --no-admin     no admin API and status page (default: agent ${DEMO_PORTS.admin}, hub ${DEMO_PORTS.admin + 1})
  --tunnel-port N  TLS tunnel port (default ${DEMO_PORTS.tunnel}); 0 for these: any free port
  --wss-port N     WSS tunnel port (default ${DEMO_PORTS.wss})
  --enroll-port N  HTTPS enrollment port (default ${DEMO_PORTS.enrollment})
  --sip-port N     the agent's SIP port, where phones register (default ${DEMO_PORTS.sip})
  --pbx-port N     the built-in PBX's SIP port (default ${DEMO_PORTS.pbx})
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
async function enrollDemoAgent(hub: Hub, stateDir: string, enrollAt: string, tunnelAt: { host: string; port: number }, configFile: string | undefined, io: CommandIo): Promise<void> {
  const identity = await loadAgentIdentity(agentStatePaths(stateDir), readFileIfExists).catch(() => undefined);
  const current = identity === undefined ? undefined : hub.state.store.byCertificateFingerprint(identity.record.certificateFingerprint);
  // The agent ('sbc-agent run') dials the hub addresses its enrollment stored: other tunnel ports
  // this time (port 0, or other flags) need a new enrollment.
  const sameHub = identity?.record.hub.tunnel.host === tunnelAt.host && identity.record.hub.tunnel.port === tunnelAt.port;
  if (current?.current === true && current.record.state === 'enrolled' && sameHub) {
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

function statusLine(t: { readonly state: string; readonly carriage?: string; readonly rttMs?: number; readonly uptimeMs?: number; readonly sent?: { bytes: number; frames: number }; readonly received?: { bytes: number; frames: number } } | undefined): string {
  if (t === undefined) return `demo: ${new Date().toISOString().slice(11, 19)} agent not running`;
  const parts = [`tunnel ${t.state}`];
  if (t.carriage !== undefined) parts.push(`over ${t.carriage.toUpperCase()}`);
  if (t.rttMs !== undefined) parts.push(`rtt ${t.rttMs.toFixed(2)} ms`);
  if (t.uptimeMs !== undefined) parts.push(`up ${Math.round(t.uptimeMs / 1000)} s`);
  if (t.sent !== undefined && t.received !== undefined) parts.push(`sent ${t.sent.bytes} B/${t.sent.frames} frames, received ${t.received.bytes} B/${t.received.frames} frames`);
  return `demo: ${new Date().toISOString().slice(11, 19)} ${parts.join(', ')}`;
}

/** A port the demo cannot bind: exit 19 as for any listener, with the options that choose others. */
function withPortHint(error: unknown): unknown {
  if (!(error instanceof BindError)) return error;
  return new BindError(error.protocol, error.address, error.port, `${error.reason}; choose other ports with --enroll-port, --tunnel-port, --wss-port, --sip-port, --pbx-port`, error.holder, { cause: error });
}

interface DemoPorts {
  readonly enrollment: number;
  readonly tunnel: number;
  readonly wss: number;
  readonly hubSip: number;
  readonly pbx: number;
  readonly sip: number;
}

/** The demo's hub configuration: the given one with the demo's listeners, the built-in PBX and the model in `stateDir`. */
function demoHubConfig(base: SbcConfig, listen: string, ports: DemoPorts, stateDir: string, admin: boolean): SbcConfig {
  const callPath = validateConfig({
    hub: {
      pbx: 'builtin', routing: join(stateDir, DEMO_ROUTING_FILE),
      sip: { listen, port: ports.hubSip }, media: { ports: DEMO_MEDIA.hub },
      builtinPbx: { listen, port: ports.pbx, media: { ports: DEMO_MEDIA.pbx } },
    },
  }).hub.callPath;
  return {
    ...base,
    hub: {
      ...base.hub,
      enrollment: { listen, port: ports.enrollment },
      tunnel: { listen, port: ports.tunnel },
      wss: { ...base.hub.wss, listen, port: ports.wss },
      callPath,
      routing: join(stateDir, DEMO_ROUTING_FILE),
      admin: admin ? { ...base.hub.admin, listen: [listen], port: DEMO_PORTS.admin + 1, required: false } : { ...base.hub.admin, enabled: false },
    },
  };
}

interface Running {
  readonly hub: Hub;
  readonly agent: DemoAgent;
}

/** Waits until the agent's status file shows the tunnel up with a round-trip time, or the agent ends. */
async function agentUp(agent: DemoAgent, stateDir: string): Promise<string> {
  const deadline = Date.now() + UP_TIMEOUT_MS;
  let ended: number | undefined;
  void agent.exited.then((code) => (ended = code));
  while (Date.now() < deadline) {
    if (ended !== undefined) throw new Error(`the agent ('sbc-agent run') exited with code ${ended}:\n${agent.log.trim()}`);
    const t = await agent.tunnel(stateDir);
    if (t?.state === 'up' && t.rttMs !== undefined) return t.carriage ?? '?';
    await delay(100);
  }
  throw new Error(`the agent's tunnel did not come up within ${UP_TIMEOUT_MS / 1000} s:\n${agent.log.trim()}`);
}

/** Waits (5 s at most) until the hub's status file lists the tunnel up with a round-trip time, as `status` will print it. */
async function hubSeesTunnel(hub: Hub): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const reading = await readStatusFile(hub.state.paths.status, Date.now());
    if (reading.running && reading.status.tunnels.some((t) => t.state === 'up' && t.rttMs !== undefined)) return;
    await delay(100);
  }
}

async function start(config: SbcConfig, ports: DemoPorts, stateDir: string, admin: boolean, io: CommandIo): Promise<Running> {
  await checkListeners(hubListeners(config)).catch((error: unknown) => Promise.reject(withPortHint(error)));
  const logger = createLogger({ level: config.log.level });
  const hub = await Hub.open({ config, stateDir, logger });
  const services = addHubServices(hub, config, stateDir, undefined, logger);
  await hub.start().catch((error: unknown) => Promise.reject(withPortHint(error)));
  const bound = new Map(hub.listeners().map((l) => [l.name, l]));
  const enrollment = bound.get('enrollment');
  const tls = bound.get('tunnel');
  const wss = bound.get('wss');
  const pbx = bound.get('builtin-pbx');
  if (enrollment === undefined || tls === undefined || pbx === undefined) {
    await hub.close();
    throw new Error('the hub did not open its enrollment, tunnel and built-in PBX listeners');
  }
  io.stdout.write(
    `hub:   enrollment https://${hostPort(enrollment.address, enrollment.port)}/enroll/, tunnel ${hostPort(tls.address, tls.port)} (TLS)${wss === undefined ? '' : `, wss://${hostPort(wss.address, wss.port)}${config.hub.wss.path} (WSS)`}\n`,
  );
  io.stdout.write(`hub:   built-in PBX ${hostPort(pbx.address, pbx.port)}, routing model ${join(stateDir, DEMO_ROUTING_FILE)} (version ${services.routing?.current()?.version ?? '?'})\n`);
  let agent: DemoAgent | undefined;
  try {
    await enrollDemoAgent(hub, stateDir, hostPort(enrollment.address, enrollment.port), { host: tls.address, port: tls.port }, undefined, io);
    agent = await DemoAgent.start(stateDir, {
      listen: tls.address, sipPort: ports.sip, mediaPorts: DEMO_MEDIA.agent, adminPort: admin ? DEMO_PORTS.admin : undefined, logLevel: config.log.level,
    }, (line) => io.stdout.write(`agent: ${line.replace(/^run: /, '')}\n`));
    const carriage = await agentUp(agent, stateDir);
    await hubSeesTunnel(hub);
    io.stdout.write(`agent: tunnel up over ${carriage.toUpperCase()}\n`);
    return { hub, agent };
  } catch (error) {
    await agent?.stop();
    await hub.close();
    throw error;
  }
}

/** What to point a softphone at, and the demo.json that `demo --call` reads. */
async function announce(stateDir: string, listen: string, sipPort: number, admin: boolean, io: CommandIo): Promise<void> {
  const accounts = await demoAccounts(stateDir);
  await writeDemoInfo(stateDir, { pid: process.pid, sip: { host: listen, port: sipPort }, realm: DEMO_REALM, accounts, ringGroup: DEMO_RING_GROUP });
  const server = hostPort(listen, sipPort);
  io.stdout.write(`\nPoint a softphone at SIP server ${server} (UDP or TCP; the agent is its registrar's outbound proxy):\n`);
  for (const a of accounts) io.stdout.write(`  user ${a.user}  password ${a.password}  (domain ${listen})\n`);
  io.stdout.write(`  ${DEMO_RING_GROUP} rings every extension; the passwords are in ${join(stateDir, DEMO_ROUTING_FILE)}\n`);
  if (admin) io.stdout.write(`Status pages: http://${hostPort(listen, DEMO_PORTS.admin)}/ (agent), http://${hostPort(listen, DEMO_PORTS.admin + 1)}/ (hub); token in ${join(stateDir, 'admin-token')}\n`);
  io.stdout.write(`Test call between two built-in phones, in another terminal: sbc-agent demo --call${stateDir === defaultDemoStateDir() ? '' : ` --state-dir ${stateDir}`}\n\n`);
}

async function demo(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: ['state-dir', 'config', 'listen', 'tunnel-port', 'wss-port', 'enroll-port', 'sip-port', 'pbx-port', 'interval'], flags: ['once', 'call', 'no-admin'] });
  const stateDir = args.values.get('state-dir') ?? defaultDemoStateDir();
  if (args.flags.has('call')) return demoCall(stateDir, io);
  const configFile = args.values.get('config');
  const base = await loadConfig(configFile);
  const listen = args.values.get('listen') ?? '127.0.0.1';
  const interval = Number(args.values.get('interval') ?? LINE_EVERY_MS / 1000);
  if (!(interval > 0)) throw new UsageError(`--interval '${args.values.get('interval') ?? ''}' is not a number of seconds`);
  const sipPort = port(args, 'sip-port', DEMO_PORTS.sip);
  const pbxPort = port(args, 'pbx-port', DEMO_PORTS.pbx);
  const ports: DemoPorts = {
    enrollment: await concrete(port(args, 'enroll-port', DEMO_PORTS.enrollment), listen),
    tunnel: await concrete(port(args, 'tunnel-port', DEMO_PORTS.tunnel), listen),
    wss: await concrete(port(args, 'wss-port', DEMO_PORTS.wss), listen),
    // Only the built-in PBX talks to the hub's SIP socket: any free port.
    hubSip: await freePort(listen),
    pbx: await concrete(pbxPort, listen),
    sip: await concrete(sipPort, listen),
  };
  const admin = !args.flags.has('no-admin');
  // Quiet by default: the demo's own lines are the output; --config can ask for more.
  const quiet: SbcConfig = { ...base, log: { level: configFile === undefined ? ('warn' satisfies LogLevel) : base.log.level } };
  await mkdir(stateDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const config = demoHubConfig(quiet, listen, ports, stateDir, admin);
  io.stdout.write(`sbc-agent demo: a PBX in a box on this machine (state directory ${stateDir})\n`);
  if (await ensureDemoModel(stateDir)) io.stdout.write(`demo:  wrote the demo routing model ${join(stateDir, DEMO_ROUTING_FILE)} (extensions 1001-1003 with new passwords, ring group ${DEMO_RING_GROUP})\n`);
  const stop = waitForSignal();
  let running: Running | undefined;
  try {
    running = await start(config, ports, stateDir, admin, io);
    const { agent } = running;
    const status = captured();
    await statusCommand.run(['--state-dir', stateDir], status.io);
    io.stdout.write(`\n$ sbc-agent status --state-dir ${stateDir}\n${status.out()}`);
    await announce(stateDir, listen, ports.sip, admin, io);
    if (args.flags.has('once')) return EXIT.OK;
    io.stdout.write('demo: running; a status line every few seconds, Ctrl-C to stop\n');
    const timer = setInterval(() => void agent.tunnel(stateDir).then((t) => io.stdout.write(`${statusLine(t)}\n`)), interval * 1000);
    const ended = await Promise.race([stop.signal.then(() => 'signal' as const), agent.exited]);
    clearInterval(timer);
    // Ctrl-C in a terminal reaches the agent too (one process group): it may stop, with 0, first.
    if (ended !== 'signal' && ended !== 0) {
      io.stderr.write(`sbc-agent demo: the agent exited (code ${ended}):\n${agent.log.trim()}\n`);
      return EXIT.INTERNAL;
    }
    return EXIT.OK;
  } finally {
    stop.cancel();
    await rm(join(stateDir, DEMO_INFO_FILE), { force: true });
    await running?.agent.stop();
    await running?.hub.close();
    io.stdout.write('demo: stopped\n');
  }
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run a PBX in a box here (hub with its built-in PBX, an enrolled agent), or --call: a test call through it (npm start)',
  usage: USAGE,
  run: (argv, io) => reportErrors(io, 'demo', () => demo(argv, io)),
};
