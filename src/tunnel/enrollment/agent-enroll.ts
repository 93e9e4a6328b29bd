/**
 * The agent's side of enrollment. Before the auth key is sent anywhere, the hub is pinned: its CA
 * fingerprint must equal the one given (`--fingerprint`), or the person must confirm the one shown.
 * The second connection, which carries the key, is pinned to the same CA again before any byte of
 * the request is written. Sockets come from the injected transport (src/net).
 */
import { X509Certificate } from 'node:crypto';
import { UsageError, type Clock } from '../../core/index.js';
import { normalizeAuthKey } from './auth-key.js';
import { createAgentKeyAndCsr } from './ca.js';
import { keyMatchesCertificate, type AgentIdentity } from './agent-identity.js';
import { EnrollError } from './errors.js';
import { fingerprintOfDer, fingerprintOfPem, normalizeFingerprint } from './fingerprint.js';
import { enrollIdOfPath, parseEnrollResponse, serializeEnrollRequest } from './messages.js';

export interface EnrollTransport {
  /** The certificates the TLS server at `url` presents (DER, leaf first). */
  peerChain(url: URL): Promise<Buffer[]>;
  /** POSTs a JSON body; `verifyPeer` sees the chain before anything is sent and may throw to abort. */
  post(url: URL, body: string, verifyPeer: (chain: readonly Buffer[]) => void): Promise<{ status: number; body: Buffer }>;
}

export interface EnrollAgentOptions {
  readonly url: string;
  readonly key: string;
  /** The expected hub CA fingerprint; without it `confirm` is asked. */
  readonly fingerprint?: string;
  /** Shows the hub's fingerprint to a person; resolves true to trust it. */
  readonly confirm: (fingerprint: string) => Promise<boolean>;
  readonly transport: EnrollTransport;
  readonly clock: Clock;
}

/** Checks a provisioning URL: https, path /enroll/<id>. */
export function parseProvisioningUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url '${text}' is not a URL`);
  }
  if (url.protocol !== 'https:' || enrollIdOfPath(url.pathname) === undefined) {
    throw new UsageError(`--url must be a provisioning URL such as https://hub.example.net:5001/enroll/<id>, not '${text}'`);
  }
  return url;
}

/** The fingerprint of the CA at the top of the chain the hub presents. */
export function presentedFingerprint(chain: readonly Buffer[]): string {
  const top = chain[chain.length - 1];
  if (top === undefined) throw new EnrollError('unreachable', 'the hub presented no certificate');
  return fingerprintOfDer(top);
}

/** Throws unless the chain holds the pinned CA and the server certificate is signed by it. */
export function verifyPinnedChain(chain: readonly Buffer[], pinned: string): void {
  const leaf = chain[0];
  const ca = chain.find((der) => fingerprintOfDer(der) === pinned);
  let signed = false;
  try {
    signed = leaf !== undefined && ca !== undefined && (ca === leaf || new X509Certificate(leaf).verify(new X509Certificate(ca).publicKey));
  } catch {
    // A certificate that does not even parse proves nothing.
  }
  if (!signed) {
    const shown = chain.length === 0 ? 'no certificate' : presentedFingerprint(chain);
    throw new EnrollError('fingerprint', `the hub's fingerprint does not match: expected ${pinned}, the hub presented ${shown}`);
  }
}

function transportFailure(url: URL, error: unknown): EnrollError {
  const detail = typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : error instanceof Error ? error.message : String(error);
  return new EnrollError('unreachable', `cannot reach the hub at ${url.host} (${detail})`, { cause: error });
}

export async function enrollAgent(options: EnrollAgentOptions): Promise<AgentIdentity> {
  const url = parseProvisioningUrl(options.url);
  if (normalizeAuthKey(options.key) === undefined) {
    throw new EnrollError('wrong_key', 'this is not an auth key: expected 32 letters and digits, e.g. 7KQ2-M9XD-...');
  }
  let pinned: string | undefined;
  if (options.fingerprint !== undefined) {
    pinned = normalizeFingerprint(options.fingerprint);
    if (pinned === undefined) throw new UsageError('--fingerprint must be 32 hex byte pairs (SHA-256), e.g. AB:CD:...');
  }
  let chain: Buffer[];
  try {
    chain = await options.transport.peerChain(url);
  } catch (error) {
    throw error instanceof EnrollError ? error : transportFailure(url, error);
  }
  if (pinned === undefined) {
    const shown = presentedFingerprint(chain);
    if (!(await options.confirm(shown))) throw new EnrollError('declined', `the hub's fingerprint ${shown} was not confirmed; nothing was sent`);
    pinned = shown;
  }
  const trusted = pinned;
  verifyPinnedChain(chain, trusted);
  const { keyPem, csrPem } = createAgentKeyAndCsr(url.hostname);
  let answer: { status: number; body: Buffer };
  try {
    answer = await options.transport.post(url, serializeEnrollRequest({ key: options.key, csr: csrPem }), (c) => verifyPinnedChain(c, trusted));
  } catch (error) {
    throw error instanceof EnrollError ? error : transportFailure(url, error);
  }
  const result = parseEnrollResponse(answer.status, answer.body);
  let consistent = false;
  try {
    consistent =
      fingerprintOfPem(result.caCertificate) === trusted &&
      new X509Certificate(result.certificate).verify(new X509Certificate(result.caCertificate).publicKey) &&
      keyMatchesCertificate(keyPem, result.certificate);
  } catch {
    consistent = false;
  }
  if (!consistent) throw new EnrollError('bad_response', 'the hub returned a certificate that is not for this agent key or not signed by the pinned CA');
  return {
    keyPem,
    certPem: result.certificate,
    caPem: result.caCertificate,
    record: {
      version: 1,
      sbc: result.sbc,
      hub: result.hub,
      enrollUrl: url.href,
      caFingerprint: trusted,
      certificateFingerprint: fingerprintOfPem(result.certificate),
      enrolledAt: new Date(options.clock.wallNow()).toISOString(),
    },
  };
}
