import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SdpParseError,
  attributeValues,
  isOnHold,
  mediaConnection,
  mediaDirection,
  parseSdp,
  rewriteSdp,
  rtcpAttribute,
  rtpMaps,
  serializeSdp,
  telephoneEventPayloadType,
  SDP_MAX_BYTES,
} from '../../../src/sdp/index.js';
import { SDP_VECTORS } from './sdp-vectors.js';

for (const v of SDP_VECTORS) {
  test(`SDP vector parses with the expected facts: ${v.name}`, () => {
    const sd = parseSdp(v.text);
    assert.equal(sd.origin.sessionVersion, v.sessionVersion);
    assert.equal(sd.origin.address, v.originAddress);
    assert.equal(sd.media.length, v.media.length);
    v.media.forEach((facts, i) => {
      const m = sd.media[i];
      assert.ok(m !== undefined);
      assert.deepEqual(
        {
          media: m.media,
          port: m.port,
          proto: m.proto,
          formats: m.formats,
          address: mediaConnection(sd, i)?.address,
          direction: mediaDirection(sd, i),
          onHold: isOnHold(sd, i),
          encodings: rtpMaps(m).map((r) => r.encodingName),
          telephoneEvent: telephoneEventPayloadType(m),
          rtcpPort: rtcpAttribute(m)?.port,
          crypto: attributeValues(m.attributes, 'crypto').length,
          candidates: attributeValues(m.attributes, 'candidate').length,
        },
        facts,
        `media ${i}`,
      );
    });
  });

  test(`SDP vector anchors to the exact expected text: ${v.name}`, () => {
    const out = serializeSdp(rewriteSdp(parseSdp(v.text), v.plan));
    assert.deepEqual(out.split('\r\n'), [...v.rewritten, '']);
  });

  test(`SDP vector re-serializes to a fixed point: ${v.name}`, () => {
    const once = serializeSdp(parseSdp(v.text));
    assert.equal(serializeSdp(parseSdp(once)), once);
    assert.deepEqual(parseSdp(once), parseSdp(v.text));
    assert.ok(!/(^|[^\r])\n/.test(once), 'every line ends with CRLF');
  });
}

test('a=crypto lines come out byte for byte, whatever they contain', () => {
  const crypto = 'a=crypto:7 AES_256_CM_HMAC_SHA1_80 inline:  odd:spacing|2^31 |1:4  UNENCRYPTED_SRTCP ';
  const text = ['v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', 'c=IN IP4 10.0.0.1', 't=0 0', 'm=audio 4000 RTP/SAVP 0', crypto, ''].join('\r\n');
  const out = serializeSdp(rewriteSdp(parseSdp(text), { media: [{ address: '198.51.100.1', port: 5000 }] }));
  assert.ok(out.split('\r\n').includes(crypto));
});

const NEGATIVE: Array<[string, string, number, RegExp]> = [
  ['empty body', '', 0, /empty/],
  ['only blank lines', '\r\n\r\n', 0, /empty/],
  ['first line is not v=', 'o=- 1 1 IN IP4 1.2.3.4\r\nv=0\r\n', 1, /not v=/],
  ['version 1', 'v=1\r\n', 1, /version 0/],
  ['line without =', 'v=0\r\nhello\r\n', 2, /not <type>=<value>/],
  ['two-letter type', 'v=0\r\nab=1\r\n', 2, /not <type>=<value>/],
  ['o= with five fields', 'v=0\r\no=- 1 1 IN IP4\r\ns=-\r\nt=0 0\r\n', 2, /6 fields/],
  ['o= version not numeric', 'v=0\r\no=- 1 x IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n', 2, /sess-version/],
  ['o= sess-id not numeric', 'v=0\r\no=- id 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n', 2, /sess-id/],
  ['no o=', 'v=0\r\ns=-\r\nt=0 0\r\n', 0, /no o=/],
  ['no s=', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nt=0 0\r\n', 0, /no s=/],
  ['no t=', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n', 0, /no t=/],
  ['second o=', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\no=- 1 1 IN IP4 1.2.3.4\r\n', 3, /o= repeated/],
  ['second v=', 'v=0\r\nv=0\r\n', 2, /second v=/],
  ['second session c=', 'v=0\r\nc=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.5\r\n', 3, /second session-level c=/],
  ['c= with two fields', 'v=0\r\nc=IN IP4\r\n', 2, /3 fields/],
  ['c= IPv4 out of range', 'v=0\r\nc=IN IP4 300.1.1.1\r\n', 2, /not an IPv4/],
  ['c= IP6 with an IPv4 address', 'v=0\r\nc=IN IP6 1.2.3.4\r\n', 2, /not an IPv6/],
  ['c= unknown address type', 'v=0\r\nc=IN IPX 1.2.3.4\r\n', 2, /neither IP4 nor IP6/],
  ['m= port not numeric', 'v=0\r\nm=audio x RTP/AVP 0\r\n', 2, /not a port/],
  ['m= port above 65535', 'v=0\r\nm=audio 70000 RTP/AVP 0\r\n', 2, /above 65535/],
  ['m= with two fields', 'v=0\r\nm=audio 4000\r\n', 2, /at least 3/],
  ['m= port count 0', 'v=0\r\nm=audio 4000/0 RTP/AVP 0\r\n', 2, /number of ports/],
  ['s= inside a media section', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 0\r\ns=-\r\n', 4, /s= repeated or inside/],
  ['attribute without a name', 'v=0\r\na=:x\r\n', 2, /without a name/],
  ['NUL byte', 'v=0\r\ns=a\0b\r\n', 0, /NUL/],
  ['larger than the limit', 'v=0\r\n' + `a=x:${'y'.repeat(SDP_MAX_BYTES)}\r\n`, 0, /exceeds/],
];

for (const [name, text, line, reason] of NEGATIVE) {
  test(`parseSdp rejects: ${name}`, () => {
    assert.throws(
      () => parseSdp(text),
      (e: unknown) => e instanceof SdpParseError && e.code === 'SBC_ERR_SDP_PARSE' && e.line === line && reason.test(e.reason),
    );
  });
}

test('parseSdp takes a Buffer as well as a string', () => {
  const v = SDP_VECTORS[0];
  assert.ok(v !== undefined);
  assert.deepEqual(parseSdp(Buffer.from(v.text)), parseSdp(v.text));
});
