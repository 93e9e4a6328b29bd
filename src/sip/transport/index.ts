export { SipTransportError } from './errors.js';
export { malformedRequestReply } from './malformed-reply.js';
export { MAX_MESSAGE_SIZE, SipTransportLayer, type SipMessageHandler, type SipTransportLayerOptions, type StreamTransportSockets } from './transport-layer.js';
export {
  defaultPort, emptyCounters, type MessageSource, type SipAddress, type SipDatagramSocket, type SipStreamConnection,
  type SipStreamConnector, type SipStreamListener, type SipTransportCounters, type SipTransportName, type TransportTarget,
} from './types.js';
export { topViaOf } from './codec.js';
export { replaceTopVia, responseTarget, stampReceived } from './via-rport.js';
