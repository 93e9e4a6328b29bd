import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_REQUEST_POLICY, PROXY_REQUEST_POLICY, getHeaders, parseMessage, validateRequest, type RequestPolicy, type SipRequest } from '../../../src/sip/index.js';

const BASE: Record<string, string> = {
  Via: 'SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds',
  'Max-Forwards': '70',
  To: 'Bob <sip:bob@biloxi.com>',
  From: 'Alice <sip:alice@atlanta.com>;tag=1928301774',
  'Call-ID': 'a84b4c76e66710',
  CSeq: '314159 INVITE',
};

/** An INVITE built from BASE with headers replaced (null removes), extra lines added, and a body. */
function invite(change: Record<string, string | null> = {}, extra: string[] = [], body = '', startLine = 'INVITE sip:bob@biloxi.com SIP/2.0'): SipRequest {
  const lines = [startLine];
  for (const [name, value] of Object.entries({ ...BASE, ...change })) if (value !== null) lines.push(`${name}: ${value}`);
  lines.push(...extra, `Content-Length: ${Buffer.byteLength(body)}`, '', body);
  const m = parseMessage(Buffer.from(lines.join('\r\n')));
  assert.equal(m.kind, 'request');
  return m as SipRequest;
}

const UAS: RequestPolicy = { ...DEFAULT_REQUEST_POLICY, knownMethods: ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS'] };

test('a well-formed INVITE with SDP passes', () => {
  assert.equal(validateRequest(invite({}, ['Content-Type: application/sdp', 'Require: timer', 'Accept: application/sdp'], 'v=0\r\n'), UAS), undefined);
  assert.equal(validateRequest(invite({ Via: 'SIP/2.0/UDP old.example.com', 'Max-Forwards': null }), UAS), undefined, 'RFC 2543 sender without Max-Forwards');
});

/** Each malformation → the status (and headers) it is rejected with. */
const NEGATIVE: Array<[string, SipRequest, number, Array<[string, string]>?]> = [
  ['missing Call-ID', invite({ 'Call-ID': null }), 400],
  ['missing From', invite({ From: null }), 400],
  ['missing To', invite({ To: null }), 400],
  ['missing CSeq', invite({ CSeq: null }), 400],
  ['missing Via', invite({ Via: null }), 400],
  ['missing Max-Forwards from an RFC 3261 sender', invite({ 'Max-Forwards': null }), 400],
  ['two Call-IDs', invite({}, ['Call-ID: other']), 400],
  ['two To', invite({}, ['To: <sip:x@y>']), 400],
  ['two CSeq', invite({}, ['CSeq: 2 INVITE']), 400],
  ['two Max-Forwards', invite({}, ['Max-Forwards: 5']), 400],
  ['a Via that does not parse', invite({ Via: 'SIP/2.0/UDP 192.0.2.15;;' }), 400],
  ['a To with an open quote', invite({ To: '"Mr. J. User <sip:j.user@example.com>' }), 400],
  ['a From of *', invite({ From: '*' }), 400],
  ['a Contact with empty params', invite({}, ['Contact: "Joe" <sip:joe@example.org>;;;;']), 400],
  ['a Contact URI with ? outside <>', invite({}, ['Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E']), 400],
  ['Contact * in an INVITE', invite({}, ['Contact: *']), 400],
  ['Contact * with another Contact', invite({}, ['Contact: *', 'Contact: <sip:a@b>']), 400],
  ['a Route that does not parse', invite({}, ['Route: <sip:p1;lr']), 400],
  ['Max-Forwards 300', invite({ 'Max-Forwards': '300' }), 400],
  ['Expires overflow', invite({}, [`Expires: 1${'0'.repeat(40)}`]), 400],
  ['CSeq method differs (RFC 4475 mismatch01)', invite({ CSeq: '8 OPTIONS' }), 400],
  ['unknown method with CSeq mismatch (mismatch02)', invite({ CSeq: '8 INVITE' }, [], '', 'NEWMETHOD sip:bob@biloxi.com SIP/2.0'), 501],
  ['unknown method under a UAS policy', invite({ CSeq: '8 NEWMETHOD' }, [], '', 'NEWMETHOD sip:bob@biloxi.com SIP/2.0'), 501],
  ['registered method not implemented', invite({ CSeq: '8 SUBSCRIBE' }, [], '', 'SUBSCRIBE sip:bob@biloxi.com SIP/2.0'), 405, [['Allow', 'INVITE'], ['Allow', 'ACK'], ['Allow', 'BYE'], ['Allow', 'CANCEL'], ['Allow', 'OPTIONS']]],
  ['unknown URI scheme (unkscm)', invite({}, [], '', 'INVITE nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0'), 416],
  ['soap.beep scheme (novelsc)', invite({}, [], '', 'INVITE soap.beep://192.0.2.103:3002 SIP/2.0'), 416],
  ['Request-URI with headers (escruri)', invite({}, [], '', 'INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0'), 400],
  ['IPv6 Request-URI without brackets (ipv6-bad)', invite({}, [], '', 'INVITE sip:2001:db8::10 SIP/2.0'), 400],
  ['Max-Forwards 0 on an INVITE', invite({ 'Max-Forwards': '0' }), 483],
  ['an unknown Require (bext01)', invite({}, ['Require: nothingSupportsThis, timer']), 420, [['Unsupported', 'nothingSupportsThis']]],
  ['a body without Content-Type', invite({}, [], 'v=0'), 400],
  ['an unknown Content-Type (invut)', invite({}, ['Content-Type: application/unknownformat'], '<audio/>'), 415],
  ['an unknown Content-Encoding', invite({}, ['Content-Type: application/sdp', 'Content-Encoding: gzip'], 'v=0'), 415, [['Accept-Encoding', 'identity']]],
  ['an INVITE whose Accept excludes SDP (sdp01)', invite({}, ['Accept: text/nobodyKnowsThis']), 406],
];

for (const [name, req, status, headers] of NEGATIVE) {
  test(`validateRequest: ${name} → ${status}`, () => {
    const rejection = validateRequest(req, UAS);
    assert.ok(rejection !== undefined, 'rejected');
    assert.equal(rejection.status, status, rejection.reason);
    assert.ok(rejection.reason.length > 0);
    if (headers !== undefined) assert.deepEqual(rejection.headers.map((h) => [h.name, h.value]), headers);
  });
}

test('what passes: OPTIONS with Max-Forwards 0, Require in ACK/CANCEL, Accept wildcards, any method without knownMethods', () => {
  const options = invite({ CSeq: '1 OPTIONS', 'Max-Forwards': '0' }, [], '', 'OPTIONS sip:bob@biloxi.com SIP/2.0');
  assert.equal(validateRequest(options, UAS), undefined);
  const ack = invite({ CSeq: '314159 ACK' }, ['Require: nothingSupportsThis'], '', 'ACK sip:bob@biloxi.com SIP/2.0');
  assert.equal(validateRequest(ack, UAS), undefined);
  assert.equal(validateRequest(invite({}, ['Accept: application/*']), UAS), undefined);
  assert.equal(validateRequest(invite({}, ['Accept: */*']), UAS), undefined);
  const unknown = invite({ CSeq: '8 NEWMETHOD' }, [], '', 'NEWMETHOD sip:bob@biloxi.com SIP/2.0');
  assert.equal(validateRequest(unknown, DEFAULT_REQUEST_POLICY), undefined);
  const tel = invite({}, [], '', 'INVITE tel:+1-201-555-0123 SIP/2.0');
  assert.equal(validateRequest(tel, UAS), undefined);
  const unregister = invite({ CSeq: '2 REGISTER' }, ['Contact: *', 'Expires: 0'], '', 'REGISTER sip:biloxi.com SIP/2.0');
  assert.equal(validateRequest(unregister, { ...UAS, knownMethods: ['REGISTER'] }), undefined);
});

test('a 415 lists the accepted types in Accept', () => {
  const rejection = validateRequest(invite({}, ['Content-Type: application/unknownformat'], 'x'), { ...UAS, acceptedContentTypes: ['application/sdp', 'text/plain'] });
  assert.deepEqual(rejection?.headers, [{ name: 'Accept', value: 'application/sdp' }, { name: 'Accept', value: 'text/plain' }]);
  assert.deepEqual(getHeaders({ headers: rejection?.headers ?? [] }, 'Accept'), ['application/sdp', 'text/plain']);
});

test('as a proxy (RFC 3261 §16.3) a body of any type or encoding is relayed, Accept and Require are not checked, Proxy-Require is', () => {
  const unknownType = invite({}, ['Content-Type: application/unknownformat'], 'x');
  assert.equal(validateRequest(unknownType, DEFAULT_REQUEST_POLICY)?.status, 415);
  assert.equal(validateRequest(unknownType, PROXY_REQUEST_POLICY), undefined);
  const gzip = invite({}, ['Content-Type: application/sdp', 'Content-Encoding: gzip'], 'x');
  assert.equal(validateRequest(gzip, DEFAULT_REQUEST_POLICY)?.status, 415);
  assert.equal(validateRequest(gzip, PROXY_REQUEST_POLICY), undefined);
  const acceptsText = invite({}, ['Accept: text/plain']);
  assert.equal(validateRequest(acceptsText, DEFAULT_REQUEST_POLICY)?.status, 406);
  assert.equal(validateRequest(acceptsText, PROXY_REQUEST_POLICY), undefined);
  // Require is for the UAS (§8.2.2.3); a proxy checks Proxy-Require only (§16.3 step 5).
  const requires = invite({}, ['Require: nothingSupportsThis']);
  assert.equal(validateRequest(requires, DEFAULT_REQUEST_POLICY)?.status, 420);
  assert.equal(validateRequest(requires, PROXY_REQUEST_POLICY), undefined);
  const proxyRequires = validateRequest(invite({}, ['Proxy-Require: foo']), PROXY_REQUEST_POLICY);
  assert.equal(proxyRequires?.status, 420);
  assert.deepEqual(proxyRequires?.headers, [{ name: 'Unsupported', value: 'foo' }]);
  // The integrity checks stay: a proxy still refuses what it cannot route or match.
  assert.equal(validateRequest(invite({ 'Call-ID': null }), PROXY_REQUEST_POLICY)?.status, 400);
});
