/**
 * SDP session descriptions as plain data (RFC 8866 §5, which obsoletes RFC 4566).
 * Lines the codec does not interpret are kept as `fields` (in the order read) and attributes
 * keep their value exactly as written, so a=crypto (RFC 4568) and ICE lines pass through byte
 * for byte. Serialization writes the lines in the order of RFC 8866 §5 (normalised out).
 */

/** Any line other than v=, o=, s=, c=, m= and a=: i=, u=, e=, p=, b=, t=, r=, z=, k= or unknown. */
export interface SdpField {
  /** The one-letter type before '='. */
  readonly type: string;
  readonly value: string;
}

/** o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> (RFC 8866 §5.2). */
export interface SdpOrigin {
  readonly username: string;
  readonly sessionId: string;
  /** RFC 3264 §8: incremented by one each time the offerer or answerer changes the SDP. */
  readonly sessionVersion: bigint;
  readonly netType: string;
  readonly addrType: string;
  readonly address: string;
}

/** c=<nettype> <addrtype> <connection-address> (RFC 8866 §5.7). */
export interface SdpConnection {
  readonly netType: string;
  /** "IP4" or "IP6". */
  readonly addrType: string;
  /** As written, including a multicast "/ttl/count" suffix if there is one. */
  readonly address: string;
}

/** a=<name> (property attribute: value undefined) or a=<name>:<value> (RFC 8866 §5.13). */
export interface SdpAttribute {
  readonly name: string;
  readonly value: string | undefined;
}

/** m=<media> <port>[/<number of ports>] <proto> <fmt> ... and the lines under it (RFC 8866 §5.14). */
export interface SdpMedia {
  readonly media: string;
  readonly port: number;
  readonly portCount: number | undefined;
  readonly proto: string;
  /** RTP payload type numbers as strings for RTP/AVP profiles; other tokens for other protos. */
  readonly formats: readonly string[];
  readonly connections: readonly SdpConnection[];
  readonly fields: readonly SdpField[];
  readonly attributes: readonly SdpAttribute[];
}

export interface SessionDescription {
  /** v= is always 0 (RFC 8866 §5.1). */
  readonly version: number;
  readonly origin: SdpOrigin;
  /** s= text as written (may be "-" or a single space). */
  readonly sessionName: string;
  /** Session-level c=, the default for every m= section that has none (RFC 8866 §5.7). */
  readonly connection: SdpConnection | undefined;
  readonly fields: readonly SdpField[];
  readonly attributes: readonly SdpAttribute[];
  readonly media: readonly SdpMedia[];
}

/** RFC 3264 §5.1 / §8.4 stream directions. */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export const MEDIA_DIRECTIONS: readonly MediaDirection[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

/** Largest SDP body accepted; checked before decoding (docs/STYLE.md rule 3). */
export const SDP_MAX_BYTES = 65_536;
