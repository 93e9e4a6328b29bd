/**
 * The Via rules of the transport layer: `received` and `rport` on requests received (RFC 3261
 * §18.2.1, RFC 3581 §4), and where a response goes (RFC 3261 §18.2.2, RFC 3581 §4).
 */
import { getHeaders, withHeader, type SipRequest, type SipResponse } from '../message.js';
import { formatVia, topViaOf, type Via } from './codec.js';
import { defaultPort, type MessageSource, type SipTransportName, type TransportTarget } from './types.js';

/** Replaces the top Via value, keeping the others and the header order. */
export function replaceTopVia<M extends SipRequest | SipResponse>(msg: M, via: Via): M {
  const values = getHeaders(msg, 'Via');
  values[0] = formatVia(via);
  return { ...msg, headers: withHeader(msg.headers, 'Via', values) };
}

/** Strips IPv6 brackets so a Via host compares with a socket address. */
function bare(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * RFC 3261 §18.2.1: "the server transport MUST examine the value of the sent-by parameter in
 * the top Via ... If the host portion of the sent-by contains a domain name, or if it contains
 * an IP address that differs from the packet source address, the server MUST add a received
 * parameter". RFC 3581 §4: with an empty `rport` the server MUST fill it with the source port
 * and MUST add `received` even when the address is the same.
 */
export function stampReceived(request: SipRequest, source: MessageSource): SipRequest {
  const via = topViaOf(request);
  if (via === undefined) return request;
  const params = new Map(via.params);
  let changed = false;
  const hasEmptyRport = params.has('rport') && (params.get('rport') ?? '') === '';
  if (hasEmptyRport) {
    params.set('rport', String(source.port));
    changed = true;
  }
  if (hasEmptyRport || bare(via.host).toLowerCase() !== source.address.toLowerCase()) {
    params.set('received', source.address);
    changed = true;
  }
  if (!changed) return request;
  return replaceTopVia(request, { ...via, params });
}

/**
 * RFC 3261 §18.2.2 (with RFC 3581 §4) for a response to a request that arrived from `source`:
 * reliable transports answer over the connection the request came on (flowId) and fall back to
 * received (or the sent-by host) and the sent-by port; unreliable transports with `maddr` are
 * not supported (multicast responses), so they go to received:rport, then received:sent-by port,
 * then sent-by.
 */
export function responseTarget(response: SipResponse, flowId?: string): TransportTarget | undefined {
  const via = topViaOf(response);
  if (via === undefined) return undefined;
  const transport = via.transport.toUpperCase() as SipTransportName;
  const received = via.params.get('received');
  const host = received !== undefined && received !== '' ? received : bare(via.host);
  const rport = Number(via.params.get('rport') ?? '');
  const sentByPort = via.port ?? defaultPort(transport);
  // rport only names a UDP source port; over a stream it would name a closed ephemeral port.
  const port = transport === 'UDP' && Number.isInteger(rport) && rport > 0 ? rport : sentByPort;
  return { transport, host, port, ...(flowId === undefined ? {} : { flowId }) };
}
