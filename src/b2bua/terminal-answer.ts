/**
 * The SDP answer the agent gives when it terminates a caller's audio itself (IVR, voicemail): the
 * offer's first audio section answered with the one G.711 format planTerminalMedia chose, the
 * offered telephone-event (RFC 4733 §7.1.1), the SDES line of our key when SRTP was negotiated
 * (RFC 4568 §5.1.2), sendrecv; every other section refused with port 0 (RFC 3264 §6). Pure.
 */
import type { MediaEndpoint, TerminalMediaPlan } from '../media/index.js';
import type { SdpAttribute, SdpMedia, SessionDescription } from '../sdp/index.js';

/** The caller's media as the agent terminates it. */
export interface CallerTerminal {
  readonly answer: Buffer;
  readonly plan: TerminalMediaPlan;
  /** The caller-side relay leg, lent to a MediaTerminal; close() hands it back to the relay. */
  readonly endpoint: MediaEndpoint;
  /** The caller's offer cut down to what the agent answered (offerAsAnswered), for the callee. */
  readonly calleeOffer: Buffer;
}

const KEPT = new Set(['ptime', 'rtcp-mux']);

export function terminalAnswer(offer: SessionDescription, index: number, plan: TerminalMediaPlan): SessionDescription {
  const media = offer.media.map((m, i): SdpMedia => {
    if (i !== index) return { ...m, port: 0, attributes: m.attributes.filter((a) => a.name === 'mid') };
    const name = plan.law === 'ulaw' ? 'PCMU' : 'PCMA';
    const attributes: SdpAttribute[] = [{ name: 'rtpmap', value: `${plan.payloadType} ${name}/8000` }];
    const formats = [String(plan.payloadType)];
    const te = plan.telephoneEventPayloadType;
    if (te !== undefined) {
      formats.push(String(te));
      attributes.push({ name: 'rtpmap', value: `${te} telephone-event/8000` }, { name: 'fmtp', value: `${te} 0-16` });
    }
    attributes.push(...m.attributes.filter((a) => KEPT.has(a.name)));
    if (plan.srtp !== undefined) attributes.push({ name: 'crypto', value: plan.srtp.answerCrypto });
    attributes.push({ name: 'sendrecv', value: undefined });
    return { ...m, formats, attributes };
  });
  // Session-level direction attributes would override ours (RFC 3264 §5.1).
  const attributes = offer.attributes.filter((a) => !['sendonly', 'recvonly', 'inactive', 'sendrecv'].includes(a.name));
  return { ...offer, attributes, media };
}

/**
 * The caller's offer cut down to what the agent answered it (the same format and
 * telephone-event; other sections port 0): what a callee is offered once the caller, answered by
 * the agent, is connected onward. The caller accepted only that format (RFC 3264 §6.1), so the
 * callee must not pick another one; the caller's own addresses and a=crypto stay.
 */
export function offerAsAnswered(offer: SessionDescription, index: number, plan: TerminalMediaPlan): SessionDescription {
  const kept = new Set([String(plan.payloadType), ...(plan.telephoneEventPayloadType === undefined ? [] : [String(plan.telephoneEventPayloadType)])]);
  const media = offer.media.map((m, i): SdpMedia => {
    if (i !== index) return { ...m, port: 0 };
    const attributes = m.attributes.filter((a) => (a.name !== 'rtpmap' && a.name !== 'fmtp') || kept.has((a.value ?? '').split(' ')[0] ?? ''));
    return { ...m, formats: m.formats.filter((f) => kept.has(f)), attributes };
  });
  return { ...offer, media };
}
