/**
 * The hub's persistent state. The running hub opens it whole (`openHubState`): the CA (created on
 * first use), the server certificate of its listeners (re-issued when the configured names change
 * or it nears expiry), and the SBC list. The admin commands open only the CA certificate and the
 * SBC list (`openHubAdminState`): they never write key material, and a directory that holds no hub
 * is an error rather than a new CA.
 */
import { X509Certificate } from 'node:crypto';
import { rmdir, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { SbcError, type Clock } from './core/index.js';
import type { HubConfig } from './config/index.js';
import { StateError, ensurePrivateDir, readFileIfExists, withFileLock, writeFileAtomic } from './platform/index.js';
import {
  HubCa,
  SbcStore,
  StoreFormatError,
  createCaCertificate,
  fingerprintOfPem,
  hubStatePaths,
  parseStoreDocument,
  subjectAltNamesOf,
  type HubStatePaths,
  type KeyAndCertificate,
  type StoreBackend,
  type StoreDocument,
} from './tunnel/index.js';

const RENEW_BEFORE_MS = 30 * 86_400_000;

export interface HubState {
  readonly stateDir: string;
  readonly paths: HubStatePaths;
  readonly ca: HubCa;
  /** SHA-256 of the CA certificate (DER), colon hex: what `add-sbc` prints and agents pin. */
  readonly fingerprint: string;
  /** Key and chain (server certificate + CA) for every TLS listener of the hub. */
  readonly server: KeyAndCertificate & { readonly chainPem: string };
  /** The names in the server certificate, first the public name. */
  readonly names: readonly string[];
  readonly store: SbcStore;
  /** True when this open made the CA: a hub that then fails to start takes it away again (discardNewHubState). */
  readonly created: boolean;
}

/** The names the server certificate must cover. */
export function hubCertificateNames(config: HubConfig): string[] {
  const names = [config.publicName ?? hostname(), ...config.altNames, 'localhost', '127.0.0.1', '::1'];
  return [...new Set(names)];
}

/** The state directory holds no hub (no CA certificate): an admin command was pointed at the wrong place. */
export class NoHubError extends SbcError {
  constructor(readonly stateDir: string) {
    super('SBC_ERR_STATE', `no hub in ${stateDir}: run 'sbc-agent hub' there first or give the hub's --state-dir`);
  }
}

/** The SBC list in `text`, read from `path`; a text that is not a valid list is a StateError naming the file. */
export function parseSbcListFile(path: string, text: string): StoreDocument {
  try {
    return parseStoreDocument(text);
  } catch (error) {
    if (!(error instanceof StoreFormatError)) throw error;
    throw new StateError(path, `is not a valid SBC list (${error.message}); restore it from a backup or move it away`, { cause: error });
  }
}

/** The SBC list's text, checked (parseSbcListFile) whenever it changed. */
async function readSbcList(path: string, lastValid: { text?: string }): Promise<string | undefined> {
  const text = (await readFileIfExists(path))?.toString('utf8');
  if (text === undefined || text === lastValid.text) return text;
  parseSbcListFile(path, text);
  lastValid.text = text;
  return text;
}

function storeBackend(paths: HubStatePaths): StoreBackend {
  const lastValid: { text?: string } = {};
  return {
    read: () => readSbcList(paths.sbcList, lastValid),
    write: (text) => writeFileAtomic(paths.sbcList, text),
    exclusive: (fn) => withFileLock(paths.sbcListLock, fn),
  };
}

async function readPair(keyPath: string, certPath: string): Promise<KeyAndCertificate | undefined> {
  const [key, cert] = await Promise.all([readFileIfExists(keyPath), readFileIfExists(certPath)]);
  return key === undefined || cert === undefined ? undefined : { keyPem: key.toString('utf8'), certPem: cert.toString('utf8') };
}

async function writePair(keyPath: string, certPath: string, pair: KeyAndCertificate): Promise<void> {
  await writeFileAtomic(keyPath, pair.keyPem);
  await writeFileAtomic(certPath, pair.certPem);
}

function serverCertUsable(pair: KeyAndCertificate, ca: HubCa, names: readonly string[], clock: Clock): boolean {
  try {
    const cert = new X509Certificate(pair.certPem);
    const current = subjectAltNamesOf(pair.certPem);
    return (
      cert.verify(new X509Certificate(ca.certPem).publicKey) &&
      Date.parse(cert.validTo) - clock.wallNow() > RENEW_BEFORE_MS &&
      current.length === names.length &&
      names.every((n, i) => current[i] === n)
    );
  } catch {
    return false;
  }
}

export async function openHubState(stateDir: string, config: HubConfig, clock: Clock): Promise<HubState> {
  const paths = hubStatePaths(stateDir);
  await ensurePrivateDir(paths.dir);
  const names = hubCertificateNames(config);
  // One lock for the key material, so two commands run at once do not both create a CA.
  let created = false;
  const { ca, server } = await withFileLock(`${paths.caKey}.lock`, async () => {
    let caPair = await readPair(paths.caKey, paths.caCert);
    if (caPair === undefined) {
      created = true;
      caPair = createCaCertificate(clock, `sbc-agent hub CA ${names[0] ?? ''}`.trim());
      await writePair(paths.caKey, paths.caCert, caPair);
    }
    const hubCa = new HubCa(caPair, clock);
    let serverPair = await readPair(paths.serverKey, paths.serverCert);
    if (serverPair === undefined || !serverCertUsable(serverPair, hubCa, names, clock)) {
      serverPair = hubCa.issueServerCertificate(names);
      await writePair(paths.serverKey, paths.serverCert, serverPair);
    }
    return { ca: hubCa, server: serverPair };
  });
  const store = await SbcStore.open(storeBackend(paths), clock);
  return { stateDir, paths, ca, fingerprint: ca.fingerprint, server: { ...server, chainPem: `${server.certPem.trim()}\n${ca.certPem.trim()}\n` }, names, store, created };
}

/**
 * Removes the key material a first start made, when that start failed: a hub that never ran
 * leaves no CA whose fingerprint someone might copy. Nothing is removed from a hub that ran before.
 */
export async function discardNewHubState(state: HubState): Promise<void> {
  if (!state.created) return;
  const { paths } = state;
  await Promise.all([paths.caKey, paths.caCert, paths.serverKey, paths.serverCert, paths.sbcList].map((file) => unlink(file).catch(() => undefined)));
  await rmdir(paths.dir).catch(() => undefined);
}

/** What the admin commands need: the hub's fingerprint and its SBC list. */
export interface HubAdminState {
  readonly stateDir: string;
  readonly paths: HubStatePaths;
  /** SHA-256 of the CA certificate (DER), colon hex. */
  readonly fingerprint: string;
  readonly store: SbcStore;
}

/**
 * Opens an existing hub's state for the admin commands: the CA certificate (read only) and the SBC
 * list (changed under its lock). Creates nothing; without a CA certificate it is a NoHubError.
 */
export async function openHubAdminState(stateDir: string, clock: Clock): Promise<HubAdminState> {
  const paths = hubStatePaths(stateDir);
  const caCert = await readFileIfExists(paths.caCert);
  if (caCert === undefined) throw new NoHubError(stateDir);
  let fingerprint: string;
  try {
    fingerprint = fingerprintOfPem(caCert.toString('utf8'));
  } catch (error) {
    throw new StateError(paths.caCert, 'is not a certificate; restore the hub CA from a backup', { cause: error });
  }
  const store = await SbcStore.open(storeBackend(paths), clock);
  return { stateDir, paths, fingerprint, store };
}
