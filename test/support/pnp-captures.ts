/**
 * Real PnP SUBSCRIBE captures (quoted from public sources: vendor manuals and open-source PnP
 * responders) and the variants phones are known to send (compact headers, no branch, `vender=`,
 * bare values, `MAC:`).
 * Each one carries the datagram source it is replayed from and what the responder must make
 * of it.
 */

export interface PnpCapture {
  readonly name: string;
  /** Header lines, without the final blank line; joined with CRLF. */
  readonly lines: readonly string[];
  readonly source: { readonly address: string; readonly port: number };
  readonly mac: string | undefined;
  readonly brand: string;
  readonly model: string | undefined;
  readonly firmware: string | undefined;
}

export function captureBytes(c: Pick<PnpCapture, 'lines'>): Buffer {
  return Buffer.from(`${c.lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

export const YEALINK_W52P: PnpCapture = {
  name: 'Yealink W52P (MAC without separator, no rport, port 5059)',
  lines: [
    'SUBSCRIBE sip:MAC001565f4f9e1@224.0.1.75 SIP/2.0',
    'Via: SIP/2.0/UDP 10.1.3.239:5059;branch=z9hG4bK1536537630',
    'From: <sip:MAC001565f4f9e1@224.0.1.75>;tag=1536537630',
    'To: <sip:MAC001565f4f9e1@224.0.1.75>',
    'Call-ID: 1536537630@10.1.3.239',
    'CSeq: 1 SUBSCRIBE',
    'Contact: <sip:MAC001565f4f9e1@10.1.3.239:5059>',
    'Max-Forwards: 70',
    'User-Agent: Yealink W52P 25.81.0.10',
    'Expires: 0',
    'Event: ua-profile;profile-type="device";vendor="yealink";model="W52P";version="25.81.0.10"',
    'Accept: application/url',
    'Content-Length: 0',
  ],
  source: { address: '10.1.3.239', port: 5059 },
  mac: '001565f4f9e1', brand: 'yealink', model: 'W52P', firmware: '25.81.0.10',
};

export const GRANDSTREAM_GRP2612W: PnpCapture = {
  name: 'Grandstream GRP2612W (MAC%3A, port 5080, Contact without user)',
  lines: [
    'SUBSCRIBE sip:MAC%3AC074AD112233@224.0.1.75 SIP/2.0',
    'Via: SIP/2.0/UDP 192.168.1.2:5080;branch=z9hG4bK1611133778;rport',
    'From: <sip:MAC%3AC074AD112233@224.0.1.75>;tag=395400190',
    'To: <sip:MAC%3AC074AD112233@224.0.1.75>',
    'Call-ID: 490431573-5080-1@BJC.BGI.IG.DA',
    'CSeq: 20000 SUBSCRIBE',
    'Contact: <sip:192.168.1.2:5080>',
    'Max-Forwards: 70',
    'User-Agent: Grandstream GRP2612W 1.0.5.67',
    'Expires: 0',
    'Supported: replaces, path',
    'Event: ua-profile;profile-type="device";vendor="Grandstream";model="GRP2612W";version="1.0.5.67"',
    'Accept: application/url',
    'Allow: INVITE, ACK, OPTIONS, CANCEL, BYE, SUBSCRIBE, NOTIFY, INFO, REFER, UPDATE, MESSAGE',
    'Content-Length: 0',
  ],
  source: { address: '192.168.1.2', port: 5080 },
  mac: 'c074ad112233', brand: 'grandstream', model: 'GRP2612W', firmware: '1.0.5.67',
};

export const SNOM_720: PnpCapture = {
  name: 'snom 720 (MAC%3a, R-URI host "fake", no branch, From/To without host)',
  lines: [
    'SUBSCRIBE sip:MAC%3a00135E874B49@fake SIP/2.0',
    'Content-Length: 0',
    'Via: SIP/2.0/UDP 172.16.18.90:5060;rport',
    'From: <sip:MAC%3a00135E874B49>;tag=658512961',
    'Expires: 0',
    'Accept: application/url',
    'To: <sip:MAC%3a00135E874B49>',
    'Contact: <sip:172.16.18.90:5060>',
    'CSeq: 1 SUBSCRIBE',
    'Call-ID: 1930770594@ciccio',
    'Event: ua-profile;profile-type="device";vendor="snom";model="snom720";version="7.1.19"',
  ],
  source: { address: '172.16.18.90', port: 5060 },
  mac: '00135e874b49', brand: 'snom', model: 'snom720', firmware: '7.1.19',
};

export const AUDIOCODES_420HD: PnpCapture = {
  name: 'AudioCodes 420HD (no MAC anywhere, no vendor=)',
  lines: [
    'SUBSCRIBE sip:224.0.1.75:5060 SIP/2.0',
    'From: <sip:00000001@10.13.2.37:5060>;tag=87a5a8-25020d0a-13c4-50029-386d4398-66dc40c-386d4398',
    'To: <sip:224.0.1.75:5060>',
    'Call-ID: 8884c8-25020d0a-13c4-50029-386d4398-3e2bcb8e-386d4398',
    'CSeq: 1 SUBSCRIBE',
    'Via: SIP/2.0/UDP 10.13.2.37:5060;rport;branch=z9hG4bK-386d4398-6ad00ca2-7ca3606e',
    'Expires: 0',
    'Event: ua-profile;profile-type="application";model="420HD";version="1.2.1_build_6"',
    'Max-Forwards: 70',
    'Supported: replaces,100rel',
    'Accept: application/url',
    'Contact: <sip:00000001@10.13.2.37:5060>',
    'User-Agent: AUDC-IPPhone/1.2.1_build_6',
    'Content-Length: 0',
  ],
  source: { address: '10.13.2.37', port: 5060 },
  mac: undefined, brand: 'audiocodes', model: '420HD', firmware: '1.2.1_build_6',
};

/** The manual shows From, Event and User-Agent; the other lines follow the other captures. */
export const PLANET_VIP2140PT: PnpCapture = {
  name: 'PLANET VIP-2140PT (MAC=, "Event:" without a space)',
  lines: [
    'SUBSCRIBE sip:224.0.1.75 SIP/2.0',
    'Via: SIP/2.0/UDP 192.168.0.20:5060;branch=z9hG4bK2991',
    'From: <sip:MAC=00304fa99948@224.0.1.75>;tag=2991',
    'To: <sip:MAC=00304fa99948@224.0.1.75>',
    'Call-ID: 2991@192.168.0.20',
    'CSeq: 1 SUBSCRIBE',
    'Contact: <sip:192.168.0.20:5060>',
    'Event:ua-profile;profile-type="device";vendor="PLANET";model="VIP-2140PT";version="2.0.3.2991"',
    'User-Agent: PLANET VIP-2140PT',
    'Expires: 0',
    'Accept: application/url',
    'Content-Length: 0',
  ],
  source: { address: '192.168.0.20', port: 5060 },
  mac: '00304fa99948', brand: 'planet', model: 'VIP-2140PT', firmware: '2.0.3.2991',
};

export const YEALINK_COMPACT: PnpCapture = {
  name: 'Yealink T21 in compact header names (v f t i m o l), newer UA with MAC',
  lines: [
    'SUBSCRIBE sip:MAC805ec0123456@224.0.1.75 SIP/2.0',
    'v: SIP/2.0/UDP 10.1.3.240:5060;branch=z9hG4bK77;rport',
    'f: <sip:MAC805ec0123456@224.0.1.75>;tag=77',
    't: <sip:MAC805ec0123456@224.0.1.75>',
    'i: 77@10.1.3.240',
    'CSeq: 1 SUBSCRIBE',
    'm: <sip:MAC805ec0123456@10.1.3.240:5060>',
    'User-Agent: Yealink SIP-T53W 96.87.0.16 805ec0123456',
    'o: ua-profile;profile-type="device";vendor="Yealink";model="T53W";version="96.87.0.16"',
    'l: 0',
  ],
  source: { address: '10.1.3.240', port: 5060 },
  mac: '805ec0123456', brand: 'yealink', model: 'T53W', firmware: '96.87.0.16',
};

export const PANASONIC_VENDER: PnpCapture = {
  name: 'Panasonic (vender= misspelling, bare values, MAC%3a)',
  lines: [
    'SUBSCRIBE sip:MAC%3a0080f0aabbcc@224.0.1.75 SIP/2.0',
    'Via: SIP/2.0/UDP 192.168.0.31:5060',
    'From: <sip:MAC%3a0080f0aabbcc@224.0.1.75>;tag=31',
    'To: <sip:MAC%3a0080f0aabbcc@224.0.1.75>',
    'Call-ID: 31@192.168.0.31',
    'CSeq: 1 SUBSCRIBE',
    'Contact: <sip:192.168.0.31:5060>',
    'Event: ua-profile;profile-type=device;vender=Panasonic;model=KX-HDV130;version=PHDV130-05.100',
    'Content-Length: 0',
  ],
  source: { address: '192.168.0.31', port: 5060 },
  mac: '0080f0aabbcc', brand: 'panasonic', model: 'KX-HDV130', firmware: 'PHDV130-05.100',
};

export const FANVIL_GENERIC: PnpCapture = {
  name: 'Fanvil (MAC:, generic Event vendor/model: brand from OUI, model from User-Agent)',
  lines: [
    'SUBSCRIBE sip:MAC:0c383e63963b@224.0.1.75 SIP/2.0',
    'Via: SIP/2.0/UDP 192.168.0.40:5060;branch=z9hG4bK40',
    'From: <sip:MAC:0c383e63963b@224.0.1.75>;tag=40',
    'To: <sip:MAC:0c383e63963b@224.0.1.75>',
    'Call-ID: 40@192.168.0.40',
    'CSeq: 1 SUBSCRIBE',
    'Contact: <sip:192.168.0.40:5060>',
    'User-Agent: Fanvil X303 2.12.18.9 0c383e63963b',
    'Event: ua-profile;profile-type="device";vendor="Fanvil";model="VOIP PHONE";version="2.12.18.9"',
    'Content-Length: 0',
  ],
  source: { address: '192.168.0.40', port: 5060 },
  mac: '0c383e63963b', brand: 'fanvil', model: 'X303', firmware: '2.12.18.9',
};

export const ALL_CAPTURES: readonly PnpCapture[] = [
  YEALINK_W52P, GRANDSTREAM_GRP2612W, SNOM_720, AUDIOCODES_420HD, PLANET_VIP2140PT, YEALINK_COMPACT, PANASONIC_VENDER, FANVIL_GENERIC,
];
