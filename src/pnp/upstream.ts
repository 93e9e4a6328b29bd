/**
 * Upstream fetchers for the provisioning relay: the PBX's provisioning server over HTTP(S)
 * (until the tunnel carries it), or a local template folder when the PBX does not provision
 * phones. Both keep requests inside their base: the relay has already refused traversal, and
 * the folder source checks again that the resolved file lies under the folder.
 */
import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { httpGet, type HttpGetOptions } from '../net/index.js';
import type { UpstreamFetcher, UpstreamResult } from './relay.js';

export function httpUpstream(baseUrl: string, options: HttpGetOptions = {}): UpstreamFetcher {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return {
    fetch: (path, query) => httpGet(`${base}${path.split('/').map(encodeURIComponent).join('/')}${query}`, options),
  };
}

export function folderUpstream(folder: string): UpstreamFetcher {
  const root = resolve(folder);
  return {
    async fetch(path): Promise<UpstreamResult> {
      const file = resolve(root, path);
      if (!file.startsWith(root + sep)) return { status: 404, contentType: undefined, body: Buffer.alloc(0) };
      try {
        return { status: 200, contentType: undefined, body: await readFile(file) };
      } catch {
        return { status: 404, contentType: undefined, body: Buffer.alloc(0) };
      }
    },
  };
}
