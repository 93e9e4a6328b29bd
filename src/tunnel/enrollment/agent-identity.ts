/**
 * The agent's identity after enrollment: its key, the certificate the hub CA signed, the hub CA,
 * and where the hub is. Written as four files, `hub.json` last; it names the certificate and CA
 * fingerprints, so a crash between the writes is detected on load (the files do not match) instead
 * of producing a tunnel with a key that does not fit its certificate.
 */
import { X509Certificate, createPublicKey } from 'node:crypto';
import { SbcError } from '../../core/index.js';
import { fingerprintOfPem } from './fingerprint.js';
import type { HubAddresses } from './messages.js';
import type { AgentStatePaths } from './state-layout.js';

export interface AgentHubRecord {
  readonly version: 1;
  readonly sbc: { readonly id: string; readonly name: string };
  readonly hub: HubAddresses;
  readonly enrollUrl: string;
  readonly caFingerprint: string;
  readonly certificateFingerprint: string;
  readonly enrolledAt: string;
}

export interface AgentIdentity {
  readonly keyPem: string;
  readonly certPem: string;
  readonly caPem: string;
  readonly record: AgentHubRecord;
}

/** The identity files are missing pieces or do not belong together. */
export class IdentityError extends SbcError {
  constructor(message: string) {
    super('SBC_ERR_STATE', message);
  }
}

export interface FileToWrite {
  readonly path: string;
  readonly data: string;
}

/** The files to write, in the order to write them (each one atomically, owner-only). */
export function agentIdentityFiles(paths: AgentStatePaths, identity: AgentIdentity): FileToWrite[] {
  return [
    { path: paths.key, data: identity.keyPem },
    { path: paths.cert, data: identity.certPem },
    { path: paths.caCert, data: identity.caPem },
    { path: paths.hub, data: `${JSON.stringify(identity.record, null, 2)}\n` },
  ];
}

/** Whether the private key is the one the certificate certifies. */
export function keyMatchesCertificate(keyPem: string, certPem: string): boolean {
  const fromKey = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
  const fromCert = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return fromKey.equals(fromCert);
}

function parseRecord(text: string): AgentHubRecord {
  const value: unknown = JSON.parse(text);
  if (
    typeof value !== 'object' ||
    value === null ||
    !('version' in value) ||
    value.version !== 1 ||
    !('sbc' in value) ||
    !('hub' in value) ||
    !('caFingerprint' in value) ||
    typeof value.caFingerprint !== 'string' ||
    !('certificateFingerprint' in value) ||
    typeof value.certificateFingerprint !== 'string'
  ) {
    throw new IdentityError('hub.json is not an sbc-agent hub record');
  }
  return value as AgentHubRecord;
}

/**
 * Reads and cross-checks the identity; undefined when this agent has not enrolled (no hub.json).
 * `read` returns a file's bytes or undefined when it does not exist.
 */
export async function loadAgentIdentity(paths: AgentStatePaths, read: (path: string) => Promise<Buffer | undefined>): Promise<AgentIdentity | undefined> {
  const hub = await read(paths.hub);
  if (hub === undefined) return undefined;
  const [key, cert, ca] = await Promise.all([read(paths.key), read(paths.cert), read(paths.caCert)]);
  const missing = [[key, paths.key], [cert, paths.cert], [ca, paths.caCert]].flatMap(([bytes, path]) => (bytes === undefined ? [path] : []));
  if (key === undefined || cert === undefined || ca === undefined) throw new IdentityError(`the identity in ${paths.dir} is incomplete: ${missing.join(', ')} missing; enroll again (sbc-agent enroll --force)`);
  let record: AgentHubRecord;
  try {
    record = parseRecord(hub.toString('utf8'));
  } catch (error) {
    throw error instanceof IdentityError ? error : new IdentityError(`${paths.hub} is not valid JSON; enroll again`);
  }
  const identity: AgentIdentity = { keyPem: key.toString('utf8'), certPem: cert.toString('utf8'), caPem: ca.toString('utf8'), record };
  if (fingerprintOfPem(identity.certPem) !== record.certificateFingerprint || fingerprintOfPem(identity.caPem) !== record.caFingerprint || !keyMatchesCertificate(identity.keyPem, identity.certPem)) {
    throw new IdentityError(`the identity files in ${paths.dir} do not belong together (interrupted enrollment?); enroll again`);
  }
  return identity;
}

/** The certificate's expiry, for `status`. */
export function certificateExpiry(certPem: string): Date {
  return new Date(new X509Certificate(certPem).validTo);
}
