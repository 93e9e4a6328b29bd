/**
 * The SIP echo that `sbc-agent doctor` uses to find a SIP ALG between the agent and the hub
 * (issue 15). The hub answers an OPTIONS on its echo port with 200 OK whose body carries the
 * request exactly as it arrived and the address it came from; doctor compares that copy with what
 * it sent, so any header a router rewrote on the way (a SIP ALG rewrites Via and Contact) shows.
 *
 * The copy travels base64-encoded: an ALG that rewrites addresses in bodies too (SDP) would
 * otherwise put the original addresses back into it on the way home and hide itself. Pure codec
 * (docs/STYLE.md rule 1): the UDP side is src/hub-sip-echo.ts and src/cli/doctor.ts.
 */
import { getHeader, type SipHeader } from './message.js';
import { parseMessage } from './parse.js';
import { buildResponse } from './response.js';
import { serializeMessage } from './serialize.js';

export const SIP_ECHO_CONTENT_TYPE = 'application/vnd.sbc-agent.sip-echo+json';

/**
 * A larger request is not answered: the answer carries it again as base64 (4/3 of its size), and
 * an echo that answers more than it is sent must not be worth abusing as an amplifier.
 */
export const SIP_ECHO_MAX_REQUEST_BYTES = 900;

export interface SipEchoBody {
  /** The source address and port the request came from, as the hub saw it ("203.0.113.7:40312"). */
  readonly from: string;
  /** The request's bytes as received. */
  readonly request: Buffer;
}

/** The echo's answer to one datagram: a 200 OK to an OPTIONS, else undefined (dropped unanswered). */
export function sipEchoAnswer(datagram: Buffer, from: { readonly address: string; readonly port: number }): Buffer | undefined {
  if (datagram.length > SIP_ECHO_MAX_REQUEST_BYTES) return undefined;
  let request;
  try {
    request = parseMessage(datagram);
  } catch {
    return undefined;
  }
  if (request.kind !== 'request' || request.method !== 'OPTIONS' || getHeader(request, 'Call-ID') === undefined) return undefined;
  const source = from.address.includes(':') ? `[${from.address}]:${from.port}` : `${from.address}:${from.port}`;
  const body = Buffer.from(JSON.stringify({ from: source, request: datagram.toString('base64') }));
  const headers: SipHeader[] = [{ name: 'Content-Type', value: SIP_ECHO_CONTENT_TYPE }];
  return serializeMessage(buildResponse(request, 200, 'OK', headers, body, { toTag: 'echo' }));
}

/** The echo's body read from its 200 OK, with the Call-ID to match it to the request; undefined when it is not one. */
export function readSipEcho(datagram: Buffer): (SipEchoBody & { readonly callId: string }) | undefined {
  let response;
  try {
    response = parseMessage(datagram);
  } catch {
    return undefined;
  }
  if (response.kind !== 'response' || response.status !== 200) return undefined;
  const callId = getHeader(response, 'Call-ID');
  if (callId === undefined || getHeader(response, 'Content-Type') !== SIP_ECHO_CONTENT_TYPE) return undefined;
  try {
    const parsed = JSON.parse(response.body.toString('utf8')) as { from?: unknown; request?: unknown };
    if (typeof parsed.from !== 'string' || typeof parsed.request !== 'string') return undefined;
    return { callId, from: parsed.from, request: Buffer.from(parsed.request, 'base64') };
  } catch {
    return undefined;
  }
}
