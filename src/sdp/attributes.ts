/**
 * Typed readings of the attributes an SBC acts on. The description keeps attributes as
 * written; these functions interpret them on demand and never change them.
 */
import { isHoldAddress } from './address.js';
import {
  MEDIA_DIRECTIONS,
  type MediaDirection,
  type SdpAttribute,
  type SdpConnection,
  type SdpMedia,
  type SessionDescription,
} from './session-description.js';

/** a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>] (RFC 8866 §6.6). */
export interface RtpMap {
  readonly payloadType: number;
  readonly encodingName: string;
  readonly clockRate: number;
  /** Channels for audio (RFC 8866 §6.6); undefined when not written. */
  readonly encodingParameters: string | undefined;
}

/** a=rtcp:<port> [<nettype> <addrtype> <connection-address>] (RFC 3605 §2.1). */
export interface RtcpAttribute {
  readonly port: number;
  readonly connection: SdpConnection | undefined;
}

/** ICE attributes (RFC 8839 §5): they name addresses around the anchor, so the SBC strips them. */
export const ICE_ATTRIBUTES: ReadonlySet<string> = new Set([
  'candidate',
  'remote-candidates',
  'ice-ufrag',
  'ice-pwd',
  'ice-lite',
  'ice-options',
  'ice-mismatch',
  'ice-pacing',
  'end-of-candidates',
]);

export function attributeValues(attributes: readonly SdpAttribute[], name: string): string[] {
  const out: string[] = [];
  for (const a of attributes) if (a.name === name && a.value !== undefined) out.push(a.value);
  return out;
}

export function hasAttribute(attributes: readonly SdpAttribute[], name: string): boolean {
  return attributes.some((a) => a.name === name);
}

export function rtpMaps(media: SdpMedia): RtpMap[] {
  const out: RtpMap[] = [];
  for (const value of attributeValues(media.attributes, 'rtpmap')) {
    const m = /^\s*(\d{1,3})\s+([^/\s]+)\/(\d+)(?:\/(\S+))?\s*$/.exec(value);
    if (m === null) continue;
    out.push({ payloadType: Number(m[1]), encodingName: m[2] ?? '', clockRate: Number(m[3]), encodingParameters: m[4] });
  }
  return out;
}

/** Clock rates declared by a=rtpmap, for jitter (RFC 3550 A.8); static types are known to src/rtp. */
export function clockRates(media: SdpMedia): Map<number, number> {
  return new Map(rtpMaps(media).map((r) => [r.payloadType, r.clockRate]));
}

/** a=fmtp:<format> <parameters> for one payload type (RFC 8866 §6.15). */
export function fmtp(media: SdpMedia, payloadType: number): string | undefined {
  for (const value of attributeValues(media.attributes, 'fmtp')) {
    const m = /^\s*(\d{1,3})\s+(.*)$/.exec(value);
    if (m !== null && Number(m[1]) === payloadType) return m[2];
  }
  return undefined;
}

/** a=ptime in milliseconds (RFC 8866 §6.4). */
export function ptime(media: SdpMedia): number | undefined {
  const value = attributeValues(media.attributes, 'ptime')[0];
  if (value === undefined) return undefined;
  const n = Number(value.trim());
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** The payload type of RFC 4733 telephone-event, if offered. */
export function telephoneEventPayloadType(media: SdpMedia): number | undefined {
  return rtpMaps(media).find((r) => r.encodingName.toLowerCase() === 'telephone-event')?.payloadType;
}

export function rtcpAttribute(media: SdpMedia): RtcpAttribute | undefined {
  const value = attributeValues(media.attributes, 'rtcp')[0];
  if (value === undefined) return undefined;
  const t = value.trim().split(/[ \t]+/);
  const port = Number(t[0]);
  if (!/^\d{1,5}$/.test(t[0] ?? '') || port > 65535) return undefined;
  const connection = t.length === 4 ? { netType: t[1] ?? '', addrType: t[2] ?? '', address: t[3] ?? '' } : undefined;
  return { port, connection };
}

/** The connection that applies to a media section: its own c=, else the session's (RFC 8866 §5.7). */
export function mediaConnection(sd: SessionDescription, index: number): SdpConnection | undefined {
  return sd.media[index]?.connections[0] ?? sd.connection;
}

function directionIn(attributes: readonly SdpAttribute[]): MediaDirection | undefined {
  for (const a of attributes) {
    if ((MEDIA_DIRECTIONS as readonly string[]).includes(a.name)) return a.name as MediaDirection;
  }
  return undefined;
}

/** RFC 3264 §5.1: media level, else session level, else sendrecv. */
export function mediaDirection(sd: SessionDescription, index: number): MediaDirection {
  const media = sd.media[index];
  return (media === undefined ? undefined : directionIn(media.attributes)) ?? directionIn(sd.attributes) ?? 'sendrecv';
}

/**
 * RFC 3264 §8.4: a stream is on hold when marked sendonly or inactive, or (the RFC 2543 form
 * that older phones still send) when its connection address is 0.0.0.0.
 */
export function isOnHold(sd: SessionDescription, index: number): boolean {
  const direction = mediaDirection(sd, index);
  const c = mediaConnection(sd, index);
  return direction === 'sendonly' || direction === 'inactive' || (c !== undefined && isHoldAddress(c.address.split('/')[0] ?? ''));
}

/** RFC 3264 §6.1: the direction an answerer uses for an offered direction it accepts as is. */
export function answerDirection(offered: MediaDirection): MediaDirection {
  switch (offered) {
    case 'sendonly':
      return 'recvonly';
    case 'recvonly':
      return 'sendonly';
    case 'inactive':
      return 'inactive';
    case 'sendrecv':
      return 'sendrecv';
  }
}
