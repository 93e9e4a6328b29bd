/**
 * The human lines of `sbc-agent status` for the parts a running `sbc-agent run` publishes (mode,
 * LANs, plug-and-play, provisioning, STUN, NAT, registrations, calls, protection). `--json` prints them as
 * they are in the status file.
 */
type Parts = Readonly<Record<string, unknown>>;

function obj(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

/** The CDR line: the agent's buffer (pending upload) or the hub's store (stored). */
function cdrLine(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const c = obj(value);
  if ('pending' in c) {
    const last = typeof c['lastUploadAt'] === 'string' ? `, last upload ${String(c['lastUploadAt'])}` : '';
    const error = typeof c['lastError'] === 'string' ? `, last error: ${String(c['lastError'])}` : '';
    return [`  CDRs:        ${num(c['pending'])} pending upload, ${num(c['uploaded'])} uploaded, ${num(c['dropped'])} dropped (buffer full)${last}${error}`];
  }
  const stored = typeof c['stored'] === 'number' ? String(c['stored']) : 'counting';
  const days = num(c['days']);
  return [`  CDRs:        ${stored} stored over ${days} day${days === 1 ? '' : 's'}, ${num(c['received'])} received since start, ${num(c['duplicates'])} duplicates, ${num(c['rejected'])} rejected`];
}

const CALLS_BY: Record<string, string> = {
  pbx: 'the PBX (outbound proxy through the tunnel)',
  local: 'this agent (local registrar and call control)',
  auto: 'the PBX, this agent in survival (auto)',
};

/** `survival:    survival since 2026-12-03T13:40:00.000Z (PBX unreachable: timeout), failback waits for hold-down` */
function survivalLine(h: Parts): string {
  const since = typeof h['since'] === 'number' ? new Date(h['since']).toISOString() : '?';
  const waiting = h['waitingFor'] === undefined ? '' : `, failback waits for ${String(h['waitingFor'])}`;
  return `  survival:    ${String(h['mode'])} since ${since} (${String(h['reason'])}), tunnel ${String(h['tunnel'])}, PBX ${String(h['pbx'])}, ${num(h['survivalCalls'])} survival calls${waiting}`;
}

export function partLines(parts: Parts | undefined): string[] {
  if (parts === undefined) return [];
  // The hub's parts carry no mode: only its own entries.
  if (parts['mode'] === undefined) return cdrLine(parts['cdr']);
  const lines = [`  mode:        ${String(parts['mode'] ?? 'normal')}`];
  const lans = Array.isArray(parts['lans']) ? (parts['lans'] as unknown[]).map(obj) : [];
  for (const [i, l] of lans.entries()) {
    lines.push(`  ${i === 0 ? 'LANs:       ' : '           '} ${String(l['name'])} ${String(l['address'])}: ${String(l['reason'])}`);
  }
  const pnp = obj(parts['pnp']);
  if (parts['pnp'] !== undefined) {
    const phones = obj(pnp['phones']);
    lines.push(`  PnP:         policy ${String(pnp['policy'])}, ${num(pnp['answered'])} answered, ${num(phones['pending'])} phones pending approval, ${num(phones['approved'])} approved, ${num(pnp['malformed'])} malformed, ${num(pnp['rateLimited'])} rate-limited`);
  }
  const prov = obj(parts['provisioning']);
  const relay = obj(prov['relay']);
  lines.push(`  provisioning: from ${String(prov['source'] ?? 'off')}${prov['relay'] === undefined ? '' : `, ${num(relay['requests'])} requests, ${num(relay['upstreamFetches'])} fetched, ${num(relay['cacheHits'])} from cache, ${num(relay['upstreamErrors'])} upstream errors, ${num(relay['forbidden'])} refused`}`);
  const stun = obj(parts['stun']);
  const counters = obj(stun['counters']);
  lines.push(`  STUN:        ${num(stun['port']) === 0 ? 'on the SIP port only' : `port ${num(stun['port'])} and the SIP port`}, ${num(counters['success'])} answered`);
  const nat = obj(parts['nat']);
  const natText = nat['state'] === 'done'
    ? `public ${String(nat['mappedAddress'])}, mapping ${String(nat['mapping'] ?? 'unknown')}, filtering ${String(nat['filtering'] ?? 'unknown')}: ${String(nat['verdict'])}`
    : nat['state'] === 'failed' ? `check toward ${String(nat['server'])} failed: ${String(nat['error'])}` : String(nat['state'] ?? 'not configured');
  lines.push(`  NAT:         ${natText}`);
  const reg = obj(parts['registrations']);
  lines.push(`  calls by:    ${CALLS_BY[String(parts['callControl'])] ?? CALLS_BY['pbx']}`);
  if (parts['survival'] !== undefined) lines.push(survivalLine(obj(parts['survival'])));
  const local = obj(parts['local']);
  if (parts['local'] !== undefined) {
    const rows = Array.isArray(local['registrations']) ? (local['registrations'] as unknown[]).map(obj) : [];
    lines.push(`  registrar:   ${rows.length} bindings, ${num(local['authFailures'])} authentication failures`);
    for (const r of rows) lines.push(`               ${String(r['extension'])} ${String(r['contact'])} from ${String(r['source'])}${r['userAgent'] === null ? '' : ` (${String(r['userAgent'])})`}, ${num(r['expiresInS'])} s left`);
  }
  lines.push(`  phones:      ${num(reg['count'])} registered`);
  for (const p of parts['local'] !== undefined ? [] : Array.isArray(reg['phones']) ? (reg['phones'] as unknown[]).map(obj) : []) lines.push(`               ${String(p['aor'])}${p['userAgent'] === null ? '' : ` (${String(p['userAgent'])})`}, ${num(p['expiresInS'])} s left`);
  const calls = obj(parts['calls']);
  lines.push(`  calls:       ${num(calls['active'])} active${num(calls['refusedDraining']) > 0 ? `, ${num(calls['refusedDraining'])} refused while draining` : ''}`);
  const routing = obj(parts['routing']);
  lines.push(`  routing:     ${parts['routing'] === undefined ? 'no snapshot from the hub yet' : `version ${num(routing['version'])}, ${num(routing['extensions'])} extensions, since ${String(routing['receivedAt'])}`}`);
  if (parts['protection'] !== undefined) {
    const p = obj(parts['protection']);
    const dropped = obj(p['dropped']);
    const byReason = Object.entries(dropped).filter(([, n]) => num(n) > 0).map(([r, n]) => `${num(n)} ${r}`).join(', ');
    lines.push(`  protection:  ${num(p['blocks'])} blocked ('sbc-agent blocks'), ${num(p['authFailures'])} failed digests, dropped: ${byReason === '' ? 'none' : byReason}, ${num(p['connectionsRefused'])} connections refused`);
  }
  lines.push(...cdrLine(parts['cdr']));
  return lines;
}
