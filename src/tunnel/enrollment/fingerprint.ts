/**
 * The hub fingerprint: SHA-256 over the DER encoding of the hub **CA** certificate, as upper-case
 * hex pairs joined by colons: the format of `openssl x509 -noout -fingerprint -sha256` and of
 * Node's `fingerprint256`. The CA (not the server certificate) is pinned because the CA is what
 * the agent keeps as its trust anchor for the tunnel, and it outlives server certificate renewals.
 */
import { createHash, X509Certificate } from 'node:crypto';

export function fingerprintOfDer(der: Uint8Array): string {
  const hex = createHash('sha256').update(der).digest('hex').toUpperCase();
  return hex.match(/../g)?.join(':') ?? hex;
}

export function fingerprintOfPem(pem: string): string {
  return fingerprintOfDer(new X509Certificate(pem).raw);
}

/**
 * The canonical form of a fingerprint as a person may paste it (any case, with or without
 * colons or spaces, with an optional `sha256:`/`SHA256 Fingerprint=` prefix), or undefined.
 */
export function normalizeFingerprint(input: string): string | undefined {
  const hex = input
    .trim()
    .replace(/^sha-?256( fingerprint)?[:=]\s*/i, '')
    .replace(/[:\s]/g, '')
    .toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return undefined;
  return hex.match(/../g)?.join(':');
}
