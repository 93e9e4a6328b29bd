/**
 * `sbc-agent status`: what this machine knows, for each role found in the state directory: the
 * identity (SBC name, certificate expiry, hub address) or the hub's CA and SBC counts, and, when
 * the process runs, its listeners and tunnels from `<role>/status.json` (refreshed every second).
 */
import { readFileIfExists, readStatusFile, type StatusReading, type TunnelStatus } from '../platform/index.js';
import { realClock } from '../core/index.js';
import { agentStatePaths, certificateExpiry, fingerprintOfPem, hubStatePaths, loadAgentIdentity } from '../tunnel/index.js';
import { parseSbcListFile } from '../hub.js';
import { parseArgs } from './args.js';
import type { Command, CommandIo } from './command.js';
import { EXIT } from './exit-codes.js';
import { partLines } from './status-parts.js';
import { COMMON_VALUES, commonContext, hostPort, reportErrors, shortTime } from './hub-common.js';

const USAGE = `Usage: sbc-agent status [--state-dir DIR] [--config FILE] [--json]

Shows, for the hub and/or the agent found in the state directory: identity, hub address, and
when the process is running, its tunnels (state, peer, RTT, uptime, reconnects, bytes and frames
per direction, dropped datagrams).
`;

function runtime(reading: StatusReading): object {
  if (reading.running) return { running: true, pid: reading.status.pid, startedAt: reading.status.startedAt, updatedAt: reading.status.updatedAt, listeners: reading.status.listeners, tunnels: reading.status.tunnels, ...(reading.status.parts === undefined ? {} : { parts: reading.status.parts }) };
  return { running: false, reason: reading.reason };
}

async function hubPart(stateDir: string, now: number): Promise<object | undefined> {
  const paths = hubStatePaths(stateDir);
  const ca = await readFileIfExists(paths.caCert);
  if (ca === undefined) return undefined;
  const list = await readFileIfExists(paths.sbcList);
  const sbcs = list === undefined ? [] : parseSbcListFile(paths.sbcList, list.toString('utf8')).sbcs;
  const counts = { pending: 0, enrolled: 0, revoked: 0 };
  for (const r of sbcs) counts[r.state] += 1;
  return { role: 'hub', fingerprint: fingerprintOfPem(ca.toString('utf8')), sbcs: counts, ...runtime(await readStatusFile(paths.status, now)) };
}

async function agentPart(stateDir: string, now: number): Promise<object | undefined> {
  const paths = agentStatePaths(stateDir);
  const identity = await loadAgentIdentity(paths, readFileIfExists);
  if (identity === undefined) return undefined;
  const { record } = identity;
  return {
    role: 'agent',
    sbc: record.sbc,
    certificate: { fingerprint: record.certificateFingerprint, notAfter: certificateExpiry(identity.certPem).toISOString() },
    hub: { ...record.hub, fingerprint: record.caFingerprint, enrollUrl: record.enrollUrl },
    enrolledAt: record.enrolledAt,
    ...runtime(await readStatusFile(paths.status, now)),
  };
}

function tunnelLine(t: TunnelStatus): string {
  const parts = [`${t.peer}: ${t.state}`];
  if (t.carriage !== undefined) parts.push(`over ${t.carriage.toUpperCase()}`);
  if (t.rttMs !== undefined) parts.push(`rtt ${t.rttMs.toFixed(1)} ms`);
  if (t.uptimeMs !== undefined) parts.push(`up ${Math.round(t.uptimeMs / 1000)} s`);
  if (t.reconnects !== undefined) parts.push(`${t.reconnects} reconnects`);
  if (t.sent !== undefined) parts.push(`sent ${t.sent.bytes} B/${t.sent.frames} frames`);
  if (t.received !== undefined) parts.push(`received ${t.received.bytes} B/${t.received.frames} frames`);
  if (t.droppedDatagrams !== undefined) parts.push(`${t.droppedDatagrams} datagrams dropped`);
  return `    ${parts.join(', ')}`;
}

function runtimeLines(part: Record<string, unknown>): string[] {
  if (part['running'] !== true) return [`  process:     not running${part['reason'] === 'stale' ? ' (its status file is stale)' : ''}`];
  const listeners = (part['listeners'] as Array<{ name: string; address: string; port: number }>).map((l) => `${l.name} ${hostPort(l.address, l.port)}`);
  const tunnels = part['tunnels'] as TunnelStatus[];
  return [
    `  process:     running (pid ${String(part['pid'])}, since ${shortTime(part['startedAt'] as string)})`,
    ...(listeners.length > 0 ? [`  listening:   ${listeners.join(', ')}`] : []),
    `  tunnels:     ${tunnels.length === 0 ? 'none' : ''}`.trimEnd(),
    ...tunnels.map(tunnelLine),
    ...partLines(part['parts'] as Record<string, unknown> | undefined),
  ];
}

/** The document `status --json` prints (also `GET /api/status` of the agent's admin API). */
export async function statusDocument(stateDir: string, now = realClock.wallNow()): Promise<{ stateDir: string; hub: Record<string, unknown> | null; agent: Record<string, unknown> | null }> {
  const hub = (await hubPart(stateDir, now)) as Record<string, unknown> | undefined;
  const agent = (await agentPart(stateDir, now)) as Record<string, unknown> | undefined;
  return { stateDir, hub: hub ?? null, agent: agent ?? null };
}

async function status(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: [...COMMON_VALUES], flags: ['json'] });
  const { stateDir } = await commonContext(args);
  const doc = await statusDocument(stateDir);
  const hub = doc.hub ?? undefined;
  const agent = doc.agent ?? undefined;
  if (args.flags.has('json')) {
    io.stdout.write(`${JSON.stringify(doc)}\n`);
    return EXIT.OK;
  }
  const lines = [`state directory: ${stateDir}`];
  if (hub === undefined && agent === undefined) lines.push("  nothing here yet: no hub state and no enrolled agent (run 'sbc-agent hub' or 'sbc-agent enroll')");
  if (hub !== undefined) {
    const c = hub['sbcs'] as Record<string, number>;
    lines.push('hub', `  fingerprint: ${String(hub['fingerprint'])}`, `  SBCs:        ${c['enrolled'] ?? 0} enrolled, ${c['pending'] ?? 0} pending, ${c['revoked'] ?? 0} revoked`, ...runtimeLines(hub));
  }
  if (agent !== undefined) {
    const sbc = agent['sbc'] as { id: string; name: string };
    const cert = agent['certificate'] as { notAfter: string };
    const hubInfo = agent['hub'] as { tunnel: { host: string; port: number }; wss: { url: string } };
    lines.push(
      'agent',
      `  identity:    SBC '${sbc.name}' (id ${sbc.id}), certificate valid until ${shortTime(cert.notAfter)}`,
      `  hub:         ${hostPort(hubInfo.tunnel.host, hubInfo.tunnel.port)} (TLS), ${hubInfo.wss.url} (WSS)`,
      ...runtimeLines(agent),
    );
  }
  io.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.OK;
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'show this machine\'s hub or agent: identity, hub address, tunnel state and counters',
  usage: USAGE,
  run: (argv, io) => reportErrors(io, 'status', () => status(argv, io)),
};
