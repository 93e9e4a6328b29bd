/**
 * The caller's media terminated by the agent (IVR now, voicemail next): a MediaTerminal on the
 * caller's relay leg with the answer SDP for it, and SIP INFO DTMF on the caller's dialog.
 *
 * Why the relay leg and not a socket of its own: the caller's 200 then already names the port it
 * will keep when the IVR connects it to someone, so no re-INVITE moves its media; the terminal
 * only borrows the leg's packets and gives them back to the relay (media-anchor.ts terminal()).
 */
import type { Clock } from '../core/index.js';
import { DtmfInfoError, MediaTerminal } from '../media/index.js';
import { buildResponse, getHeader, type ServerRequest } from '../sip/index.js';
import type { CallMediaBridge } from './media-anchor.js';

export type OpenedTerminal = { readonly terminal: MediaTerminal; readonly answer: Buffer; readonly calleeOffer: Buffer } | { readonly refused: string };

export async function openCallerTerminal(media: CallMediaBridge, clock: Clock): Promise<OpenedTerminal> {
  const served = await media.terminal();
  if ('refused' in served) return served;
  return { terminal: new MediaTerminal({ endpoint: served.endpoint, clock, plan: served.plan }), answer: served.answer, calleeOffer: served.calleeOffer };
}

/** RFC 6086 §4.2.2: a DTMF INFO is answered 200 once its key is taken; another body 415 or 400. */
export function answerInfo(incoming: ServerRequest, terminal: MediaTerminal): void {
  const { request } = incoming;
  try {
    terminal.receiveInfo(getHeader(request, 'Content-Type') ?? '', request.body);
    incoming.respond(buildResponse(request, 200));
  } catch (error) {
    if (!(error instanceof DtmfInfoError)) throw error;
    incoming.respond(buildResponse(request, error.status));
  }
}
