import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipParseError, SipSerializeError, getHeader, getHeaders, parseMessage, serializeMessage, type SipRequest } from '../../../src/sip/index.js';

const LINES = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Content-Type: text/plain',
];

const BASE: SipRequest = { kind: 'request', method: 'OPTIONS', uri: 'sip:x@y', version: 'SIP/2.0', headers: [], body: Buffer.alloc(0) };

function message(lines: readonly string[], body = 'hello', contentLength: string | null = String(Buffer.byteLength(body))): Buffer {
  const head = contentLength === null ? lines : [...lines, `Content-Length: ${contentLength}`];
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}`);
}

test('a plain request parses into method, URI, headers in order and body', () => {
  const m = parseMessage(message(LINES));
  assert.equal(m.kind, 'request');
  const req = m as SipRequest;
  assert.equal(req.method, 'INVITE');
  assert.equal(req.uri, 'sip:bob@biloxi.example.com');
  assert.equal(req.version, 'SIP/2.0');
  assert.deepEqual(req.headers.map((h) => h.name), ['Via', 'Max-Forwards', 'To', 'From', 'Call-ID', 'CSeq', 'Content-Type', 'Content-Length']);
  assert.equal(req.body.toString(), 'hello');
});

test('compact forms and any case map to canonical names; comma lists become one entry per value', () => {
  const m = parseMessage(message(['OPTIONS sip:x@y SIP/2.0', 'v: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/TCP b;branch=z9hG4bK2', 'i: abc', 'cAlL-iD: def', 'm: <sip:a@b>, "x, y" <sip:c@d>', 'x-custom: 1, 2', 'Date: Sat, 13 Nov 2010 23:29:00 GMT'], ''));
  assert.deepEqual(getHeaders(m, 'Via'), ['SIP/2.0/UDP a;branch=z9hG4bK1', 'SIP/2.0/TCP b;branch=z9hG4bK2']);
  assert.deepEqual(getHeaders(m, 'Call-ID'), ['abc', 'def']);
  assert.deepEqual(getHeaders(m, 'Contact'), ['<sip:a@b>', '"x, y" <sip:c@d>']);
  assert.deepEqual(m.headers.find((h) => h.name === 'x-custom'), { name: 'x-custom', value: '1, 2' });
  assert.equal(getHeader(m, 'Date'), 'Sat, 13 Nov 2010 23:29:00 GMT');
});

test('folded lines are unfolded with one space; leading CRLFs are skipped; bare LF line ends are accepted', () => {
  const folded = parseMessage(Buffer.from('\r\n\r\nOPTIONS sip:x@y SIP/2.0\r\nSubject: one\r\n   two\r\n\tthree\r\nl: 0\r\n\r\n'));
  assert.equal(getHeader(folded, 'Subject'), 'one two three');
  const lf = parseMessage(Buffer.from('OPTIONS sip:x@y SIP/2.0\nSubject: a\nContent-Length: 2\n\nhi'));
  assert.equal(getHeader(lf, 'Subject'), 'a');
  assert.equal(lf.body.toString(), 'hi');
});

test('UDP: without Content-Length the body runs to the end; extra bytes after the body are ignored', () => {
  assert.equal(parseMessage(message(LINES, 'whole rest', null)).body.toString(), 'whole rest');
  assert.equal(parseMessage(message(LINES, 'hello and more', '5')).body.toString(), 'hello');
  assert.equal(parseMessage(message(LINES, 'hello', '5'), { stream: true }).body.toString(), 'hello');
});

test('a response with UTF-8 reason phrase, and one without a reason', () => {
  const ok = parseMessage(Buffer.from('SIP/2.0 200 Très bien\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n'));
  assert.equal(ok.kind === 'response' && ok.reason, 'Très bien');
  const bare = parseMessage(Buffer.from('SIP/2.0 180\r\nContent-Length: 0\r\n\r\n'));
  assert.deepEqual(bare.kind === 'response' && [bare.status, bare.reason], [180, '']);
});

test('a UTF-8 display name that ends in a byte 0xA0 is not trimmed', () => {
  const m = parseMessage(Buffer.from('OPTIONS sip:x@y SIP/2.0\r\nFrom: "à" <sip:a@b>;tag=1\r\nX-A: à\r\nl: 0\r\n\r\n'));
  assert.equal(getHeader(m, 'From'), '"à" <sip:a@b>;tag=1');
  assert.equal(getHeader(m, 'X-A'), 'à');
});

/** Each malformation → the status it is answered with ('drop' for a response, never answered). */
const NEGATIVE: Array<[string, Buffer, number | 'drop']> = [
  ['empty datagram', Buffer.alloc(0), 400],
  ['start line only, no line end', Buffer.from('INVITE sip:x@y SIP/2.0'), 400],
  ['two-part request line', message(['INVITE sip:x@y', ...LINES.slice(1)]), 400],
  ['space inside the Request-URI', message(['INVITE sip:x@y; lr SIP/2.0', ...LINES.slice(1)]), 400],
  ['Request-URI in <>', message(['INVITE <sip:x@y> SIP/2.0', ...LINES.slice(1)]), 400],
  ['method that is not a token', message(['INV(ITE sip:x@y SIP/2.0', ...LINES.slice(1)]), 400],
  ['SIP/7.0 request', message(['INVITE sip:x@y SIP/7.0', ...LINES.slice(1)]), 505],
  ['HTTP request', message(['GET / HTTP/1.1', ...LINES.slice(1)]), 400],
  ['header without colon', message([...LINES, 'Foobar roobar']), 400],
  ['header name with a space', message([...LINES, 'Foo bar: x']), 400],
  ['empty header name', message([...LINES, ': x']), 400],
  ['continuation before any header', message([LINES[0] ?? '', ' folded', ...LINES.slice(1)]), 400],
  ['bare CR in a header', message([...LINES, 'X-A: a\rb']), 400],
  ['negative Content-Length', message(LINES, 'hello', '-5'), 400],
  ['Content-Length not a number', message(LINES, 'hello', '5x'), 400],
  ['Content-Length beyond the datagram', message(LINES, 'hello', '9999'), 400],
  ['two Content-Length', message([...LINES, 'Content-Length: 5'], 'hello'), 400],
  ['CSeq above 2**31-1', message([...LINES.slice(0, 6), 'CSeq: 2147483648 INVITE', 'Content-Type: text/plain']), 400],
  ['CSeq without method', message([...LINES.slice(0, 6), 'CSeq: 1', 'Content-Type: text/plain']), 400],
  ['status code with 4 digits', Buffer.from('SIP/2.0 2000 OK\r\nl: 0\r\n\r\n'), 'drop'],
  ['status code 4294967301', Buffer.from('SIP/2.0 4294967301 no\r\nl: 0\r\n\r\n'), 'drop'],
  ['status code 099', Buffer.from('SIP/2.0 099 no\r\nl: 0\r\n\r\n'), 'drop'],
  ['response SIP/3.0', Buffer.from('SIP/3.0 200 OK\r\nl: 0\r\n\r\n'), 'drop'],
  ['response with CSeq overflow', Buffer.from('SIP/2.0 200 OK\r\nCSeq: 99999999999999 OPTIONS\r\nl: 0\r\n\r\n'), 'drop'],
  ['response with short body', Buffer.from('SIP/2.0 200 OK\r\nl: 10\r\n\r\nabc'), 'drop'],
];

for (const [name, bytes, expected] of NEGATIVE) {
  test(`parseMessage rejects ${name} → ${expected}`, () => {
    assert.throws(
      () => parseMessage(bytes),
      (e: unknown) =>
        e instanceof SipParseError &&
        e.code === 'SBC_ERR_SIP_PARSE' &&
        (expected === 'drop' ? e.isResponse : !e.isResponse && e.status === expected) &&
        e.at >= 0 &&
        e.at <= bytes.length,
    );
  });
}

test('stream: Content-Length is mandatory', () => {
  assert.throws(() => parseMessage(message(LINES, 'hello', null), { stream: true }), (e: unknown) => e instanceof SipParseError && e.status === 400);
});

test('an error found after the headers carries the request so far, to answer it', () => {
  assert.throws(
    () => parseMessage(message(['INVITE sip:x@y SIP/7.0', ...LINES.slice(1)])),
    (e: unknown) => e instanceof SipParseError && e.status === 505 && e.request !== undefined && getHeader(e.request, 'Call-ID') === 'a84b4c76e66710@pc33.atlanta.example.com',
  );
});

test('serializeMessage writes canonical names, one value per line and Content-Length last', () => {
  const m = parseMessage(Buffer.from('OPTIONS sip:x@y SIP/2.0\r\nv: SIP/2.0/UDP a, SIP/2.0/UDP b\r\nl: 3\r\ni: c\r\nx-Custom: 1\r\n\r\nabc'));
  assert.equal(serializeMessage(m).toString(), 'OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP a\r\nVia: SIP/2.0/UDP b\r\nCall-ID: c\r\nx-Custom: 1\r\nContent-Length: 3\r\n\r\nabc');
});

const UNWRITABLE: Array<[string, SipRequest]> = [
  ['a header name with a space', { ...BASE, headers: [{ name: 'X Y', value: '1' }] }],
  ['a CRLF in a value (header injection)', { ...BASE, headers: [{ name: 'Subject', value: 'a\r\nVia: evil' }] }],
  ['a method that is not a token', { ...BASE, method: 'IN VITE' }],
  ['a Request-URI with a space', { ...BASE, uri: 'sip:a b' }],
];

for (const [name, msg] of UNWRITABLE) {
  test(`serializeMessage refuses ${name}`, () => {
    assert.throws(() => serializeMessage(msg), (e: unknown) => e instanceof SipSerializeError && e.code === 'SBC_ERR_SIP_SERIALIZE');
  });
}
