/**
 * `sbc-agent doctor [--json]`: looks at what usually goes wrong on site and says it in plain
 * words with what to do: the agent's ports (free before start, held by it while it runs), the
 * plug-and-play multicast group on each LAN, the clock against the hub's, the tunnel over TLS and
 * over WSS with the round trip, the hub's certificate against the CA enrolled with, a SIP ALG on
 * the way, the NAT's behaviour (RFC 5780), the path MTU toward the hub, disk space and the agent's
 * certificate expiry. The judgements are doctor-checks.ts's; this file measures.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { readFile, statfs } from 'node:fs/promises';
import { request } from 'node:https';
import { networkInterfaces } from 'node:os';
import { connect } from 'node:tls';
import { realClock, UsageError } from '../core/index.js';
import { peerCertificateChain } from '../net/index.js';
import { readFileIfExists, readStatusFile } from '../platform/index.js';
import { readSipEcho } from '../sip/index.js';
import { agentStatePaths, certificateExpiry, loadAgentIdentity, presentedFingerprint, type AgentIdentity } from '../tunnel/index.js';
import { parseArgs } from './args.js';
import type { Command, CommandIo } from './command.js';
import {
  certificateCheck, clockCheck, diskCheck, formatChecks, multicastCheck, parseProcIgmp, PNP_GROUP, portCheck, worst, type CheckResult,
} from './doctor-checks.js';
import { mtuCheck, type MtuProbe } from './doctor-mtu.js';
import { multicastRouteCheck, type MulticastRouteProbe } from './doctor-multicast.js';
import { natCheck } from './doctor-nat.js';
import { parseEchoTarget, sipAlgCheck, sipAlgRequest, type SipAlgObservation } from './doctor-sip-alg.js';
import { carriageChecks, fingerprintCheck, type CarriageProbe } from './doctor-tunnel.js';
import { EXIT } from './exit-codes.js';
import { COMMON_VALUES, commonContext, reportErrors } from './hub-common.js';
import { checkNat } from './run-nat.js';

const USAGE = `Usage: sbc-agent doctor [--json] [--state-dir DIR] [--config FILE] [--sip-echo HOST:PORT]

Checks this agent and says what to do about each problem: its ports, the plug-and-play
multicast group, multicast flag and route on each LAN, the clock against the hub's, the tunnel
over TLS and over WSS (round trip, the hub's certificate against the fingerprint pinned at
enrollment), a SIP ALG on the way to the hub (an OPTIONS to the hub's SIP echo, by default UDP
5060 on the hub's tunnel address, compared with what arrived), the NAT's behaviour (RFC 5780,
toward agent.stun.server when set), the path MTU toward the hub (tracepath), disk space and the
expiry of the agent's certificate. --json prints the checks as a JSON array.
Exit codes: 0 nothing failed (warnings allowed), 23 a check failed.
`;

const PROBE_TIMEOUT_MS = 5_000;

function errorCode(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown };
  return typeof e.code === 'string' ? e.code : String(e.message ?? error);
}

/** Whether a port can be bound now: undefined when it can, else the errno. */
function tryBind(transport: 'UDP' | 'TCP', address: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    if (transport === 'UDP') {
      const s = createSocket(address.includes(':') ? 'udp6' : 'udp4');
      s.once('error', (e) => {
        s.close();
        resolve(errorCode(e));
      });
      s.bind(port, address, () => s.close(() => resolve(undefined)));
      return;
    }
    const server = createServer();
    server.once('error', (e) => resolve(errorCode(e)));
    server.listen(port, address, () => server.close(() => resolve(undefined)));
  });
}

/**
 * A TLS handshake with the hub as the tunnel makes it (client certificate, the enrolled CA), but
 * verified by hand after it, so that a hub whose certificate does not verify still shows the
 * chain it presented: its fingerprint is what the person has to compare.
 */
async function reach(carriage: 'tls' | 'wss', host: string, port: number, identity: AgentIdentity): Promise<CarriageProbe> {
  const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host, port, servername: identity.record.hub.name, key: identity.keyPem, cert: identity.certPem, ca: identity.caPem, rejectUnauthorized: false, ...(carriage === 'wss' ? { ALPNProtocols: ['http/1.1'] } : {}) });
    let settled = false;
    const done = (error?: string, presented?: string): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ carriage, target, ...(error === undefined ? { rttMs: performance.now() - started } : { error }), ...(presented === undefined ? {} : { presentedFingerprint: presented }) });
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done('timeout'));
    socket.once('secureConnect', () => {
      const chain = peerCertificateChain(socket);
      const presented = chain.length === 0 ? undefined : presentedFingerprint(chain);
      const failure = socket.authorized ? undefined : String(socket.authorizationError);
      done(failure, presented);
    });
    socket.once('error', (e) => done(errorCode(e)));
  });
}

