/**
 * Throwaway certificates for the tunnel tests, made with the openssl command in a temporary
 * folder: a hub CA, the hub's certificate (names: localhost, 127.0.0.1 and any extra IPs), agent
 * certificates signed by that CA, and an agent certificate from a foreign CA for negative tests.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PemPair {
  readonly key: string;
  readonly cert: string;
  readonly keyPath: string;
  readonly certPath: string;
}

export interface TunnelCerts {
  readonly dir: string;
  readonly ca: string;
  readonly caPath: string;
  readonly hub: PemPair;
  /** CN=agent-1, signed by the hub CA. */
  readonly agent: PemPair;
  /** CN=agent-1, signed by another CA: the hub must refuse it. */
  readonly foreignAgent: PemPair;
  /** That other CA's certificate. */
  readonly foreignCa: string;
  /** Another agent signed by the hub CA. */
  issueAgent(name: string): PemPair;
  remove(): void;
}

function openssl(dir: string, args: readonly string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'];

function selfSignedCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

function leaf(dir: string, name: string, ca: string, extensions: readonly string[]): PemPair {
  openssl(dir, ['req', '-x509', ...EC, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-keyout', `${name}.key`, '-out', `${name}.pem`,
    '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:FALSE', ...extensions.flatMap((e) => ['-addext', e])]);
  const keyPath = join(dir, `${name}.key`);
  const certPath = join(dir, `${name}.pem`);
  return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8'), keyPath, certPath };
}

export function makeTunnelCerts(hubAddresses: readonly string[] = []): TunnelCerts {
  const dir = mkdtempSync(join(tmpdir(), 'sbc-tunnel-certs-'));
  selfSignedCa(dir, 'hub-ca');
  selfSignedCa(dir, 'foreign-ca');
  const san = ['DNS:localhost', 'IP:127.0.0.1', ...hubAddresses.map((a) => `IP:${a}`)].join(',');
  const hub = leaf(dir, 'hub', 'hub-ca', [`subjectAltName=${san}`, 'extendedKeyUsage=serverAuth']);
  const issueAgent = (name: string): PemPair => leaf(dir, name, 'hub-ca', ['extendedKeyUsage=clientAuth']);
  const agent = issueAgent('agent-1');
  // Same common name, foreign issuer: must be refused by the TLS handshake.
  openssl(dir, ['req', '-x509', ...EC, '-CA', 'foreign-ca.pem', '-CAkey', 'foreign-ca.key', '-keyout', 'foreign.key', '-out', 'foreign.pem',
    '-subj', '/CN=agent-1', '-addext', 'extendedKeyUsage=clientAuth']);
  const foreignAgent: PemPair = {
    key: readFileSync(join(dir, 'foreign.key'), 'utf8'), cert: readFileSync(join(dir, 'foreign.pem'), 'utf8'),
    keyPath: join(dir, 'foreign.key'), certPath: join(dir, 'foreign.pem'),
  };
  const caPath = join(dir, 'hub-ca.pem');
  writeFileSync(join(dir, 'README'), 'throwaway tunnel test certificates\n');
  const foreignCa = readFileSync(join(dir, 'foreign-ca.pem'), 'utf8');
  return { dir, ca: readFileSync(caPath, 'utf8'), caPath, hub, agent, foreignAgent, foreignCa, issueAgent, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
