/**
 * The judgements of `sbc-agent doctor`: each check takes what doctor.ts measured and says, in
 * plain words, whether it is right and what to do when it is not. Pure (docs/STYLE.md rule 1): the
 * measuring is doctor.ts's, so every verdict is a table-driven unit test.
 */

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  /** Stable id for scripts (`--json`): `port`, `multicast`, `clock`, `tunnel-tls`... */
  readonly check: string;
  readonly status: CheckStatus;
  /** What was found, in plain words. */
  readonly says: string;
  /** What to do about it; absent when all is well. */
  readonly todo?: string;
}

/** A listener's port: free, held by the running agent (as it should be), or held by another program. */
export interface PortProbe {
  readonly name: string;
  /** Absent for a listener read off the running agent's status file. */
  readonly transport?: 'UDP' | 'TCP';
  readonly address: string;
  readonly port: number;
  /** undefined: it could be bound (free); else the errno (`EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`). */
  readonly error?: string;
  readonly agentRunning: boolean;
}

export function portCheck(p: PortProbe): CheckResult {
  const where = `${p.name}${p.transport === undefined ? '' : ` ${p.transport}`} ${p.address}:${p.port}`;
  if (p.error === undefined) {
    return p.agentRunning
      ? { check: 'port', status: 'fail', says: `${where} is free although the agent runs: it is not listening there`, todo: "look at 'sbc-agent status' and the agent's log for the listener that failed" }
      : { check: 'port', status: 'ok', says: `${where} is free` };
  }
  if (p.error === 'EADDRINUSE') {
    return p.agentRunning
      ? { check: 'port', status: 'ok', says: `${where} is in use by the running agent` }
      : { check: 'port', status: 'fail', says: `${where} is taken by another program`, todo: `find it with 'ss -lunpt sport = :${p.port}' and stop it, or give the agent another port in agent.yaml` };
  }
  if (p.error === 'EADDRNOTAVAIL') return { check: 'port', status: 'fail', says: `${where}: this machine has no address ${p.address}`, todo: 'check agent.lan in agent.yaml against `ip -br addr`' };
  if (p.error === 'EACCES') return { check: 'port', status: 'fail', says: `${where} may not be bound by this user`, todo: 'run the agent as its service user (systemd gives it CAP_NET_BIND_SERVICE) or pick a port above 1023' };
  return { check: 'port', status: 'fail', says: `${where} cannot be bound (${p.error})`, todo: 'see the error above' };
}

/** The SIP plug-and-play group (RFC 3261 section 10.3's "sip.mcast.net", 224.0.1.75). */
export const PNP_GROUP = '224.0.1.75';

/** `/proc/net/igmp`: the IPv4 groups joined on each interface. */
export function parseProcIgmp(text: string): Map<string, Set<string>> {
  const groups = new Map<string, Set<string>>();
  let current: Set<string> | undefined;
  for (const line of text.split('\n')) {
    const iface = /^\d+\s+(\S+)\s*:/.exec(line);
    if (iface !== null) {
      current = new Set();
      groups.set(iface[1] ?? '', current);
      continue;
    }
    const group = /^\s+([0-9A-Fa-f]{8})\s/.exec(line);
    if (group !== null && current !== undefined) {
      // The kernel prints the address as a host-order (little-endian) 32-bit hex number.
      const n = parseInt(group[1] ?? '0', 16);
      current.add([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].join('.'));
    }
  }
  return groups;
}

export function multicastCheck(lan: string, joined: ReadonlySet<string> | undefined, agentRunning: boolean, pnpOn: boolean): CheckResult {
  if (!pnpOn) return { check: 'multicast', status: 'ok', says: `${lan}: plug-and-play is off, no group to join` };
  if (joined === undefined) return { check: 'multicast', status: 'fail', says: `${lan}: no such interface, or it has no multicast`, todo: `check the interface name and that it is up with MULTICAST ('ip link show ${lan}')` };
  if (joined.has(PNP_GROUP)) return { check: 'multicast', status: 'ok', says: `${lan} has joined ${PNP_GROUP}: phones' plug-and-play SUBSCRIBEs reach the agent` };
  if (!agentRunning) return { check: 'multicast', status: 'warn', says: `${lan} has not joined ${PNP_GROUP} (the agent is not running; it joins at start)`, todo: 'start the agent and run doctor again' };
  return { check: 'multicast', status: 'fail', says: `${lan} has not joined ${PNP_GROUP} although the agent runs: phones will not find it by plug-and-play`, todo: `add a multicast route ('ip route add 224.0.0.0/4 dev ${lan}') or check that the interface allows multicast` };
}

/** More than this apart from the hub and certificates and CDR times go wrong. */
export const CLOCK_WARN_MS = 2_000;
export const CLOCK_FAIL_MS = 60_000;

