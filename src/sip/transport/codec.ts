/** The codec functions the transport layer uses, in one place. */
export { parseVia, formatVia, topViaOf, type Via } from '../via.js';
export { SipParseError, SipFramingError } from '../errors.js';
export { parseMessage } from '../parse.js';
export { serializeMessage } from '../serialize.js';
export { buildResponse, newTag } from '../response.js';
export { SipStreamFramer } from '../framer.js';
export { validateRequest, type RequestPolicy } from '../validate.js';
