/**
 * `sbc-agent doctor [--json]`: looks at what usually goes wrong on site and says it in plain
 * words with what to do: the agent's ports (free before start, held by it while it runs), the
 * plug-and-play multicast group on each LAN, the clock against the hub's, the tunnel over TLS and
 * over WSS with the round trip, the hub's certificate against the CA enrolled with, disk space and
 * the agent's certificate expiry. The judgements are doctor-checks.ts's; this file measures.
 */
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { readFile, statfs } from 'node:fs/promises';
import { request } from 'node:https';
import { connect } from 'node:tls';
import { realClock } from '../core/index.js';
import { readFileIfExists, readStatusFile } from '../platform/index.js';
import { agentStatePaths, certificateExpiry, loadAgentIdentity, type AgentIdentity } from '../tunnel/index.js';
import { parseArgs } from './args.js';
import type { Command, CommandIo } from './command.js';
import {
  certificateCheck, clockCheck, diskCheck, formatChecks, multicastCheck, parseProcIgmp, portCheck, reachCheck, tunnelSummary, worst, type CheckResult, type ReachProbe,
} from './doctor-checks.js';
import { EXIT } from './exit-codes.js';
import { COMMON_VALUES, commonContext, reportErrors } from './hub-common.js';

const USAGE = `Usage: sbc-agent doctor [--json] [--state-dir DIR] [--config FILE]

Checks this agent and says what to do about each problem: its ports, the plug-and-play
multicast group on each LAN, the clock against the hub's, the tunnel over TLS and over WSS
(round trip, the hub's certificate against the one enrolled with), disk space and the expiry of
the agent's certificate. --json prints the checks as a JSON array.
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

async function reach(carriage: 'tls' | 'wss', host: string, port: number, identity: AgentIdentity): Promise<ReachProbe> {
  const target = `${host}:${port}`;
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host, port, servername: identity.record.hub.name, key: identity.keyPem, cert: identity.certPem, ca: identity.caPem, ...(carriage === 'wss' ? { ALPNProtocols: ['http/1.1'] } : {}) });
    const done = (error?: string): void => {
      socket.destroy();
      resolve({ carriage, target, ...(error === undefined ? { rttMs: performance.now() - started } : { error }) });
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done('timeout'));
    socket.once('secureConnect', () => done());
    socket.once('error', (e) => done(errorCode(e)));
  });
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
  const args = parseArgs(argv, { values: [...COMMON_VALUES], flags: ['json'] });
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
  for (const lan of lans) results.push(multicastCheck(lan, igmp.get(lan), running, a.pnp.policy !== 'off'));

  const identity = await loadAgentIdentity(paths, readFileIfExists).catch(() => undefined);
  if (identity === undefined) {
    results.push({ check: 'enrolled', status: 'fail', says: `this agent is not enrolled (no identity in ${stateDir})`, todo: "enroll it with the URL and key from the hub: 'sbc-agent enroll URL --key KEY'" });
  } else {
    const tls = reachCheck(await reach('tls', identity.record.hub.tunnel.host, identity.record.hub.tunnel.port, identity));
    const wssUrl = new URL(identity.record.hub.wss.url);
    const wss = reachCheck(await reach('wss', wssUrl.hostname.replace(/^\[|\]$/g, ''), wssUrl.port === '' ? 443 : Number(wssUrl.port), identity));
    results.push(tls, wss);
    const summary = tunnelSummary(tls, wss);
    if (summary !== undefined) results.push(summary);
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
  summary: 'check ports, multicast, clock, tunnel (TLS, WSS), certificates and disk, each with what to do',
  usage: USAGE,
  run: (argv, io) => reportErrors(io, 'doctor', () => doctor(argv, io)),
};
