/**
 * What the agent answers when it terminates a call's media itself (IVR prompts, voicemail, music
 * on hold): from the phone's offered audio section, the G.711 law and payload type to send, the
 * telephone-event payload type (RFC 4733 §7.1.1), and when the offer is RTP/SAVP with SDES
 * (RFC 4568), the a=crypto line to answer with and the keys of both directions. Pure; the random
 * source for our master key is injected.
 */
import { randomBytes } from 'node:crypto';
import { SRTP_MASTER_KEY_LENGTH, SRTP_MASTER_SALT_LENGTH, isSrtpSuite, type SrtpKeyMaterial } from '../rtp/index.js';
import { attributeValues, parseCryptoAttribute, rtpMaps, serializeCryptoAttribute, telephoneEventPayloadType, unsupportedCryptoParams, type SdpMedia } from '../sdp/index.js';
import type { G711Law } from './g711.js';

export interface TerminalMediaPlan {
  readonly law: G711Law;
  readonly payloadType: number;
  readonly telephoneEventPayloadType: number | undefined;
  /** Present when SRTP was negotiated. */
  readonly srtp: { readonly send: SrtpKeyMaterial; readonly receive: SrtpKeyMaterial; readonly answerCrypto: string } | undefined;
}

/** Why an offer cannot be terminated by the agent (the caller answers 488). */
export type TerminalMediaRefusal = { readonly refused: string };

/**
 * The plan for the first audio section of an offer, or why it cannot be served: no PCMU or
 * PCMA, or SAVP without an a=crypto line the agent implements.
 */
export function planTerminalMedia(media: SdpMedia, random: (n: number) => Buffer = randomBytes): TerminalMediaPlan | TerminalMediaRefusal {
  const maps = new Map(rtpMaps(media).map((m) => [m.payloadType, m.encodingName.toUpperCase()]));
  let law: G711Law | undefined;
  let payloadType: number | undefined;
  // The offerer's order is its preference (RFC 3264 §6.1): the first G.711 format wins.
  for (const format of media.formats) {
    const pt = Number(format);
    // Static types 0 and 8 need no rtpmap (RFC 3551 §6).
    const name = maps.get(pt) ?? (pt === 0 ? 'PCMU' : pt === 8 ? 'PCMA' : undefined);
    if (name === 'PCMU' || name === 'PCMA') {
      law = name === 'PCMU' ? 'ulaw' : 'alaw';
      payloadType = pt;
      break;
    }
  }
  if (law === undefined || payloadType === undefined) return { refused: `no PCMU or PCMA among formats ${media.formats.join(' ')}` };
  const base = { law, payloadType, telephoneEventPayloadType: telephoneEventPayloadType(media) };
  if (!/\bSAVP\b/.test(media.proto)) return { ...base, srtp: undefined };
  const reasons: string[] = [];
  for (const value of attributeValues(media.attributes, 'crypto')) {
    let offered;
    try {
      offered = parseCryptoAttribute(value);
    } catch (err) {
      reasons.push(err instanceof Error ? err.message : String(err));
      continue;
    }
    const unsupported = unsupportedCryptoParams(offered);
    if (!isSrtpSuite(offered.suite) || unsupported.length > 0 || offered.keySalt.length !== SRTP_MASTER_KEY_LENGTH + SRTP_MASTER_SALT_LENGTH) {
      reasons.push(`a=crypto:${offered.tag} ${offered.suite}${unsupported.length > 0 ? ` (${unsupported.join(', ')})` : ''}`);
      continue;
    }
    const ours = random(SRTP_MASTER_KEY_LENGTH + SRTP_MASTER_SALT_LENGTH);
    const suite = offered.suite;
    // RFC 4568 §5.1.2: the answer takes one offered line, same tag and suite, with the answerer's key.
    return {
      ...base,
      srtp: {
        send: { suite, masterKey: ours.subarray(0, SRTP_MASTER_KEY_LENGTH), masterSalt: ours.subarray(SRTP_MASTER_KEY_LENGTH) },
        receive: { suite, masterKey: offered.keySalt.subarray(0, SRTP_MASTER_KEY_LENGTH), masterSalt: offered.keySalt.subarray(SRTP_MASTER_KEY_LENGTH) },
        answerCrypto: serializeCryptoAttribute({ tag: offered.tag, suite, keySalt: ours, lifetime: undefined, mki: undefined, sessionParams: [] }),
      },
    };
  }
  return { refused: reasons.length === 0 ? `${media.proto} without a=crypto` : `no usable a=crypto: ${reasons.join('; ')}` };
}
