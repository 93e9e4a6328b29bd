/**
 * Real-world session descriptions with the facts a parser must find in them and the exact
 * result of anchoring them on the SBC. Sources: baresip 1.0.0 offer (captured on loopback),
 * the SIPp 3.6.1 built-in uac_pcap scenario (with its keywords filled in), an Asterisk-style
 * answer, the RFC 4568 §9.1 SDES example, an IPv6 offer, the two hold forms of RFC 3264 §8.4,
 * and an offer with ICE candidates (RFC 8839) and a rejected video stream.
 */
import type { SdpRewritePlan } from '../../../src/sdp/index.js';

export interface MediaFacts {
  readonly media: string;
  readonly port: number;
  readonly proto: string;
  readonly formats: readonly string[];
  /** The c= address that applies to the section (own or session). */
  readonly address: string | undefined;
  readonly direction: string;
  readonly onHold: boolean;
  readonly encodings: readonly string[];
  readonly telephoneEvent: number | undefined;
  readonly rtcpPort: number | undefined;
  readonly crypto: number;
  readonly candidates: number;
}

export interface SdpVector {
  readonly name: string;
  readonly text: string;
  readonly sessionVersion: bigint;
  readonly originAddress: string;
  readonly media: readonly MediaFacts[];
  readonly plan: SdpRewritePlan;
  /** serializeSdp(rewriteSdp(parseSdp(text), plan)), lines joined with CRLF. */
  readonly rewritten: readonly string[];
}

const crlf = (lines: string[]): string => lines.join('\r\n') + '\r\n';
const lf = (lines: string[]): string => lines.join('\n') + '\n';

const SBC = { username: 'sbc', address: '203.0.113.10' } as const;

export const BARESIP_OFFER = crlf([
  'v=0',
  'o=- 482514582 588478215 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'a=tool:baresip 1.0.0',
  'm=audio 19168 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=sendrecv',
  'a=label:1',
  'a=rtcp-rsize',
  'a=ssrc:911328967 cname:sip:1001@127.0.0.1',
  'a=minptime:20',
  'a=ptime:20',
]);

const audio = (over: Partial<MediaFacts>): MediaFacts => ({
  media: 'audio',
  port: 0,
  proto: 'RTP/AVP',
  formats: [],
  address: undefined,
  direction: 'sendrecv',
  onHold: false,
  encodings: [],
  telephoneEvent: undefined,
  rtcpPort: undefined,
  crypto: 0,
  candidates: 0,
  ...over,
});

