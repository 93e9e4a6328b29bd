/**
 * Where the agent's provisioning relay gets the phones' files (`agent.pnp.provisioning`): from the
 * hub through the tunnel (the default: the branch needs no route to the provisioning server), a
 * server the branch reaches itself, local templates, or nowhere.
 */
import { realClock } from '../core/index.js';
import type { ProvisioningSource } from '../config/index.js';
import { tunnelUpstream } from '../agent-provisioning.js';
import { folderUpstream, httpUpstream, type UpstreamFetcher } from '../pnp/index.js';
import type { TunnelClient } from '../tunnel/index.js';

export function upstreamFor(source: ProvisioningSource, tunnel: TunnelClient): { fetcher: UpstreamFetcher | undefined; templates: boolean } {
  switch (source.kind) {
    case 'tunnel':
      return { fetcher: tunnelUpstream(tunnel, { clock: realClock }), templates: false };
    case 'http':
      return { fetcher: httpUpstream(source.url, { insecure: source.insecure }), templates: false };
    case 'templates':
      return { fetcher: folderUpstream(source.folder), templates: true };
    case 'off':
      return { fetcher: undefined, templates: false };
  }
}

