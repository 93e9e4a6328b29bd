// SIP codec (RFC 3261 §7, §19, §20, §25; RFC 4475; RFC 5118), header helpers and stream framing.
export {
  COMPACT_HEADER_NAMES,
  canonicalHeaderName,
  getHeader,
  getHeaders,
  withHeader,
  withoutHeader,
  type SipHeader,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from './message.js';
export { SipFramingError, SipParseError, SipSerializeError, type SipParseErrorOptions } from './errors.js';
export { SIP_VERSION, parseMessage, type ParseOptions } from './parse.js';
export { serializeMessage } from './serialize.js';
export { BRANCH_MAGIC_COOKIE, formatVia, getViaBranch, parseVia, topVia, type Via } from './via.js';
export { MAX_CSEQ, formatCSeq, parseCSeq, type CSeq } from './cseq.js';
export { formatNameAddr, getTag, parseNameAddr, type NameAddr } from './name-addr.js';
export { formatHost, formatUri, isSipUri, isTelUri, parseUri, unescapeUriPart, type AbsoluteUri, type ParseUriOptions, type SipUri, type TelUri, type Uri } from './uri.js';
export { LIST_HEADERS, mediaType, optionTags, parseDeltaSeconds, parseMaxForwards, splitHeaderValues } from './header-values.js';
export { SIP_ECHO_CONTENT_TYPE, SIP_ECHO_MAX_REQUEST_BYTES, readSipEcho, sipEchoAnswer, type SipEchoBody } from './echo.js';
export { buildResponse, newTag, reasonPhrase, type BuildResponseOptions } from './response.js';
export { DEFAULT_REQUEST_POLICY, PROXY_REQUEST_POLICY, REGISTERED_METHODS, validateRequest, type RequestPolicy, type RequestRejection } from './validate.js';
export { SipStreamFramer, type FramerEvent, type SipStreamFramerOptions } from './framer.js';
// Transports, stack composition, UA core and REGISTER client (RFC 3261 §18, §8.2, §10, §13).
export {
  MAX_MESSAGE_SIZE, SipTransportError, SipTransportLayer, defaultPort, emptyCounters, malformedRequestReply, replaceTopVia, responseTarget, stampReceived, topViaOf,
  type MessageSource, type SipAddress, type SipDatagramSocket, type SipMessageHandler, type SipStreamConnection, type SipStreamConnector,
  type SipStreamListener, type SipTransportCounters, type SipTransportLayerOptions, type SipTransportName, type StreamTransportSockets, type TransportTarget,
} from './transport/index.js';
export type { RequestHandler, ServerRequest, SipEndpoint } from './stack-types.js';
export { SipStack, SipTimeoutError, type SipStackOptions } from './stack.js';
export { UserAgent, type UserAgentCounters, type UserAgentOptions } from './user-agent.js';
export { RegisterClient, RegisterError, type RegisterClientOptions, type RegisterListener, type Registration } from './register-client.js';
// Transaction layer (RFC 3261 §17, RFC 6026). Transport side: TransactionTransport.send(message, target) (may throw or
// reject = transport error) and TransactionLayer.receive(message, source) / flowFailed(flowId, error). TU side:
// TransactionUser (server requests, ACK for 2xx, CANCEL, stray responses) and ClientTransactionUser per sendRequest.
export {
  DEFAULT_TIMER_CONFIG, InviteClientTransaction, InviteServerTransaction, NonInviteClientTransaction, NonInviteServerTransaction,
  TransactionError, TransactionLayer, buildNon2xxAck, isRfc3261Branch, newBranch, timerValues,
  type ClientTransaction, type ClientTransactionUser, type InviteClientState, type InviteServerState, type NonInviteClientState,
  type NonInviteServerState, type ServerTransaction, type TimerValues, type TransactionLayerCounters, type TransactionLayerOptions,
  type TransactionSource, type TransactionTarget, type TransactionTimerConfig, type TransactionTransport, type TransactionTransportName,
  type TransactionUser,
} from './transaction/index.js';
// Digest authentication, client and server (RFC 7616, RFC 8760; RFC 3261 §22).
export {
  AuthFailure, DIGEST_ALGORITHMS, DigestClient, DigestParseError, DigestServer, computeDigestResponse, computeHA1, digestAlgorithm,
  digestHash, formatAuthHeader, formatDigestChallenge, formatDigestCredentials, formatNonceCount, parseAuthHeader,
  parseDigestChallenges, parseDigestCredentials, withCredentials,
  type AuthChallenge, type AuthFailureReason, type AuthorizationHeader, type DigestAlgorithm, type DigestChallenge,
  type DigestClientOptions, type DigestCredentials, type DigestQop, type DigestResponseInput, type DigestServerOptions,
  type DigestTarget, type DigestUserStore, type DigestVerdict, type UserSecret, type VerifyFailure,
} from './auth/index.js';
export { subscriptionNotify, type NotifierDialog, type NotifyContent } from './subscription-notify.js';
