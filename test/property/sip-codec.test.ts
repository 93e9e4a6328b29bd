/**
 * Properties of the SIP codec: generated messages round-trip through serialize → parse; any
 * bytes (random or mutated torture messages) make parseMessage return or throw SipParseError,
 * and whatever parses is written and read back unchanged; the stream framer yields the same
 * messages however the stream is chunked; URIs, Vias and name-addrs round-trip through format.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DEFAULT_REQUEST_POLICY,
  SipParseError,
  SipStreamFramer,
  formatNameAddr,
  formatUri,
  formatVia,
  parseMessage,
  parseCSeq,
  parseNameAddr,
  parseUri,
  parseVia,
  serializeMessage,
  splitHeaderValues,
  topVia,
  validateRequest,
  withoutHeader,
  type FramerEvent,
  type NameAddr,
  type SipHeader,
  type SipMessage,
  type SipUri,
  type Via,
} from '../../src/sip/index.js';
import { listTortureFiles, tortureWireBytes } from '../support/torture-expectations.js';

/** Records with Object.prototype, as the parsers build them (deepStrictEqual compares prototypes). */
const PLAIN = { noNullPrototype: true } as const;
const TOKEN_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~'.split('');
const token = (max = 12) => fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: max });
const lowerAlnum = (max = 10) => fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split('')), minLength: 1, maxLength: max });

/** A header value as the parser gives it back: no CR/LF, no leading or trailing SP/HT. */
const headerValue = fc
  .string({ unit: 'binary', maxLength: 40 })
  .map((s) => s.replace(/[\r\n]/g, '').replace(/^[ \t]+|[ \t]+$/g, ''));
const listElement = headerValue.map((s) => s.replace(/[,"<>]/g, '').replace(/^[ \t]+|[ \t]+$/g, '')).filter((s) => s.length > 0);

const header: fc.Arbitrary<SipHeader> = fc.oneof(
  fc.record({ name: token(16).map((t) => `X-${t}`), value: headerValue }, PLAIN),
  fc.record({ name: fc.constantFrom('Call-ID', 'From', 'To', 'Subject', 'User-Agent', 'Date', 'WWW-Authenticate'), value: headerValue }, PLAIN),
  fc.record({ name: fc.constantFrom('Via', 'Contact', 'Route', 'Supported', 'Allow'), value: listElement }, PLAIN),
  fc.record({ name: fc.constant('CSeq'), value: fc.tuple(fc.integer({ min: 0, max: 2 ** 31 - 1 }), token()).map(([n, m]) => `${n} ${m}`) }, PLAIN),
);

const host = fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6());

const sipUri: fc.Arbitrary<SipUri> = fc.record({
  kind: fc.constant('sip' as const),
  scheme: fc.constantFrom('sip' as const, 'sips' as const),
  user: fc.option(fc.oneof(lowerAlnum(), fc.constantFrom('%75se%72', '+1-212-555-1212', 'user;par=u%40example.net', "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")), { nil: undefined }),
  password: fc.constant(undefined),
  host,
  port: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
  params: fc.array(fc.tuple(lowerAlnum(), fc.option(lowerAlnum(), { nil: undefined }))).map((pairs) => new Map(pairs)),
  headers: fc.array(fc.tuple(lowerAlnum(), fc.string({ unit: fc.constantFrom(...'abcXYZ019%-_.'.split('')), maxLength: 8 }))).map((pairs) => new Map(pairs)),
}, PLAIN);

const message: fc.Arbitrary<SipMessage> = fc.oneof(
  fc.record({
    kind: fc.constant('request' as const),
    method: token(),
    uri: fc.oneof(sipUri.map(formatUri), fc.constantFrom('tel:+1-201-555-0123', 'urn:service:sos', 'isbn:2983792873')),
    version: fc.constant('SIP/2.0'),
    headers: fc.array(header, { maxLength: 12 }),
    body: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  }, PLAIN),
  fc.record({
    kind: fc.constant('response' as const),
    status: fc.integer({ min: 100, max: 699 }),
    reason: headerValue,
    version: fc.constant('SIP/2.0'),
    headers: fc.array(header, { maxLength: 12 }),
    body: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  }, PLAIN),
);

function withContentLength(msg: SipMessage): SipMessage {
  return { ...msg, headers: [...withoutHeader(msg.headers, 'Content-Length'), { name: 'Content-Length', value: String(msg.body.length) }] };
}

test('generated messages round-trip through serialize → parse (UDP and stream)', () => {
  fc.assert(
    fc.property(message, (msg) => {
      const wire = serializeMessage(msg);
      assert.deepEqual(parseMessage(wire), withContentLength(msg));
      assert.deepEqual(parseMessage(wire, { stream: true }), withContentLength(msg));
    }),
    { numRuns: 300 },
  );
});

function mayThrowParseError(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SipParseError, `unexpected ${String(error)}`);
  }
}

