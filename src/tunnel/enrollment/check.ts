/**
 * The hub's admission check at tunnel handshake, after TLS has verified the agent's certificate
 * chain against the hub CA: is this certificate the current one of an SBC that is not revoked?
 * The certificate of a revoked SBC is 'revoked' (the tunnel answers GO_AWAY(REVOKED)); one replaced
 * by a later enrollment of an SBC still enrolled is 'superseded' (GO_AWAY(SUPERSEDED): the agent
 * has new files to start with); one the hub never issued, or an empty one, is 'unknown'.
 */
import { fingerprintOfDer, normalizeFingerprint } from './fingerprint.js';
import type { SbcRecord } from './sbc-record.js';
import type { SbcStore } from './sbc-store.js';

/** The part of Node's `tls.PeerCertificate` the check needs (`socket.getPeerCertificate()`). */
export interface PeerCertificateLike {
  readonly raw?: Uint8Array;
  readonly fingerprint256?: string;
}

export type AgentCheck = { readonly ok: true; readonly sbc: SbcRecord } | { readonly ok: false; readonly reason: 'revoked' | 'superseded' | 'unknown' };

export function checkAgentCertificate(store: SbcStore, peerCertificate: PeerCertificateLike | undefined): AgentCheck {
  // Node returns {} when the peer sent no certificate.
  const fingerprint =
    peerCertificate?.raw !== undefined && peerCertificate.raw.length > 0
      ? fingerprintOfDer(peerCertificate.raw)
      : peerCertificate?.fingerprint256 === undefined
        ? undefined
        : normalizeFingerprint(peerCertificate.fingerprint256);
  if (fingerprint === undefined) return { ok: false, reason: 'unknown' };
  const match = store.byCertificateFingerprint(fingerprint);
  if (match === undefined) return { ok: false, reason: 'unknown' };
  if (match.record.state !== 'enrolled') return { ok: false, reason: 'revoked' };
  if (!match.current) return { ok: false, reason: 'superseded' };
  return { ok: true, sbc: match.record };
}
