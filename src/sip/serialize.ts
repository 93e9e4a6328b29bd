/**
 * serializeMessage: SipMessage → bytes, normalised (RFC 3261 §7): canonical header names
 * (compact forms expanded), one value per line, and exactly one Content-Length, written last
 * from the body length (RFC 3261 §18.3: mandatory on streams; harmless on UDP).
 */
import { SipSerializeError } from './errors.js';
import { canonicalName } from './header-names.js';
import type { SipMessage } from './message.js';
import { isToken } from './syntax.js';

function hasLineBreak(text: string): boolean {
  return text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0;
}

export function serializeMessage(msg: SipMessage): Buffer {
  let head: string;
  if (msg.kind === 'request') {
    if (!isToken(msg.method)) throw new SipSerializeError(`method is not a token: ${JSON.stringify(msg.method)}`);
    if (/[ \t\r\n]/.test(msg.uri) || msg.uri.length === 0) throw new SipSerializeError(`Request-URI is empty or has white space`);
    head = `${msg.method} ${msg.uri} ${msg.version}\r\n`;
  } else {
    if (!Number.isInteger(msg.status) || msg.status < 100 || msg.status > 699) throw new SipSerializeError(`status ${msg.status} outside 100..699`);
    if (hasLineBreak(msg.reason)) throw new SipSerializeError('reason phrase with CR or LF');
    head = `${msg.version} ${msg.status} ${msg.reason}\r\n`;
  }
  for (const h of msg.headers) {
    const name = canonicalName(h.name);
    if (name === 'Content-Length') continue;
    if (!isToken(name)) throw new SipSerializeError(`header name is not a token: ${JSON.stringify(h.name)}`);
    if (hasLineBreak(h.value)) throw new SipSerializeError(`${name} value with CR or LF`);
    head += `${name}: ${h.value}\r\n`;
  }
  head += `Content-Length: ${msg.body.length}\r\n\r\n`;
  const headLength = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLength + msg.body.length);
  out.write(head, 0, 'utf8');
  msg.body.copy(out, headLength);
  return out;
}
