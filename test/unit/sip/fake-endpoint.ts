/**
 * A SipEndpoint for TU tests: records what the TU sends and answers client requests with a
 * scripted function; time is a ManualClock.
 */
import { ManualClock } from '../../../src/core/index.js';
import type { SipMessage, SipRequest, SipResponse } from '../../../src/sip/message.js';
import type { ServerRequest, SipEndpoint } from '../../../src/sip/stack-types.js';
import type { SipTransportName, TransportTarget } from '../../../src/sip/transport/index.js';
import { parseMessage } from '../../../src/sip/parse.js';

export class FakeEndpoint implements SipEndpoint {
  readonly clock = new ManualClock();
  readonly requests: Array<{ request: SipRequest; target: TransportTarget }> = [];
  readonly stateless: SipMessage[] = [];
  #branch = 0;
  answer: (request: SipRequest) => Promise<SipResponse> | SipResponse = () => {
    throw new Error('no answer scripted');
  };

  async request(request: SipRequest, target: TransportTarget): Promise<SipResponse> {
    this.requests.push({ request, target });
    return this.answer(request);
  }

  async sendStateless(message: SipMessage): Promise<void> {
    this.stateless.push(message);
  }

  newVia(transport: SipTransportName): string {
    return `SIP/2.0/${transport} 127.0.0.1:5062;branch=z9hG4bK-test-${++this.#branch};rport`;
  }

  hostPort(): string {
    return '127.0.0.1:5062';
  }
}

/** A ServerRequest whose responses are collected. */
export function incoming(text: string, transport: SipTransportName = 'UDP'): ServerRequest & { responses: SipResponse[] } {
  const request = parseMessage(Buffer.from(text));
  if (request.kind !== 'request') throw new Error('not a request');
  const responses: SipResponse[] = [];
  return { request, source: { transport, address: '127.0.0.9', port: 5070 }, respond: (r) => responses.push(r), responses };
}

export function sipRequest(method: string, extra: { to?: string; branch?: string; callId?: string; body?: string; cseq?: number } = {}): string {
  const body = extra.body ?? '';
  return [
    `${method} sip:uas@127.0.0.1:5062 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.9:5070;branch=${extra.branch ?? 'z9hG4bK-1'}`,
    'Max-Forwards: 70',
    'From: <sip:uac@127.0.0.9>;tag=uac1',
    `To: ${extra.to ?? '<sip:uas@127.0.0.1>'}`,
    `Call-ID: ${extra.callId ?? 'call-1@127.0.0.9'}`,
    `CSeq: ${extra.cseq ?? 1} ${method}`,
    'Contact: <sip:uac@127.0.0.9:5070>',
    ...(body === '' ? [] : ['Content-Type: application/sdp']),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}
