/**
 * An HTTP(S) GET client for the provisioning relay's upstream (the PBX's provisioning server).
 * It returns status and body, never throws for an HTTP status; network failures and timeouts
 * reject. The body is capped so a misbehaving upstream cannot fill the agent's memory.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpGetResult {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

export interface HttpGetOptions {
  readonly timeoutMs?: number;
  readonly maxBodyBytes?: number;
  /** Accept an upstream certificate that does not verify (a PBX with a self-signed certificate). */
  readonly insecure?: boolean;
}

export function httpGet(url: string, options: HttpGetOptions = {}): Promise<HttpGetResult> {
  const u = new URL(url);
  const maxBody = options.maxBodyBytes ?? 64 * 1024 * 1024;
  const requestFn = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = requestFn(
      u,
      { method: 'GET', timeout: options.timeoutMs ?? 10_000, ...(u.protocol === 'https:' ? { rejectUnauthorized: options.insecure !== true } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBody) {
            req.destroy(new Error(`upstream body larger than ${maxBody} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 502, contentType: res.headers['content-type'], body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`upstream timeout after ${options.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end();
  });
}
