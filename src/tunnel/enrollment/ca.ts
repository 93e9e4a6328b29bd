/**
 * The hub's certificate authority (node-forge: Node's crypto cannot issue X.509 certificates).
 * The CA signs the hub's own server certificate (for the enrollment, TLS and WSS listeners) and
 * each agent's client certificate from the agent's CSR; the agent's private key never leaves it.
 * Keys are RSA-2048 (forge's X.509 supports RSA only); signatures sha256WithRSAEncryption.
 */
import { randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { isIpLiteral, type Clock } from '../../core/index.js';
import { EnrollError } from './errors.js';
import { fingerprintOfPem } from './fingerprint.js';

const DAY_MS = 86_400_000;
export const CA_VALIDITY_DAYS = 3650;
export const SERVER_VALIDITY_DAYS = 825;
export const AGENT_VALIDITY_DAYS = 825;
const MIN_AGENT_KEY_BITS = 2048;

export interface KeyAndCertificate {
  readonly keyPem: string;
  readonly certPem: string;
}

export interface IssuedCertificate {
  readonly certPem: string;
  /** Upper-case hex, no leading zero bytes: as Node's `getPeerCertificate().serialNumber`. */
  readonly serial: string;
  readonly fingerprint: string;
  readonly notAfter: string;
}

/** A positive 127-bit serial number (RFC 5280 section 4.1.2.2: positive, at most 20 octets). */
function newSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x10;
  return bytes.toString('hex').toUpperCase();
}

function validity(cert: forge.pki.Certificate, clock: Clock, days: number): void {
  const now = clock.wallNow();
  // Back-date a little so a peer whose clock is slightly behind still accepts the certificate.
  cert.validity.notBefore = new Date(now - 3_600_000);
  cert.validity.notAfter = new Date(now + days * DAY_MS);
}

function generateRsa(): forge.pki.rsa.KeyPair {
  // forge uses Node's native generateKeyPairSync for this when it is available.
  return forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
}

export function createCaCertificate(clock: Clock, commonName: string): KeyAndCertificate {
  const keys = generateRsa();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = newSerial();
  validity(cert, clock, CA_VALIDITY_DAYS);
  const subject = [{ name: 'commonName', value: commonName }, { name: 'organizationName', value: 'sbc-agent' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { keyPem: forge.pki.privateKeyToPem(keys.privateKey), certPem: forge.pki.certificateToPem(cert) };
}

/** The names a server certificate covers, as they appear in its subjectAltName. */
export function subjectAltNamesOf(certPem: string): string[] {
  const cert = forge.pki.certificateFromPem(certPem);
  const ext = cert.getExtension('subjectAltName') as { altNames?: Array<{ type: number; value?: string; ip?: string }> } | undefined;
  return (ext?.altNames ?? []).map((n) => (n.type === 7 ? (n.ip ?? '') : (n.value ?? ''))).filter((n) => n !== '');
}

export function certificateNotAfter(certPem: string): Date {
  return forge.pki.certificateFromPem(certPem).validity.notAfter;
}

/** Signs certificates with the hub CA. */
export class HubCa {
  readonly #key: forge.pki.rsa.PrivateKey;
  readonly #cert: forge.pki.Certificate;
  readonly #certPem: string;
  readonly #clock: Clock;
  readonly fingerprint: string;

  constructor(ca: KeyAndCertificate, clock: Clock) {
    this.#key = forge.pki.privateKeyFromPem(ca.keyPem);
    this.#cert = forge.pki.certificateFromPem(ca.certPem);
    this.#certPem = ca.certPem;
    this.#clock = clock;
    this.fingerprint = fingerprintOfPem(ca.certPem);
  }

  get certPem(): string {
    return this.#certPem;
  }

  #issue(cert: forge.pki.Certificate, days: number, commonName: string, extensions: object[]): IssuedCertificate {
    cert.serialNumber = newSerial();
    validity(cert, this.#clock, days);
    cert.setSubject([{ name: 'commonName', value: commonName }, { name: 'organizationName', value: 'sbc-agent' }]);
    cert.setIssuer(this.#cert.subject.attributes);
    cert.setExtensions([
      ...extensions,
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: this.#cert.generateSubjectKeyIdentifier().getBytes() },
    ]);
    cert.sign(this.#key, forge.md.sha256.create());
    const certPem = forge.pki.certificateToPem(cert);
    return { certPem, serial: cert.serialNumber.replace(/^(00)+/, '').toUpperCase(), fingerprint: fingerprintOfPem(certPem), notAfter: cert.validity.notAfter.toISOString() };
  }

  /** A new key and server certificate for the hub's listeners, valid for `names` (DNS names and IPs). */
  issueServerCertificate(names: readonly string[]): KeyAndCertificate {
    const keys = generateRsa();
    const cert = forge.pki.createCertificate();
    cert.publicKey = keys.publicKey;
    const altNames = names.map((n) => (!isIpLiteral(n) ? { type: 2, value: n } : { type: 7, ip: n }));
    const issued = this.#issue(cert, SERVER_VALIDITY_DAYS, names[0] ?? 'sbc-agent hub', [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ]);
    return { keyPem: forge.pki.privateKeyToPem(keys.privateKey), certPem: issued.certPem };
  }

  /**
   * Signs an agent's CSR (PKCS #10, RFC 2986) after checking its self-signature (proof that the
   * agent holds the key). The subject is set by the hub, never taken from the CSR:
   * CN = the SBC id, which does not change when the admin renames the SBC.
   */
  signAgentCsr(csrPem: string, sbcId: string): IssuedCertificate {
    let csr: forge.pki.CertificateSigningRequest;
    try {
      csr = forge.pki.certificationRequestFromPem(csrPem);
    } catch (error) {
      throw new EnrollError('bad_request', 'the certificate request is not a PEM PKCS#10 request with an RSA key', { cause: error });
    }
    if (!csr.verify()) throw new EnrollError('bad_request', 'the certificate request signature does not verify');
    const publicKey = csr.publicKey as forge.pki.rsa.PublicKey | null;
    if (publicKey === null || publicKey.n.bitLength() < MIN_AGENT_KEY_BITS) {
      throw new EnrollError('bad_request', `the agent key must be RSA of at least ${MIN_AGENT_KEY_BITS} bits`);
    }
    const cert = forge.pki.createCertificate();
    cert.publicKey = publicKey;
    return this.#issue(cert, AGENT_VALIDITY_DAYS, sbcId, [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ]);
  }
}

/** The agent's side: a new RSA key and a CSR for it. The key stays on the agent. */
export function createAgentKeyAndCsr(commonNameHint: string): { keyPem: string; csrPem: string } {
  const keys = generateRsa();
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = keys.publicKey;
  csr.setSubject([{ name: 'commonName', value: commonNameHint }]);
  csr.sign(keys.privateKey, forge.md.sha256.create());
  return { keyPem: forge.pki.privateKeyToPem(keys.privateKey), csrPem: forge.pki.certificationRequestToPem(csr) };
}