/** Parses; if it parses, checks the helpers and that writing it gives a message that reads back the same. */
function parseAnything(bytes: Buffer): void {
  mayThrowParseError(() => parseMessage(bytes, { stream: true }));
  let msg: SipMessage;
  try {
    msg = parseMessage(bytes);
  } catch (error) {
    assert.ok(error instanceof SipParseError, `unexpected ${String(error)}`);
    assert.ok(error.at >= 0 && error.at <= bytes.length, `offset ${error.at} inside the input`);
    return;
  }
  if (msg.kind === 'request') validateRequest(msg, DEFAULT_REQUEST_POLICY);
  mayThrowParseError(() => topVia(msg));
  const again = parseMessage(serializeMessage(msg));
  assert.deepEqual(again, withContentLength(msg));
}

test('arbitrary bytes: parseMessage returns or throws SipParseError only', () => {
  const sipish = fc
    .array(fc.constantFrom('INVITE ', 'SIP/2.0', ' 200 ', 'sip:a@b', '\r\n', '\n', '\r', ': ', ' ', 'Via', 'l', 'Content-Length', '0', '5', '-', ',', ';', '"', '<', '>', '\t', 'x', '\u00e9', '\0'), { maxLength: 40 })
    .map((parts) => Buffer.from(parts.join('')));
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)), sipish), parseAnything), { numRuns: 2000 });
});