export const SDP_VECTORS: readonly SdpVector[] = [
  {
    name: 'baresip 1.0.0 offer',
    text: BARESIP_OFFER,
    sessionVersion: 588478215n,
    originAddress: '127.0.0.1',
    media: [audio({ port: 19168, formats: ['0', '8', '101'], address: '127.0.0.1', encodings: ['PCMU', 'PCMA', 'telephone-event'], telephoneEvent: 101 })],
    plan: { media: [{ address: '203.0.113.10', port: 30000 }], origin: SBC },
    rewritten: [
      'v=0',
      'o=sbc 482514582 588478215 IN IP4 203.0.113.10',
      's=-',
      'c=IN IP4 203.0.113.10',
      't=0 0',
      'a=tool:baresip 1.0.0',
      'm=audio 30000 RTP/AVP 0 8 101',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-15',
      'a=sendrecv',
      'a=label:1',
      'a=rtcp-rsize',
      'a=ssrc:911328967 cname:sip:1001@127.0.0.1',
      'a=minptime:20',
      'a=ptime:20',
    ],
  },
  {
    name: 'SIPp uac_pcap offer (PCMA + telephone-event), LF line ends',
    text: lf([
      'v=0',
      'o=user1 53655765 2353687637 IN IP4 192.168.1.50',
      's=-',
      'c=IN IP4 192.168.1.50',
      't=0 0',
      'm=audio 6000 RTP/AVP 8 101',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-11,16',
    ]),
    sessionVersion: 2353687637n,
    originAddress: '192.168.1.50',
    media: [audio({ port: 6000, formats: ['8', '101'], address: '192.168.1.50', encodings: ['PCMA', 'telephone-event'], telephoneEvent: 101 })],
    plan: { media: [{ address: '10.1.2.3', port: 40000 }], origin: { address: '10.1.2.3' } },
    rewritten: [
      'v=0',
      'o=user1 53655765 2353687637 IN IP4 10.1.2.3',
      's=-',
      'c=IN IP4 10.1.2.3',
      't=0 0',
      'm=audio 40000 RTP/AVP 8 101',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-11,16',
    ],
  },
  {
    name: 'Asterisk-style answer',
    text: crlf([
      'v=0',
      'o=- 1696250478 1696250479 IN IP4 198.51.100.5',
      's=Asterisk',
      'c=IN IP4 198.51.100.5',
      't=0 0',
      'm=audio 17454 RTP/AVP 8 101',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
      'a=ptime:20',
      'a=maxptime:150',
      'a=sendrecv',
    ]),
    sessionVersion: 1696250479n,
    originAddress: '198.51.100.5',
    media: [audio({ port: 17454, formats: ['8', '101'], address: '198.51.100.5', encodings: ['PCMA', 'telephone-event'], telephoneEvent: 101 })],
    plan: { media: [{ address: '192.168.1.1', port: 20000 }], origin: { username: 'sbc', address: '192.168.1.1' } },
    rewritten: [
      'v=0',
      'o=sbc 1696250478 1696250479 IN IP4 192.168.1.1',
      's=Asterisk',
      'c=IN IP4 192.168.1.1',
      't=0 0',
      'm=audio 20000 RTP/AVP 8 101',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
      'a=ptime:20',
      'a=maxptime:150',
      'a=sendrecv',
    ],
  },
  {
    name: 'SRTP SDES offer (RFC 4568 §9.1), media-level c=, i/u/e lines',
    text: crlf([
      'v=0',
      'o=sam 2890844526 2890842807 IN IP4 10.47.16.5',
      's=SRTP Discussion',
      'i=A discussion of Secure RTP',
      'u=http://www.example.com/seminars/srtp.pdf',
      'e=marge@example.com (Marge Simpson)',
      'c=IN IP4 168.2.17.12',
      't=2873397496 2873404696',
      'm=audio 49170 RTP/SAVP 0',
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4 FEC_ORDER=FEC_SRTP',
      'm=video 51372 RTP/SAVP 31',
      'c=IN IP4 168.2.17.11',
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^20|1:32',
      'a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:32',
    ]),
    sessionVersion: 2890842807n,
    originAddress: '10.47.16.5',
    media: [
      audio({ port: 49170, proto: 'RTP/SAVP', formats: ['0'], address: '168.2.17.12', encodings: [], crypto: 1 }),
      { ...audio({ port: 51372, proto: 'RTP/SAVP', formats: ['31'], address: '168.2.17.11', crypto: 2 }), media: 'video' },
    ],
    plan: { media: [{ address: '203.0.113.10', port: 30000 }, { address: '203.0.113.10', port: 30002 }], origin: SBC },
    rewritten: [
      'v=0',
      'o=sbc 2890844526 2890842807 IN IP4 203.0.113.10',
      's=SRTP Discussion',
      'i=A discussion of Secure RTP',
      'u=http://www.example.com/seminars/srtp.pdf',
      'e=marge@example.com (Marge Simpson)',
      'c=IN IP4 203.0.113.10',
      't=2873397496 2873404696',
      'm=audio 30000 RTP/SAVP 0',
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4 FEC_ORDER=FEC_SRTP',
      'm=video 30002 RTP/SAVP 31',
      'c=IN IP4 203.0.113.10',
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^20|1:32',
      'a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:32',
    ],
  },
  {
    name: 'IPv6 offer with a=rtcp carrying an address (RFC 3605)',
    text: crlf([
      'v=0',
      'o=- 20518 0 IN IP6 2001:db8::10',
      's=-',
      'c=IN IP6 2001:db8::10',
      't=0 0',
      'm=audio 5004 RTP/AVP 9 0 101',
      'a=rtpmap:9 G722/8000',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-15',
      'a=ptime:20',
      'a=rtcp:5005 IN IP6 2001:db8::10',
    ]),
    sessionVersion: 0n,
    originAddress: '2001:db8::10',
    media: [
      audio({ port: 5004, formats: ['9', '0', '101'], address: '2001:db8::10', encodings: ['G722', 'PCMU', 'telephone-event'], telephoneEvent: 101, rtcpPort: 5005 }),
    ],
    plan: { media: [{ address: '2001:db8:ffff::1', port: 31000, rtcpPort: 31001 }], origin: { username: 'sbc', address: '2001:db8:ffff::1' } },
    rewritten: [
      'v=0',
      'o=sbc 20518 0 IN IP6 2001:db8:ffff::1',
      's=-',
      'c=IN IP6 2001:db8:ffff::1',
      't=0 0',
      'm=audio 31000 RTP/AVP 9 0 101',
      'a=rtpmap:9 G722/8000',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-15',
      'a=ptime:20',
      'a=rtcp:31001 IN IP6 2001:db8:ffff::1',
    ],
  },
  {
    name: 'hold offer, RFC 3264 form (a=sendonly)',
    text: BARESIP_OFFER.replace('588478215', '588478216').replace('a=sendrecv', 'a=sendonly'),
    sessionVersion: 588478216n,
    originAddress: '127.0.0.1',
    media: [
      audio({ port: 19168, formats: ['0', '8', '101'], address: '127.0.0.1', direction: 'sendonly', onHold: true, encodings: ['PCMU', 'PCMA', 'telephone-event'], telephoneEvent: 101 }),
    ],
    plan: { media: [{ address: '203.0.113.10', port: 30000 }], origin: SBC },
    rewritten: [
      'v=0',
      'o=sbc 482514582 588478216 IN IP4 203.0.113.10',
      's=-',
      'c=IN IP4 203.0.113.10',
      't=0 0',
      'a=tool:baresip 1.0.0',
      'm=audio 30000 RTP/AVP 0 8 101',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-15',
      'a=sendonly',
      'a=label:1',
      'a=rtcp-rsize',
      'a=ssrc:911328967 cname:sip:1001@127.0.0.1',
      'a=minptime:20',
      'a=ptime:20',
    ],
  },
  {
    name: 'hold offer, RFC 2543 form (c=0.0.0.0) is kept',
    text: crlf([
      'v=0',
      'o=Polycom 1234 1236 IN IP4 192.168.1.60',
      's=-',
      'c=IN IP4 0.0.0.0',
      't=0 0',
      'm=audio 2222 RTP/AVP 0 101',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
    ]),
    sessionVersion: 1236n,
    originAddress: '192.168.1.60',
    media: [audio({ port: 2222, formats: ['0', '101'], address: '0.0.0.0', onHold: true, encodings: ['PCMU', 'telephone-event'], telephoneEvent: 101 })],
    plan: { media: [{ address: '203.0.113.10', port: 30000 }], origin: SBC },
    rewritten: [
      'v=0',
      'o=sbc 1234 1236 IN IP4 203.0.113.10',
      's=-',
      'c=IN IP4 0.0.0.0',
      't=0 0',
      'm=audio 30000 RTP/AVP 0 101',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
    ],
  },
  {
    name: 'ICE offer with candidates, rtcp-mux, a rejected video stream and an unknown line',
    text: lf([
      'v=0',
      'o=- 1 1 IN IP4 192.168.1.23',
      's=-',
      't=0 0',
      'a=ice-lite',
      'm=audio 52654 RTP/AVP 0 8 101',
      'c=IN IP4 192.168.1.23',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
      'a=rtcp:52655 IN IP4 192.168.1.23',
      'a=rtcp-mux',
      'a=ice-ufrag:F7gI',
      'a=ice-pwd:x9cml/YzichV2+XlhiMu8g',
      'a=candidate:1 1 UDP 2130706431 192.168.1.23 52654 typ host',
      'a=candidate:1 2 UDP 2130706430 192.168.1.23 52655 typ host',
      'a=candidate:2 1 UDP 1694498815 198.51.100.23 41001 typ srflx raddr 192.168.1.23 rport 52654',
      'a=end-of-candidates',
      'a=sendrecv',
      'm=video 0 RTP/AVP 96',
      'c=IN IP4 192.168.1.23',
      'a=rtpmap:96 H264/90000',
      'y=0100000001',
    ]),
    sessionVersion: 1n,
    originAddress: '192.168.1.23',
    media: [
      audio({ port: 52654, formats: ['0', '8', '101'], address: '192.168.1.23', encodings: ['PCMU', 'PCMA', 'telephone-event'], telephoneEvent: 101, rtcpPort: 52655, candidates: 3 }),
      { ...audio({ port: 0, formats: ['96'], address: '192.168.1.23', encodings: ['H264'] }), media: 'video' },
    ],
    plan: { media: [{ address: '203.0.113.10', port: 30004 }, { address: '203.0.113.10', port: 30006 }], origin: SBC },
    rewritten: [
      'v=0',
      'o=sbc 1 1 IN IP4 203.0.113.10',
      's=-',
      't=0 0',
      'm=audio 30004 RTP/AVP 0 8 101',
      'c=IN IP4 203.0.113.10',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
      'a=rtcp:30005 IN IP4 203.0.113.10',
      'a=rtcp-mux',
      'a=sendrecv',
      'm=video 0 RTP/AVP 96',
      'c=IN IP4 203.0.113.10',
      'y=0100000001',
      'a=rtpmap:96 H264/90000',
    ],
  },
];
