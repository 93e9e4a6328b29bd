/**
 * Media anchoring: the SBC replaces each media section's connection address and port with a
 * relay address of its own (RFC 3264 §5 / §6 give the meaning of c= and m= port), so the far
 * side sends RTP to the relay. Codec lists, a=fmtp, a=crypto (RFC 4568: the keys are for the
 * endpoints, the relay forwards SRTP without decrypting) and unknown attributes are kept byte
 * for byte. Pure: a new description is returned.
 */
import { addrTypeOf, isHoldAddress } from './address.js';
import { ICE_ATTRIBUTES } from './attributes.js';
import { contentLines } from './serialize.js';
import type { SdpAttribute, SdpConnection, SdpMedia, SdpOrigin, SessionDescription } from './session-description.js';

/** Where the SBC receives one media stream. */
export interface MediaAnchor {
  readonly address: string;
  readonly port: number;
  /**
   * RTCP port. An existing a=rtcp (RFC 3605) is rewritten to it (default port + 1); when the
   * description has none, a=rtcp is added only if this differs from port + 1.
   */
  readonly rtcpPort?: number;
}

export interface SdpRewritePlan {
  /** One entry per m= line, in order; undefined leaves that section as it is. */
  readonly media: readonly (MediaAnchor | undefined)[];
  /** Replacement for the session-level c= (default: the first anchor's address). */
  readonly sessionAddress?: string;
  /** 'strip' (default) removes a=candidate and the other ICE attributes at both levels. */
  readonly ice?: 'strip' | 'keep';
  /**
   * The o= identity this side presents (topology hiding), used for the first description of a
   * session. Later descriptions take the identity of `previous`.
   */
  readonly origin?: { readonly username?: string; readonly sessionId?: string; readonly address: string };
  /**
   * The description this side sent last in the same session. RFC 3264 §8: a changed
   * description carries sess-version + 1; an unchanged one (a re-sent offer, a refresh)
   * keeps the same version.
   */
  readonly previous?: SessionDescription;
}

function anchoredConnection(c: SdpConnection, address: string): SdpConnection {
  // c=0.0.0.0 is the RFC 2543 hold form (RFC 3264 §8.4): keep it so the hold reaches the far side.
  if (isHoldAddress(c.address.split('/')[0] ?? '')) return c;
  return { netType: 'IN', addrType: addrTypeOf(address), address };
}

function rewriteRtcp(value: string | undefined, anchor: MediaAnchor): string {
  const port = anchor.rtcpPort ?? anchor.port + 1;
  const hasAddress = (value ?? '').trim().split(/[ \t]+/).length === 4;
  return hasAddress ? `${port} IN ${addrTypeOf(anchor.address)} ${anchor.address}` : `${port}`;
}

function rewriteAttributes(attributes: readonly SdpAttribute[], anchor: MediaAnchor | undefined, stripIce: boolean): SdpAttribute[] {
  const out: SdpAttribute[] = [];
  for (const a of attributes) {
    if (stripIce && ICE_ATTRIBUTES.has(a.name)) continue;
    if (anchor !== undefined && a.name === 'rtcp') {
      out.push({ name: 'rtcp', value: rewriteRtcp(a.value, anchor) });
      continue;
    }
    out.push(a);
  }
  if (anchor?.rtcpPort !== undefined && anchor.rtcpPort !== anchor.port + 1 && !attributes.some((a) => a.name === 'rtcp')) {
    out.push({ name: 'rtcp', value: `${anchor.rtcpPort}` });
  }
  return out;
}

function rewriteMedia(m: SdpMedia, anchor: MediaAnchor | undefined, session: SdpConnection | undefined, stripIce: boolean): SdpMedia {
  const attributes = rewriteAttributes(m.attributes, anchor, stripIce);
  if (anchor === undefined) return { ...m, attributes };
  let connections = m.connections.map((c) => anchoredConnection(c, anchor.address));
  const inherited = session === undefined || (session.address !== anchor.address && !isHoldAddress(session.address));
  if (connections.length === 0 && inherited) connections = [anchoredConnection({ netType: 'IN', addrType: 'IP4', address: '' }, anchor.address)];
  // RFC 3264 §8.2: port 0 rejects or disables the stream; it must stay 0.
  return { ...m, port: m.port === 0 ? 0 : anchor.port, connections, attributes };
}

function originFor(sd: SessionDescription, plan: SdpRewritePlan): SdpOrigin {
  if (plan.previous !== undefined) return plan.previous.origin;
  if (plan.origin === undefined) return sd.origin;
  const address = plan.origin.address;
  return {
    username: plan.origin.username ?? sd.origin.username,
    sessionId: plan.origin.sessionId ?? sd.origin.sessionId,
    sessionVersion: sd.origin.sessionVersion,
    netType: 'IN',
    addrType: addrTypeOf(address),
    address,
  };
}

function sameContent(a: SessionDescription, b: SessionDescription): boolean {
  const x = contentLines(a);
  const y = contentLines(b);
  return x.length === y.length && x.every((line, i) => line === y[i]);
}

export function rewriteSdp(sdp: SessionDescription, plan: SdpRewritePlan): SessionDescription {
  const stripIce = (plan.ice ?? 'strip') === 'strip';
  const firstAnchor = plan.media.find((a) => a !== undefined);
  const sessionAddress = plan.sessionAddress ?? firstAnchor?.address;
  const connection = sdp.connection === undefined || sessionAddress === undefined ? sdp.connection : anchoredConnection(sdp.connection, sessionAddress);
  const media = sdp.media.map((m, i) => {
    const rewritten = rewriteMedia(m, plan.media[i], connection, stripIce);
    // A section left alone keeps the address it had from the session-level c= (RFC 8866 §5.7).
    const keepsOld = plan.media[i] === undefined && m.connections.length === 0 && sdp.connection !== undefined && connection !== sdp.connection;
    return keepsOld && sdp.connection !== undefined ? { ...rewritten, connections: [sdp.connection] } : rewritten;
  });
  const attributes = stripIce ? sdp.attributes.filter((a) => !ICE_ATTRIBUTES.has(a.name)) : [...sdp.attributes];
  const origin = originFor(sdp, plan);
  const rewritten: SessionDescription = { ...sdp, origin, connection, attributes, media };
  const previous = plan.previous;
  if (previous === undefined) return rewritten;
  const sessionVersion = sameContent(rewritten, previous) ? previous.origin.sessionVersion : previous.origin.sessionVersion + 1n;
  return { ...rewritten, origin: { ...origin, sessionVersion } };
}