test('mutated torture messages: parseMessage returns or throws SipParseError only', () => {
  const seeds = listTortureFiles().map(tortureWireBytes);
  const mutation = fc.record({
    seed: fc.nat(seeds.length - 1),
    edits: fc.array(fc.tuple(fc.constantFrom('set', 'insert', 'delete', 'truncate'), fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
  });
  fc.assert(
    fc.property(mutation, ({ seed, edits }) => {
      const bytes = [...(seeds[seed] ?? Buffer.alloc(0))];
      for (const [op, where, value] of edits) {
        const at = bytes.length === 0 ? 0 : where % bytes.length;
        if (op === 'set') bytes[at] = value;
        else if (op === 'insert') bytes.splice(at, 0, value);
        else if (op === 'delete') bytes.splice(at, 1);
        else bytes.length = at;
      }
      parseAnything(Buffer.from(bytes));
    }),
    { numRuns: 1500 },
  );
});

test('header helpers on arbitrary text return or throw SipParseError only', () => {
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.array(fc.constantFrom('SIP', '/', '2.0', 'UDP', ' ', ';', '=', 'branch', '"', '\\', '<', '>', 'sip:', '@', ':', '[', ']', '::1', 'h', '5060', ',', '?', '&', '%', '*', 'tag'), { maxLength: 30 }).map((p) => p.join('')),
  );
  fc.assert(
    fc.property(text, (value) => {
      mayThrowParseError(() => parseVia(value));
      mayThrowParseError(() => parseNameAddr(value));
      mayThrowParseError(() => parseUri(value));
      mayThrowParseError(() => parseCSeq(value));
      assert.ok(splitHeaderValues('Contact', value).length >= 1);
    }),
    { numRuns: 2000 },
  );
});

test('the framer yields the same messages however the stream is chunked, pings and pongs included', () => {
  const keepAlive = fc.constantFrom('\r\n\r\n', '\r\n', '');
  const stream = fc.array(fc.tuple(keepAlive, message), { minLength: 1, maxLength: 5 });
  fc.assert(
    fc.property(stream, fc.array(fc.nat(), { maxLength: 12 }), (items, cuts) => {
      const wires = items.map(([, msg]) => serializeMessage(msg));
      const all = Buffer.concat(items.flatMap(([ka], i) => [Buffer.from(ka), wires[i] ?? Buffer.alloc(0)]));
      const whole = new SipStreamFramer({ maxMessageSize: 1 << 20 }).push(all);
      assert.deepEqual(whole.filter((e) => e.type === 'message').map((e) => (e as { bytes: Buffer }).bytes), wires);
      const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
      const framer = new SipStreamFramer({ maxMessageSize: 1 << 20 });
      const chunked: FramerEvent[] = [];
      let from = 0;
      for (const to of [...points, all.length]) {
        chunked.push(...framer.push(all.subarray(from, to)));
        from = to;
      }
      const withoutPongs = (events: FramerEvent[]) => events.filter((e) => e.type !== 'pong');
      assert.deepEqual(withoutPongs(chunked), withoutPongs(whole));
      assert.ok(chunked.filter((e) => e.type === 'pong').length >= whole.filter((e) => e.type === 'pong').length);
      assert.equal(framer.buffered, 0);
      for (const e of chunked) if (e.type === 'message') parseMessage(e.bytes, { stream: true });
    }),
    { numRuns: 300 },
  );
});

test('SIP URIs round-trip through format → parse', () => {
  fc.assert(
    fc.property(sipUri, (uri) => {
      const text = formatUri(uri);
      assert.deepEqual(parseUri(text), uri);
      assert.equal(formatUri(parseUri(text)), text);
    }),
    { numRuns: 500 },
  );
});

test('Vias round-trip through format → parse', () => {
  const via: fc.Arbitrary<Via> = fc.record({
    protocol: fc.constant('SIP/2.0'),
    transport: fc.oneof(fc.constantFrom('UDP', 'TCP', 'TLS', 'SCTP', 'WS', 'WSS'), token(6).map((t) => t.toUpperCase())),
    host,
    port: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
    params: fc
      .array(fc.tuple(token(8).map((t) => t.toLowerCase()), fc.option(fc.oneof(token(16), fc.ipV6().map((a) => `[${a}]`), fc.constant('"quoted; value"')), { nil: undefined })), { maxLength: 4 })
      .map((pairs) => new Map(pairs)),
  }, PLAIN);
  fc.assert(
    fc.property(via, (v) => {
      assert.deepEqual(parseVia(formatVia(v)), v);
    }),
    { numRuns: 500 },
  );
});

test('name-addrs round-trip through format → parse', () => {
  const nameAddr: fc.Arbitrary<NameAddr> = fc.record({
    displayName: fc.option(headerValue, { nil: undefined }),
    uri: fc.oneof(sipUri.map(formatUri), fc.constantFrom('tel:+1-201-555-0123', 'urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6')),
    params: fc.array(fc.tuple(token(8).map((t) => t.toLowerCase()), fc.option(token(12), { nil: undefined })), { maxLength: 4 }).map((pairs) => new Map(pairs)),
  }, PLAIN);
  fc.assert(
    fc.property(nameAddr, (na) => {
      assert.deepEqual(parseNameAddr(formatNameAddr(na)), na);
    }),
    { numRuns: 500 },
  );
});
