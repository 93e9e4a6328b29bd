/**
 * From and To across the SBC (topology hiding): a phone that writes its own address, or the
 * agent's, as the host of its From or To (`sip:1001@10.0.0.5`) would show a LAN address to the
 * PBX, and a PBX that writes IP literals would show its addresses to phones. The host of an IP
 * literal is replaced, at each edge, by the host of that edge (the agent's LAN address toward
 * phones, `tunnel.invalid` on the tunnel, the hub's address toward the PBX); user part,
 * display name, URI parameters and tags are kept (RFC 3261 §12: a dialog is Call-ID and tags, not
 * the URIs). Responses get the request's own From and To back (§8.2.6.2), done by the caller.
 */
import { isIpLiteral } from '../core/index.js';
import { formatNameAddr, formatUri, getHeader, parseNameAddr, parseUri, withHeader, type SipHeader, type SipMessage } from '../sip/index.js';

/** Rewrites the host (and drops the port) of From and To where `rewrite(host)` returns a new host. */
export function mapFromToHosts(headers: readonly SipHeader[], rewrite: (host: string) => string | undefined): SipHeader[] {
  let out = [...headers];
  for (const name of ['From', 'To']) {
    const value = out.find((h) => h.name.toLowerCase() === name.toLowerCase() || h.name === name[0]?.toLowerCase())?.value;
    if (value === undefined) continue;
    try {
      const na = parseNameAddr(value);
      const uri = parseUri(na.uri);
      if (uri.kind !== 'sip') continue;
      const host = rewrite(uri.host);
      if (host === undefined || host === uri.host) continue;
      out = withHeader(out.filter((h) => h.name !== name[0]?.toLowerCase()), name, formatNameAddr({ ...na, uri: formatUri({ ...uri, host, port: undefined }) }));
    } catch {
      // A From or To that does not parse is relayed as it is (the far end judges it).
    }
  }
  return out;
}

/** Rewrites IP-literal hosts only. */
export function hideIpHosts(headers: readonly SipHeader[], host: string): SipHeader[] {
  return mapFromToHosts(headers, (h) => (isIpLiteral(h) ? host : undefined));
}

/** The From and To of `original` put back on `response`, with the tag the response's To carries (§8.2.6.2). */
export function restoreFromTo(headers: readonly SipHeader[], original: SipMessage): SipHeader[] {
  const from = getHeader(original, 'From');
  const to = getHeader(original, 'To');
  let out = [...headers];
  if (from !== undefined) out = withHeader(out, 'From', from);
  if (to === undefined) return out;
  const current = out.find((h) => h.name.toLowerCase() === 'to')?.value;
  let tag: string | undefined;
  try {
    tag = current === undefined ? undefined : parseNameAddr(current).params.get('tag');
    const na = parseNameAddr(to);
    if (tag !== undefined && !na.params.has('tag')) return withHeader(out, 'To', formatNameAddr({ ...na, params: new Map([...na.params, ['tag', tag]]) }));
  } catch {
    // keep the original To as it is
  }
  return withHeader(out, 'To', to);
}

/** The host of a `host:port` (`[v6]:port`) as a URI host is written without brackets. */
export function hostOf(hostPort: string): string {
  const v6 = /^\[([^\]]+)\]/.exec(hostPort);
  if (v6?.[1] !== undefined) return v6[1];
  return hostPort.replace(/:\d+$/, '');
}