/** `offsetMs`: the hub's clock minus ours, from the hub's HTTP Date (1 s resolution) and the round trip. */
export function clockCheck(offsetMs: number | undefined, error?: string): CheckResult {
  if (offsetMs === undefined) return { check: 'clock', status: 'warn', says: `the hub's clock could not be read${error === undefined ? '' : ` (${error})`}`, todo: 'see the tunnel checks' };
  const s = Math.abs(offsetMs) / 1000;
  const way = offsetMs > 0 ? 'behind' : 'ahead of';
  if (Math.abs(offsetMs) <= CLOCK_WARN_MS) return { check: 'clock', status: 'ok', says: `this clock and the hub's agree (within ${Math.max(1, Math.round(s))} s)` };
  const says = `this clock is ${s >= 120 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`} ${way} the hub's`;
  return { check: 'clock', status: Math.abs(offsetMs) > CLOCK_FAIL_MS ? 'fail' : 'warn', says, todo: "enable time sync ('timedatectl set-ntp true') and check that NTP (UDP 123) may leave the LAN" };
}

export interface ReachProbe {
  readonly carriage: 'tls' | 'wss';
  readonly target: string;
  readonly rttMs?: number;
  /** undefined: connected; else the error code or message. */
  readonly error?: string;
}

/** TLS errors that mean the hub's certificate is not signed by the CA enrolled with. */
const UNTRUSTED = ['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_SIGNATURE_FAILURE', 'ERR_TLS_CERT_ALTNAME_INVALID'];

export function reachCheck(p: ReachProbe): CheckResult {
  const check = `tunnel-${p.carriage}`;
  const what = p.carriage === 'tls' ? `the tunnel over TLS (${p.target})` : `the tunnel over WSS (${p.target})`;
  if (p.error === undefined) return { check, status: 'ok', says: `${what} answers in ${Math.round(p.rttMs ?? 0)} ms` };
  if (UNTRUSTED.includes(p.error)) return { check, status: 'fail', says: `${what}: the hub's certificate is not the one enrolled with (${p.error})`, todo: "if the hub was reinstalled, enroll again ('sbc-agent enroll --force'); else something is in the way (a TLS-inspecting firewall)" };
  if (p.error === 'ETIMEDOUT' || p.error === 'timeout') return { check, status: 'fail', says: `${what}: no answer`, todo: `a firewall drops the traffic: allow ${p.target} outbound${p.carriage === 'tls' ? ' (the agent falls back to WSS on 443 meanwhile)' : ''}` };
  if (p.error === 'ECONNREFUSED') return { check, status: 'fail', says: `${what}: refused`, todo: 'the hub is not listening there: is it running, and is the address right?' };
  if (p.error === 'ENOTFOUND' || p.error === 'EAI_AGAIN') return { check, status: 'fail', says: `${what}: the name does not resolve`, todo: 'check DNS on this machine (/etc/resolv.conf)' };
  return { check, status: 'fail', says: `${what}: ${p.error}`, todo: 'see the error above' };
}

/** Both carriages down is a failure of the agent; one down is a warning (the other carries the tunnel). */
export function tunnelSummary(tls: CheckResult, wss: CheckResult): CheckResult | undefined {
  if (tls.status === 'ok' || wss.status === 'ok') return undefined;
  return { check: 'tunnel', status: 'fail', says: 'the hub cannot be reached by either carriage: calls to the PBX will fail', todo: 'fix the first tunnel problem above' };
}

export const DISK_WARN_BYTES = 200 * 1024 * 1024;
export const DISK_FAIL_BYTES = 20 * 1024 * 1024;

export function diskCheck(path: string, freeBytes: number): CheckResult {
  const mib = Math.floor(freeBytes / (1024 * 1024));
  if (freeBytes >= DISK_WARN_BYTES) return { check: 'disk', status: 'ok', says: `${mib} MiB free for ${path}` };
  return {
    check: 'disk', status: freeBytes < DISK_FAIL_BYTES ? 'fail' : 'warn',
    says: `only ${mib} MiB free for ${path}: CDRs waiting for upload and the status files need room`,
    todo: "free some space ('journalctl --vacuum-size=50M', old captures) or give the state directory a bigger disk",
  };
}

export const CERT_WARN_DAYS = 30;

export function certificateCheck(what: string, notAfterMs: number, nowMs: number): CheckResult {
  const days = Math.floor((notAfterMs - nowMs) / 86_400_000);
  const date = new Date(notAfterMs).toISOString().slice(0, 10);
  if (notAfterMs <= nowMs) return { check: 'certificate', status: 'fail', says: `${what} expired on ${date}`, todo: "the hub refuses it: get a new key from the hub ('hub rekey-sbc') and enroll again" };
  if (days < CERT_WARN_DAYS) return { check: 'certificate', status: 'warn', says: `${what} expires in ${days} days (${date})`, todo: "renew it before then: 'hub rekey-sbc' on the hub, then 'sbc-agent enroll --force'" };
  return { check: 'certificate', status: 'ok', says: `${what} is valid until ${date} (${days} days)` };
}

/** The exit status of doctor: 0 all ok or warnings, 1 a failure. */
export function worst(results: readonly CheckResult[]): CheckStatus {
  if (results.some((r) => r.status === 'fail')) return 'fail';
  return results.some((r) => r.status === 'warn') ? 'warn' : 'ok';
}

const MARK: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };

export function formatChecks(results: readonly CheckResult[]): string {
  return results.map((r) => `${MARK[r.status]} ${r.says}${r.todo === undefined ? '' : `\n     → ${r.todo}`}\n`).join('');
}
