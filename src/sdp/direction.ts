/**
 * Direction changes for hold and resume (RFC 3264 §8.4). Pure: a new description is returned.
 */
import { isHoldAddress } from './address.js';
import { mediaDirection } from './attributes.js';
import { MEDIA_DIRECTIONS, type MediaDirection, type SdpAttribute, type SdpConnection, type SdpMedia, type SessionDescription } from './session-description.js';

/** 'c0' is the RFC 2543 form: c=0.0.0.0, still sent by older phones; RFC 3264 §8.4 prefers the attributes. */
export type HoldForm = 'sendonly' | 'inactive' | 'c0';

function isDirection(a: SdpAttribute): boolean {
  return (MEDIA_DIRECTIONS as readonly string[]).includes(a.name);
}

function withDirection(attributes: readonly SdpAttribute[], direction: MediaDirection): SdpAttribute[] {
  const at = attributes.findIndex(isDirection);
  const kept = attributes.filter((a) => !isDirection(a));
  const entry: SdpAttribute = { name: direction, value: undefined };
  if (at < 0) return [...kept, entry];
  // Keep the attribute where it was, so a re-sent description differs only in that line.
  const before = attributes.slice(0, at).filter((a) => !isDirection(a)).length;
  return [...kept.slice(0, before), entry, ...kept.slice(before)];
}

/**
 * Sets the direction of the media section at `index` (or of every section with a non-zero
 * port when 'all'). A session-level direction attribute is removed so it cannot contradict;
 * the sections not changed get it written at media level, so their meaning stays the same.
 */
export function setMediaDirection(sd: SessionDescription, index: number | 'all', direction: MediaDirection): SessionDescription {
  const sessionHadDirection = sd.attributes.some(isDirection);
  const media = sd.media.map((m, i): SdpMedia => {
    const target = index === 'all' ? m.port !== 0 : i === index;
    if (target) return { ...m, attributes: withDirection(m.attributes, direction) };
    if (sessionHadDirection && !m.attributes.some(isDirection)) {
      return { ...m, attributes: withDirection(m.attributes, mediaDirection(sd, i)) };
    }
    return m;
  });
  return { ...sd, attributes: sd.attributes.filter((a) => !isDirection(a)), media };
}

/** A hold offer for every active stream, in the chosen form (RFC 3264 §8.4). */
export function holdSdp(sd: SessionDescription, form: HoldForm): SessionDescription {
  if (form !== 'c0') return setMediaDirection(sd, 'all', form);
  const hold = (c: SdpConnection): SdpConnection => ({ ...c, address: c.addrType === 'IP6' ? '::' : '0.0.0.0' });
  return {
    ...sd,
    connection: sd.connection === undefined ? undefined : hold(sd.connection),
    media: sd.media.map((m) => (m.port === 0 ? m : { ...m, connections: m.connections.map(hold) })),
  };
}

/** Resumes every active stream as sendrecv, with `address` replacing an RFC 2543 c=0.0.0.0. */
export function resumeSdp(sd: SessionDescription, address: string): SessionDescription {
  const addrType = address.includes(':') ? 'IP6' : 'IP4';
  const unhold = (c: SdpConnection): SdpConnection => (isHoldAddress(c.address) ? { ...c, addrType, address } : c);
  const resumed = setMediaDirection(sd, 'all', 'sendrecv');
  return {
    ...resumed,
    connection: resumed.connection === undefined ? undefined : unhold(resumed.connection),
    media: resumed.media.map((m) => ({ ...m, connections: m.connections.map(unhold) })),
  };
}
