/**
 * In-dialog requests between the two dialogs of an answered call: a re-INVITE, UPDATE, INFO,
 * NOTIFY, REFER... from one side goes to the other in that side's dialog (its own CSeq,
 * §12.2.1.1), with its SDP anchored (hold's a=sendonly/inactive and c=0.0.0.0 pass, RFC 3264
 * §8.4); the final answer goes back to the sender, its SDP anchored the other way. A 2xx to a
 * relayed re-INVITE is ACKed toward its sender at once and resent to ours until our ACK comes.
 */
import type { Logger } from '../core/index.js';
import { SdpParseError } from '../sdp/index.js';
import { SipTimeoutError, buildResponse, type ServerRequest, type SipEndpoint, type SipResponse } from '../sip/index.js';
import type { CallSide } from './call-types.js';
import { cseqNumber, isSdp, relayedHeaders, type Dialog } from './dialog.js';
import type { CallMediaBridge } from './media-anchor.js';
import { TwoXxRetransmission } from './two-xx.js';

export interface RelayContext {
  readonly media: CallMediaBridge;
  readonly stack: SipEndpoint;
  readonly logger: Logger;
  /** Whether the call is still up (a 2xx is only resent while it is). */
  readonly answered: () => boolean;
  /** 2xx to relayed re-INVITEs awaiting their ACK, by `side|CSeq`; the call stops them. */
  readonly pending2xx: Map<string, TwoXxRetransmission>;
}

/** Relays a re-INVITE, UPDATE, INFO, NOTIFY... to the other dialog; the answer goes back to its sender. */
export async function relayInDialog(incoming: ServerRequest, side: CallSide, other: Dialog, ctx: RelayContext): Promise<void> {
  const { request, source } = incoming;
  const media = ctx.media;
  const toOther = side === 'caller' ? media.fromCaller.bind(media) : media.fromCallee.bind(media);
  const back = side === 'caller' ? media.fromCallee.bind(media) : media.fromCaller.bind(media);
  let response: SipResponse;
  try {
    const body = isSdp(request) ? await toOther(request.body, source.address) : request.body;
    response = await other.request(request.method, relayedHeaders(request), body);
  } catch (error) {
    ctx.logger.debug({ err: error, method: request.method }, 'in-dialog request not relayed');
    incoming.respond(buildResponse(request, error instanceof SdpParseError ? 488 : error instanceof SipTimeoutError ? 408 : 503));
    return;
  }
  const ok = response.status >= 200 && response.status < 300;
  if (request.method === 'INVITE' && ok) void other.ack(cseqNumber(response)).catch(() => {});
  let body: Buffer;
  try {
    body = isSdp(response) ? await back(response.body, other.target.host) : response.body;
  } catch (error) {
    ctx.logger.debug({ err: error, method: request.method }, 'answer to a relayed request not anchored');
    incoming.respond(buildResponse(request, 500));
    return;
  }
  const headers = relayedHeaders(response);
  if (request.method === 'INVITE' && ok) {
    headers.push({ name: 'Contact', value: `<sip:${ctx.stack.hostPort(source.transport)};transport=${source.transport.toLowerCase()}>` });
  }
  const relayed = buildResponse(request, response.status, response.reason, headers, body);
  incoming.respond(relayed);
  if (request.method === 'INVITE' && ok && ctx.answered()) {
    // §13.3.1.4: we are the UAS of this re-INVITE; the 2xx is ours to resend until the ACK.
    const key = `${side}|${cseqNumber(request)}`;
    ctx.pending2xx.set(key, new TwoXxRetransmission(ctx.stack.clock, source.transport !== 'UDP', () => incoming.respond(relayed), () => ctx.pending2xx.delete(key)));
  }
}
