/**
 * doctor's path MTU check toward the hub, measured by `tracepath -n` (Debian iputils-tracepath):
 * it sends UDP probes with Don't Fragment set and reads the MTU from the ICMP "fragmentation
 * needed" answers of the routers on the way (RFC 1191). Below 1400 bytes a SIP request over UDP
 * with its SDP (often 1,000 to 1,400 bytes) is fragmented, and many NATs and firewalls drop
 * fragments: calls fail or are silent in one direction. The tunnel is TCP and adapts to the path;
 * SIP over UDP outside it does not (RFC 3261 §18.1.1 moves only requests over 1300 bytes to TCP).
 * Parsing and verdict are pure (docs/STYLE.md rule 1); doctor.ts runs the tool.
 */
import type { CheckResult } from './doctor-checks.js';

/** The path MTU below which SIP over UDP is likely to be fragmented. */
export const MIN_PATH_MTU = 1400;

export interface TracepathResult {
  /** The path MTU found: the `Resume:` line's, else the last one seen (a run cut short). */
  readonly pmtu: number | undefined;
  /** Whether the destination answered (a `reached` line). */
  readonly reached: boolean;
  /** Hops to the destination, from the `Resume:` line. */
  readonly hops: number | undefined;
}

/**
 * tracepath's output, e.g.
 *
 *      1?: [LOCALHOST]                      pmtu 1500
 *      1:  10.216.2.1                                            0.131ms
 *      2:  10.216.2.1                                            0.114ms pmtu 1280
 *      2:  10.216.3.2                                            0.082ms reached
 *          Resume: pmtu 1280 hops 2 back 2
 */
export function parseTracepath(text: string): TracepathResult {
  let pmtu: number | undefined;
  let resume: number | undefined;
  let hops: number | undefined;
  let reached = false;
  for (const line of text.split('\n')) {
    const r = /^\s*Resume:\s+pmtu\s+(\d+)(?:\s+hops\s+(\d+))?/.exec(line);
    if (r !== null) {
      resume = Number(r[1]);
      if (r[2] !== undefined) hops = Number(r[2]);
      continue;
    }
    const seen = /\bpmtu\s+(\d+)\b/.exec(line);
    if (seen !== null) pmtu = Number(seen[1]);
    if (/^\s*\d+\??:\s.*\breached\b/.test(line)) reached = true;
  }
  return { pmtu: resume ?? pmtu, reached, hops };
}

export interface MtuProbe {
  /** The hub's address the path was traced to. */
  readonly target: string;
  /** What tracepath printed (possibly cut short by the deadline). */
  readonly output?: string;
  /** Why it could not run: `ENOENT` when tracepath is not installed, or the error. */
  readonly error?: string;
}

export function mtuCheck(probe: MtuProbe): CheckResult {
  const check = 'path-mtu';
  if (probe.error === 'ENOENT') {
    return { check, status: 'warn', says: `path MTU toward the hub (${probe.target}) not measured: tracepath is not installed`, todo: "install it ('apt install iputils-tracepath') and run doctor again" };
  }
  const result = parseTracepath(probe.output ?? '');
  if (result.pmtu === undefined) {
    return { check, status: 'warn', says: `path MTU toward the hub (${probe.target}) could not be measured${probe.error === undefined ? '' : ` (${probe.error})`}`, todo: `run 'tracepath -n ${probe.target}' to see where the path ends` };
  }
  const upTo = result.reached ? `${result.hops === undefined ? '' : `${result.hops} hops, `}the hub reached` : 'over the hops that answered (the hub did not)';
  if (result.pmtu >= MIN_PATH_MTU) return { check, status: 'ok', says: `path MTU toward the hub (${probe.target}) is ${result.pmtu} bytes (${upTo})` };
  return {
    check, status: 'warn',
    says: `path MTU toward the hub (${probe.target}) is only ${result.pmtu} bytes (${upTo}), below ${MIN_PATH_MTU}: SIP over UDP with SDP will be fragmented, and fragments are often dropped`,
    todo: 'keep SIP in the tunnel (TCP adapts to the path) and give phones that talk to the PBX directly SIP over TCP or TLS; a PPPoE or VPN link on the way is the usual cause: raise its MTU if you can',
  };
}
