export { addrTypeOf, isHoldAddress, isIPv4, isIPv6, isPrivateAddress } from './address.js';
export {
  ICE_ATTRIBUTES,
  answerDirection,
  attributeValues,
  clockRates,
  fmtp,
  hasAttribute,
  isOnHold,
  mediaConnection,
  mediaDirection,
  ptime,
  rtcpAttribute,
  rtpMaps,
  telephoneEventPayloadType,
  type RtcpAttribute,
  type RtpMap,
} from './attributes.js';
export { holdSdp, resumeSdp, setMediaDirection, type HoldForm } from './direction.js';
export { parseSdp } from './parse.js';
export { rewriteSdp, type MediaAnchor, type SdpRewritePlan } from './rewrite.js';
export { SdpParseError } from './sdp-parse-error.js';
export { serializeSdp } from './serialize.js';
export {
  MEDIA_DIRECTIONS,
  SDP_MAX_BYTES,
  type MediaDirection,
  type SdpAttribute,
  type SdpConnection,
  type SdpField,
  type SdpMedia,
  type SdpOrigin,
  type SessionDescription,
} from './session-description.js';
export { parseCryptoAttribute, serializeCryptoAttribute, unsupportedCryptoParams, type CryptoAttribute } from './crypto-attribute.js';
