/** The codec functions the transport layer uses, in one place. */
export { parseVia, formatVia, type Via } from '../via.js';
export { SipParseError, SipFramingError } from '../errors.js';
export { parseMessage, serializeMessage, SipStreamFramer, buildResponse } from '../index.js';