/** Where the kernel routes the plug-and-play group, and the interface's flags. */
async function multicastRoute(lan: string): Promise<MulticastRouteProbe> {
  const flagsText = await readFile(`/sys/class/net/${lan}/flags`, 'utf8').catch(() => undefined);
  const flags = flagsText === undefined ? undefined : Number.parseInt(flagsText.trim(), 16);
  const route = await new Promise<{ routeInterface?: string; routeError?: string }>((resolve) => {
    const s = createSocket('udp4');
    s.once('error', (e) => {
      s.close();
      resolve({ routeError: errorCode(e) });
    });
    // Connecting a UDP socket sends nothing: the kernel only looks up the route and picks the source address.
    s.connect(5060, PNP_GROUP, () => {
      const source = s.address().address;
      s.close();
      const iface = Object.entries(networkInterfaces()).find(([, addrs]) => (addrs ?? []).some((a) => a.address === source))?.[0];
      resolve(iface === undefined ? { routeError: `source ${source} on no interface` } : { routeInterface: iface });
    });
  });
  return { lan, ...(flags === undefined || Number.isNaN(flags) ? {} : { flags }), ...route };
}

/** An OPTIONS to the hub's SIP echo, sent up to 3 times (0, 0.5, 1.5 s) as a UDP client retransmits. */
function sipEcho(host: string, port: number): Promise<SipAlgObservation> {
  const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return new Promise((resolve) => {
    const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const token = randomBytes(8).toString('hex');
    let sent: Buffer = Buffer.alloc(0);
    const timers: NodeJS.Timeout[] = [];
    let settled = false;
    const done = (o: Omit<SipAlgObservation, 'target' | 'sent'>): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      s.close();
      resolve({ target, sent, ...o });
    };
    s.on('error', (e) => done({ error: errorCode(e) }));
    s.on('message', (data) => {
      const echo = readSipEcho(data);
      if (echo !== undefined && echo.callId === `doctor-${token}`) done({ received: echo.request, seenFrom: echo.from });
    });
    s.connect(port, host, () => {
      const local = s.address();
      sent = sipAlgRequest({ local: { address: local.address, port: local.port }, target: { host, port }, token });
      for (const at of [0, 500, 1500]) timers.push(setTimeout(() => s.send(sent), at));
      timers.push(setTimeout(() => done({ error: 'timeout' }), 3000));
    });
  });
}

/** How long tracepath may look for the path MTU; a cut-short run still says what it found. */
const TRACEPATH_DEADLINE_MS = 10_000;

/** `tracepath -n` toward the hub: its output (cut at the deadline), or why it could not run. */
function tracePath(host: string): Promise<MtuProbe> {
  return new Promise((resolve) => {
    execFile('tracepath', ['-n', '-m', '16', host], { timeout: TRACEPATH_DEADLINE_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = (error as { code?: unknown } | null)?.code;
      if (code === 'ENOENT') return resolve({ target: host, error: 'ENOENT' });
      const cut = (error as { killed?: boolean } | null)?.killed === true;
      resolve({ target: host, output: stdout, ...(error === null || cut || stdout.includes('pmtu') ? {} : { error: stderr.trim() || error.message }) });
    });
  });
}

function echoTarget(value: string): { host: string; port: number } {
  const target = parseEchoTarget(value);
  if (target === undefined) throw new UsageError(`--sip-echo must be HOST:PORT (an IPv6 address in brackets), not '${value}'`);
  return target;
}

