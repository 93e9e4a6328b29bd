/**
 * What the responder reads from a PnP SUBSCRIBE and the two messages it answers with
 * (the form phones of every brand accept): a 200 OK back along the Via (RFC 3581
 * rport), then a NOTIFY with RFC-correct dialog headers (RFC 6665 §4.1.2: From = the
 * SUBSCRIBE's To with our tag, To = the SUBSCRIBE's From), the SUBSCRIBE's Event echoed,
 * `Subscription-State: terminated;reason=timeout`, `Content-Type: application/url` and the URL
 * as the body, sent to the Contact URI.
 */
import {
  formatVia, getHeader, parseNameAddr, parseUri, parseVia,
  type SipHeader, type SipRequest, type SipResponse, type Via,
} from '../sip/index.js';
import { identifyPhone, parseEvent, type EventValue, type PhoneIdentity } from './vendor.js';

export type DropReason = 'no-via' | 'no-from' | 'no-to' | 'no-call-id' | 'no-cseq' | 'no-contact' | 'no-event' | 'bad-header';

export interface Subscribe {
  readonly request: SipRequest;
  readonly via: Via;
  readonly callId: string;
  readonly cseq: string;
  readonly from: string;
  readonly to: string;
  readonly fromTag: string | undefined;
  readonly contactUri: string;
  /** Where the NOTIFY goes: the Contact URI's host and port (5060 when absent). */
  readonly contactHost: string;
  readonly contactPort: number;
  /** The Event header as sent, for the NOTIFY. */
  readonly eventText: string;
  readonly event: EventValue;
  readonly identity: PhoneIdentity;
}

export type ReadResult = { readonly ok: true; readonly subscribe: Subscribe } | { readonly ok: false; readonly reason: DropReason };

function drop(reason: DropReason): ReadResult {
  return { ok: false, reason };
}

/** Checks a SUBSCRIBE has what an answer needs; the caller checks the method and event package. */
export function readSubscribe(request: SipRequest): ReadResult {
  const viaText = getHeader(request, 'Via');
  const from = getHeader(request, 'From');
  const to = getHeader(request, 'To');
  const callId = getHeader(request, 'Call-ID');
  const cseq = getHeader(request, 'CSeq');
  const contact = getHeader(request, 'Contact');
  const eventText = getHeader(request, 'Event');
  if (viaText === undefined) return drop('no-via');
  if (from === undefined) return drop('no-from');
  if (to === undefined) return drop('no-to');
  if (callId === undefined) return drop('no-call-id');
  if (cseq === undefined) return drop('no-cseq');
  if (contact === undefined) return drop('no-contact');
  if (eventText === undefined) return drop('no-event');
  const event = parseEvent(eventText);
  if (event === undefined) return drop('no-event');
  try {
    const via = parseVia(viaText);
    const fromTag = parseNameAddr(from).params.get('tag');
    // The To is answered with our tag added (withTag), so it must parse too.
    parseNameAddr(to);
    const contactUri = parseNameAddr(contact).uri;
    const uri = parseUri(contactUri);
    if (uri.kind !== 'sip') return drop('no-contact');
    return {
      ok: true,
      subscribe: {
        request, via, callId, cseq, from, to, fromTag, contactUri, eventText, event,
        contactHost: uri.host,
        contactPort: uri.port ?? 5060,
        identity: identifyPhone({ requestUri: request.uri, from, to, contact, userAgent: getHeader(request, 'User-Agent'), event }),
      },
    };
  } catch {
    return drop('bad-header');
  }
}

/** RFC 3581 §4 and RFC 3261 §18.2.2: where the 200 goes, and the Via that says so. */
export function responseTarget(via: Via, source: { address: string; port: number }): { address: string; port: number; via: Via } {
  const params = new Map(via.params);
  const rport = params.has('rport');
  if (rport) params.set('rport', String(source.port));
  if (rport || via.host !== source.address) params.set('received', source.address);
  return { address: source.address, port: rport ? source.port : via.port ?? 5060, via: { ...via, params } };
}

export interface Agent {
  /** The agent's address on the phone's LAN and its unicast SIP port. */
  readonly address: string;
  readonly port: number;
}

function withTag(nameAddr: string, tag: string): string {
  return parseNameAddr(nameAddr).params.has('tag') ? nameAddr : `${nameAddr};tag=${tag}`;
}

export function build200(s: Subscribe, topVia: Via, toTag: string, agent: Agent): SipResponse {
  const vias = s.request.headers.filter((h) => h.name === 'Via');
  const headers: SipHeader[] = [
    { name: 'Via', value: formatVia(topVia) },
    ...vias.slice(1),
    { name: 'From', value: s.from },
    { name: 'To', value: withTag(s.to, toTag) },
    { name: 'Call-ID', value: s.callId },
    { name: 'CSeq', value: s.cseq },
    { name: 'Contact', value: `<sip:${agent.address}:${agent.port}>` },
    { name: 'Expires', value: '0' },
    { name: 'Content-Length', value: '0' },
  ];
  return { kind: 'response', version: 'SIP/2.0', status: 200, reason: 'OK', headers, body: Buffer.alloc(0) };
}

export function buildNotify(s: Subscribe, toTag: string, branch: string, agent: Agent, url: string): SipRequest {
  const body = Buffer.from(url, 'utf8');
  const headers: SipHeader[] = [
    { name: 'Via', value: `SIP/2.0/UDP ${agent.address}:${agent.port};branch=${branch};rport` },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: withTag(s.to, toTag) },
    { name: 'To', value: s.from },
    { name: 'Call-ID', value: s.callId },
    { name: 'CSeq', value: '1 NOTIFY' },
    { name: 'Contact', value: `<sip:${agent.address}:${agent.port}>` },
    { name: 'Event', value: s.eventText },
    { name: 'Subscription-State', value: 'terminated;reason=timeout' },
    { name: 'Content-Type', value: 'application/url' },
    { name: 'Content-Length', value: String(body.length) },
  ];
  return { kind: 'request', version: 'SIP/2.0', method: 'NOTIFY', uri: s.contactUri, headers, body };
}
