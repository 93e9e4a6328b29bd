/**
 * doctor's verdict on the tunnel as a whole, from the probes of its two carriages (TLS on the
 * hub's tunnel port, WSS on its web port; src/net/tunnel-connector.ts tries them in that order),
 * and on the hub's certificate against the fingerprint pinned at enrollment. Pure: doctor.ts
 * connects.
 */
import { reachCheck, tunnelSummary, type CheckResult, type ReachProbe } from './doctor-checks.js';

/** What a carriage probe adds to ReachProbe: the CA fingerprint at the top of the chain the hub presented. */
export interface CarriageProbe extends ReachProbe {
  readonly presentedFingerprint?: string;
}

function portOf(target: string): string {
  return target.slice(target.lastIndexOf(':') + 1);
}

/**
 * Each carriage's check, then one line for the tunnel. A carriage that cannot connect while the
 * other can is a warning, not a failure: the agent's connector falls back and the tunnel runs,
 * only with a carriage less (WSS costs more per packet; without WSS there is no fallback). A hub
 * certificate that does not verify stays a failure: that is the fingerprint check's to explain.
 */
export function carriageChecks(tls: CarriageProbe, wss: CarriageProbe): CheckResult[] {
  const t = reachCheck(tls);
  const w = reachCheck(wss);
  if (t.status === 'ok' && w.status === 'ok') return [t, w];
  const untrusted = (r: CheckResult): boolean => /not the one enrolled with/.test(r.says);
  const bothDown = tunnelSummary(t, w);
  if (bothDown !== undefined) return [t, w, bothDown];
  if (untrusted(t) || untrusted(w)) return [t, w];
  if (t.status !== 'ok') {
    const advice = `a firewall drops it: allow TCP ${portOf(tls.target)} outbound to ${tls.target} (the agent runs over WSS meanwhile)`;
    return [{ ...t, status: 'warn', ...(tls.error === 'ECONNREFUSED' ? {} : { todo: advice }) }, w, {
      check: 'tunnel', status: 'warn',
      says: `the agent works over WSS (${wss.target}); TLS to port ${portOf(tls.target)} ${tls.error === 'ECONNREFUSED' ? 'is refused' : 'is blocked'} on the way to the hub`,
      todo: `allow TCP ${portOf(tls.target)} outbound to ${tls.target} for the direct TLS tunnel (less overhead than WSS)`,
    }];
  }
  return [t, { ...w, status: 'warn' }, {
    check: 'tunnel', status: 'warn',
    says: `the agent works over TLS (${tls.target}); its fallback, WSS to port ${portOf(wss.target)}, is blocked: if TLS is cut the agent has nothing to fall back to`,
    todo: `allow TCP ${portOf(wss.target)} outbound to ${wss.target}`,
  }];
}

/**
 * The hub's certificate against the CA fingerprint this agent pinned when it enrolled. undefined
 * when no carriage got as far as a certificate (the reach checks say why).
 */
export function fingerprintCheck(pinned: string, probes: readonly CarriageProbe[]): CheckResult | undefined {
  const seen = probes.filter((p) => p.presentedFingerprint !== undefined);
  if (seen.length === 0) return undefined;
  const other = seen.find((p) => p.presentedFingerprint !== pinned);
  if (other === undefined) return { check: 'hub-fingerprint', status: 'ok', says: `the hub's certificate still matches the fingerprint pinned at enrollment (${pinned})` };
  const ports = [...new Set(seen.map((p) => portOf(p.target)))].join(' and ');
  return {
    check: 'hub-fingerprint', status: 'fail',
    says: `the hub at ${other.target} presents a certificate of CA ${other.presentedFingerprint ?? ''}, but this agent pinned ${pinned} when it enrolled: the agent will not connect to it`,
    todo: `ask the hub's admin whether the hub was reinstalled or given a new CA ('sbc-agent hub' prints its fingerprint at start). If so, and the fingerprint they read out is ${other.presentedFingerprint ?? ''}, get a new key ('hub add-sbc' or 'hub rekey-sbc') and enroll again: 'sbc-agent enroll --force --url URL --key KEY --fingerprint ${other.presentedFingerprint ?? ''}'. If nobody changed the hub, something on the way intercepts TLS (a TLS-inspecting firewall or proxy): let TCP ${ports} to the hub through uninspected`,
  };
}