/** The hub's clock minus ours, from the Date of its enrollment endpoint (HTTPS, its CA trusted). */
function hubClockOffset(identity: AgentIdentity): Promise<{ offsetMs?: number; error?: string }> {
  return new Promise((resolve) => {
    const url = new URL(identity.record.enrollUrl);
    const sent = Date.now();
    const req = request({ host: url.hostname, port: url.port === '' ? 443 : Number(url.port), path: '/', method: 'HEAD', ca: identity.caPem, servername: identity.record.hub.name, timeout: PROBE_TIMEOUT_MS }, (res) => {
      const back = Date.now();
      res.resume();
      const date = Date.parse(res.headers.date ?? '');
      // The Date has 1 s resolution: taken as the middle of its second, at the middle of the round trip.
      resolve(Number.isNaN(date) ? { error: 'the hub sent no Date' } : { offsetMs: date + 500 - (sent + back) / 2 });
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', (e) => resolve({ error: errorCode(e) }));
    req.end();
  });
}

async function checks(argv: readonly string[]): Promise<{ results: CheckResult[]; json: boolean }> {
  const args = parseArgs(argv, { values: [...COMMON_VALUES, 'sip-echo'], flags: ['json'] });
  const echoArg = args.values.get('sip-echo');
  const echoOverride = echoArg === undefined ? undefined : echoTarget(echoArg);
  const { config, stateDir } = await commonContext(args);
  const a = config.agent;
  const results: CheckResult[] = [];
  const paths = agentStatePaths(stateDir);
  const reading = await readStatusFile(paths.status, realClock.wallNow());
  const running = reading.running;

  // Ports: while the agent runs, its status file lists what it holds; else they must be free.
  if (reading.running) {
    for (const l of reading.status.listeners) results.push(portCheck({ name: l.name, address: l.address, port: l.port, error: 'EADDRINUSE', agentRunning: true }));
  } else {
    const wanted: { name: string; transport: 'UDP' | 'TCP'; address: string; port: number }[] = [
      { name: 'SIP', transport: 'UDP', address: '0.0.0.0', port: a.sip.port },
      { name: 'SIP', transport: 'TCP', address: '0.0.0.0', port: a.sip.port },
      { name: 'STUN', transport: 'UDP', address: '0.0.0.0', port: a.stun.port },
      ...(a.admin.enabled ? [{ name: 'admin', transport: 'TCP' as const, address: '127.0.0.1', port: a.admin.port }] : []),
    ];
    for (const w of wanted) {
      const error = await tryBind(w.transport, w.address, w.port);
      results.push(portCheck({ ...w, ...(error === undefined ? {} : { error }), agentRunning: false }));
    }
  }

  // Multicast: the LANs the running agent serves, else the configured ones.
  const parts = reading.running ? reading.status.parts : undefined;
  const lansPart = Array.isArray(parts?.['lans']) ? (parts['lans'] as { name?: unknown }[]) : [];
  const lans = lansPart.length > 0 ? lansPart.map((l) => String(l.name)) : [...a.lan];
  const igmp = parseProcIgmp(await readFile('/proc/net/igmp', 'utf8').catch(() => ''));
  for (const lan of lans) {
    results.push(multicastCheck(lan, igmp.get(lan), running, a.pnp.policy !== 'off'));
    if (a.pnp.policy === 'off' || !igmp.has(lan)) continue;
    const route = multicastRouteCheck(await multicastRoute(lan), lans);
    if (route !== undefined) results.push(route);
  }

  // The NAT check needs no hub: it runs beside the tunnel probes (its filtering tests wait for
  // answers that a filtering NAT never lets in).
  const natProbe = a.stun.server === undefined ? Promise.resolve({ state: 'not configured' as const }) : checkNat(a.stun.server, 3000);
  const identity = await loadAgentIdentity(paths, readFileIfExists).catch(() => undefined);
  if (identity === undefined) {
    results.push({ check: 'enrolled', status: 'fail', says: `this agent is not enrolled (no identity in ${stateDir})`, todo: "enroll it with the URL and key from the hub: 'sbc-agent enroll URL --key KEY'" });
    results.push(natCheck(await natProbe));
  } else {
    const hub = identity.record.hub;
    const wssUrl = new URL(hub.wss.url);
    const [tls, wss] = await Promise.all([reach('tls', hub.tunnel.host, hub.tunnel.port, identity), reach('wss', wssUrl.hostname.replace(/^\[|\]$/g, ''), wssUrl.port === '' ? 443 : Number(wssUrl.port), identity)]);
    results.push(...carriageChecks(tls, wss));
    const pinned = fingerprintCheck(identity.record.caFingerprint, [tls, wss]);
    if (pinned !== undefined) results.push(pinned);
    const echo = echoOverride ?? { host: hub.tunnel.host, port: 5060 };
    const [alg, nat, mtu] = await Promise.all([
      sipEcho(echo.host, echo.port),
      natProbe,
      tracePath(hub.tunnel.host),
    ]);
    results.push(sipAlgCheck(alg), natCheck(nat), mtuCheck(mtu));
    const clock = await hubClockOffset(identity);
    results.push(clockCheck(clock.offsetMs, clock.error));
    results.push(certificateCheck("this agent's certificate", certificateExpiry(identity.certPem).getTime(), Date.now()));
  }

  const fs = await statfs(stateDir).catch(() => statfs('/'));
  results.push(diskCheck(stateDir, fs.bavail * fs.bsize));
  return { results, json: args.flags.has('json') };
}

async function doctor(argv: readonly string[], io: CommandIo): Promise<number> {
  const { results, json } = await checks(argv);
  io.stdout.write(json ? `${JSON.stringify(results, null, 2)}\n` : formatChecks(results));
  return worst(results) === 'fail' ? EXIT.DOCTOR_FAILED : EXIT.OK;
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check ports, multicast, clock, tunnel (TLS, WSS), SIP ALG, NAT, path MTU, certificates and disk, each with what to do',
  usage: USAGE,
  run: (argv, io) => reportErrors(io, 'doctor', () => doctor(argv, io)),
};
