/**
 * An HTTPS client for enrollment, where the server is trusted by a pinned CA fingerprint rather
 * than by the system's CAs. System verification is off; instead the caller's `verifyPeer` sees the
 * certificate chain the server presented and may throw. It runs on `secureConnect`, before any
 * byte of the request (which carries a secret) is written.
 */
import { request } from 'node:https';
import { connect, type PeerCertificate, type TLSSocket } from 'node:tls';

export interface HttpsPinnedOptions {
  /** Connect and answer timeout (default 15 s). */
  readonly timeoutMs?: number;
}

function timeoutError(ms: number): Error {
  return Object.assign(new Error(`no answer within ${ms} ms`), { code: 'ETIMEDOUT' });
}

/** The chain as DER, leaf first, following issuer links until a self-issued certificate. */
export function chainOf(socket: TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  let cert: PeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert !== undefined && cert.raw !== undefined && chain.length < 10) {
    if (chain.some((c) => c.equals(cert?.raw ?? Buffer.alloc(0)))) break;
    chain.push(cert.raw);
    const next: PeerCertificate | undefined = 'issuerCertificate' in cert ? (cert as { issuerCertificate?: PeerCertificate }).issuerCertificate : undefined;
    cert = next;
  }
  return chain;
}

function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

function portOf(url: URL): number {
  return url.port === '' ? 443 : Number(url.port);
}

/** Connects, returns the server's certificate chain (DER, leaf first), and disconnects. */
export function fetchPeerChain(url: URL, options: HttpsPinnedOptions = {}): Promise<Buffer[]> {
  const ms = options.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostOf(url), port: portOf(url), rejectUnauthorized: false });
    socket.setTimeout(ms, () => socket.destroy(timeoutError(ms)));
    socket.once('secureConnect', () => {
      const chain = chainOf(socket);
      socket.end();
      resolve(chain);
    });
    socket.once('error', reject);
  });
}

/** POSTs a JSON body once `verifyPeer` accepted the chain; resolves with the status and body. */
export function postJsonPinned(
  url: URL,
  body: string,
  verifyPeer: (chain: readonly Buffer[]) => void,
  options: HttpsPinnedOptions & { readonly maxResponseBytes?: number } = {},
): Promise<{ status: number; body: Buffer }> {
  const ms = options.timeoutMs ?? 15_000;
  const limit = options.maxResponseBytes ?? 1024 * 1024;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      agent: false,
      rejectUnauthorized: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), accept: 'application/json' },
    });
    req.setTimeout(ms, () => req.destroy(timeoutError(ms)));
    req.once('error', reject);
    req.once('socket', (socket) => {
      (socket as TLSSocket).once('secureConnect', () => {
        try {
          verifyPeer(chainOf(socket as TLSSocket));
        } catch (error) {
          req.destroy(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        req.end(body);
      });
    });
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          req.destroy(new Error(`response larger than ${limit} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.once('error', reject);
    });
  });
}
