import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SdpParseError, parseSdp, serializeSdp, type SdpAttribute, type SdpField, type SdpMedia, type SessionDescription } from '../../src/sdp/index.js';

const token = fc.stringMatching(/^[A-Za-z0-9+/._-]{1,12}$/);
const text = fc.stringMatching(/^[ -~]{0,30}$/).filter((s) => s.trim() !== '' && s === s.replace(/\r|\n/g, ''));
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const ipv6 = fc.ipV6();
const connection = fc.oneof(
  ipv4.map((address) => ({ netType: 'IN', addrType: 'IP4', address })),
  ipv6.map((address) => ({ netType: 'IN', addrType: 'IP6', address })),
);
const attribute: fc.Arbitrary<SdpAttribute> = fc.record({
  name: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
  value: fc.option(fc.stringMatching(/^[ -~]{0,40}$/), { nil: undefined }),
});
const field = (types: string[]): fc.Arbitrary<SdpField> => fc.record({ type: fc.constantFrom(...types), value: text });

// Generated in the order serializeSdp writes (RFC 8866 §5), so a round trip is the identity.
function ordered(fields: SdpField[], order: string): SdpField[] {
  const rank = (t: string): number => (order.includes(t) ? order.indexOf(t) : order.length);
  return [...fields].sort((a, b) => rank(a.type) - rank(b.type));
}

const media: fc.Arbitrary<SdpMedia> = fc.record({
  media: fc.constantFrom('audio', 'video', 'image', 'application'),
  port: fc.nat(65535),
  portCount: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
  proto: fc.constantFrom('RTP/AVP', 'RTP/SAVP', 'udptl', 'RTP/SAVPF'),
  formats: fc.array(fc.nat(127).map(String), { maxLength: 6 }),
  connections: fc.array(connection, { maxLength: 2 }),
  fields: fc.array(field(['i', 'b', 'k', 'y']), { maxLength: 3 }).map((f) => ordered(f, 'ibk')),
  attributes: fc.array(attribute, { maxLength: 6 }),
});

const session: fc.Arbitrary<SessionDescription> = fc.record({
  version: fc.constant(0),
  origin: fc.record({
    username: token,
    sessionId: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
    sessionVersion: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    netType: fc.constant('IN'),
    addrType: fc.constant('IP4'),
    address: ipv4,
  }),
  sessionName: text,
  connection: fc.option(connection, { nil: undefined }),
  fields: fc
    .tuple(fc.array(field(['i', 'u', 'e', 'p', 'b', 'z', 'k', 'x']), { maxLength: 4 }), fc.constantFrom('0 0', '2873397496 2873404696'))
    .map(([f, t]) => ordered([...f, { type: 't', value: t }], 'iuepbtzk')),
  attributes: fc.array(attribute, { maxLength: 4 }),
  media: fc.array(media, { maxLength: 4 }),
});

test('parseSdp(serializeSdp(sd)) is sd for any normalised description', () => {
  fc.assert(
    fc.property(session, (sd) => {
      // structuredClone: fast-check records have a null prototype, parsed ones do not.
      assert.deepEqual(parseSdp(serializeSdp(sd)), structuredClone(sd));
    }),
    { numRuns: 300 },
  );
});

test('LF or CRLF line ends parse the same', () => {
  fc.assert(
    fc.property(session, (sd) => {
      const crlf = serializeSdp(sd);
      assert.deepEqual(parseSdp(crlf.replace(/\r\n/g, '\n')), parseSdp(crlf));
    }),
    { numRuns: 100 },
  );
});

test('parseSdp throws nothing but SdpParseError on arbitrary input', () => {
  const line = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('v=0', 'o=- 1 1 IN IP4 1.2.3.4', 's=-', 't=0 0', 'm=audio 1 RTP/AVP 0', 'c=IN IP6 ::1', 'a=rtcp:9'));
  fc.assert(
    fc.property(fc.array(line, { maxLength: 12 }), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
      try {
        const sd = parseSdp(lines.join(eol));
        assert.equal(serializeSdp(parseSdp(serializeSdp(sd))), serializeSdp(sd));
      } catch (error) {
        assert.ok(error instanceof SdpParseError, `unexpected ${String(error)}`);
      }
    }),
    { numRuns: 500 },
  );
});
