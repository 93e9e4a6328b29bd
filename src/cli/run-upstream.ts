/**
 * Where the agent's provisioning relay gets the phones' files (`agent.pnp.provisioning`): from the
 * hub through the tunnel (the default: the branch needs no route to the provisioning server), a
 * server the branch reaches itself, local templates, or nowhere.
 */
import type { ProvisioningSource } from '../config/index.js';
import { folderUpstream, httpUpstream, type UpstreamFetcher } from '../pnp/index.js';
import type { TunnelClient } from '../tunnel/index.js';

export function upstreamFor(source: ProvisioningSource, tunnel: TunnelClient): { fetcher: UpstreamFetcher | undefined; templates: boolean } {
  switch (source.kind) {
    case 'tunnel':
      return { fetcher: tunnelFetcher(tunnel), templates: false };
    case 'http':
      return { fetcher: httpUpstream(source.url, { insecure: source.insecure }), templates: false };
    case 'templates':
      return { fetcher: folderUpstream(source.folder), templates: true };
    case 'off':
      return { fetcher: undefined, templates: false };
  }
}

function tunnelFetcher(tunnel: TunnelClient): UpstreamFetcher {
  void tunnel;
  return { fetch: () => Promise.reject(new Error('provisioning through the tunnel is not wired yet')) };
}
