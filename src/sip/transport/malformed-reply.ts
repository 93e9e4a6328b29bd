/**
 * An answer to a request that did not parse. RFC 3261 §21.4.1: "The request could not be
 * understood due to malformed syntax." A response needs Via, From, To, Call-ID and CSeq
 * (§8.2.6.2); when those lines can be picked out of the raw bytes the reply is built from them
 * verbatim, otherwise nothing can be sent and the request is only counted. ACK is never answered
 * (§17.2.1: ACK gets no response).
 */
import { buildResponse, newTag, serializeMessage, type SipParseError } from './codec.js';

const NEEDED: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['Via', ['via', 'v']],
  ['From', ['from', 'f']],
  ['To', ['to', 't']],
  ['Call-ID', ['call-id', 'i']],
  ['CSeq', ['cseq']],
];

const MAX_REASON = 120;

/** Header lines of the head of a message, unfolded (§7.3.1), lower-cased names. */
function headerLines(raw: Buffer): Array<[string, string]> {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, end < 0 ? raw.length : end).toString('latin1');
  const lines = head.split(/\r?\n/);
  const out: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && out.length > 0) {
      const last = out[out.length - 1];
      if (last !== undefined) last[1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    out.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return out;
}

/**
 * The bytes of a `status` response to the malformed request `raw`, or undefined when not enough
 * is known to answer (no start line that looks like a request, ACK, or a missing header).
 */
export function malformedRequestReply(raw: Buffer, status: number, reason: string, toTag: string): Buffer | undefined {
  const firstLineEnd = raw.indexOf('\r\n');
  const firstLine = raw.subarray(0, firstLineEnd < 0 ? Math.min(raw.length, 200) : firstLineEnd).toString('latin1');
  const method = /^([A-Za-z!%*_+`'~.-]+) \S+ SIP\/\d+\.\d+$/i.exec(firstLine.trim())?.[1];
  if (method === undefined || method.toUpperCase() === 'ACK') return undefined;
  const lines = headerLines(raw);
  const out: string[] = [`SIP/2.0 ${status} ${reason.replace(/[\r\n]+/g, ' ').slice(0, MAX_REASON)}`];
  for (const [canonical, names] of NEEDED) {
    const found = lines.filter(([name]) => names.includes(name));
    if (found.length === 0) return undefined;
    // A response carries every Via of the request (§8.2.6.2); the others only once.
    const values = canonical === 'Via' ? found.map(([, v]) => v) : [found[0]?.[1] ?? ''];
    // §8.2.6.2: a UAS adds a To tag when the request had none.
    if (canonical === 'To' && !/;\s*tag\s*=/i.test(values[0] ?? '')) values[0] = `${values[0] ?? ''};tag=${toTag}`;
    for (const value of values) {
      if (/[\0\r\n]/.test(value)) return undefined;
      out.push(`${canonical}: ${value}`);
    }
  }
  out.push('Content-Length: 0', '', '');
  return Buffer.from(out.join('\r\n'), 'latin1');
}

/**
 * The answer to a request the parser rejected: built from the parser's partial request (start
 * line and headers) when it has one, else from the raw lines; undefined when nothing can be sent.
 */
export function replyToMalformed(bytes: Buffer, error: SipParseError): Buffer | undefined {
  const partial = error.request;
  if (partial !== undefined && partial.method !== 'ACK') {
    try {
      return serializeMessage(buildResponse(partial, error.status, error.reason));
    } catch {
      // A header the response must copy is itself unusable: fall back to the raw lines.
    }
  }
  return malformedRequestReply(bytes, error.status, error.reason, newTag());
}
