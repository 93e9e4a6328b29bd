import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildResponse, getHeader, getHeaders, parseMessage, parseNameAddr, reasonPhrase, serializeMessage, type SipRequest } from '../../../src/sip/index.js';

function request(method: string, to = 'Bob <sip:bob@biloxi.com>', extra: string[] = []): SipRequest {
  const m = parseMessage(
    Buffer.from(
      [
        `${method} sip:bob@biloxi.com SIP/2.0`,
        'Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK2, SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK1;received=192.0.2.1',
        'Max-Forwards: 69',
        `To: ${to}`,
        'From: Alice <sip:alice@atlanta.com>;tag=1928301774',
        'Call-ID: a84b4c76e66710',
        `CSeq: 314159 ${method}`,
        'Record-Route: <sip:proxy.example.com;lr>',
        'Contact: <sip:alice@pc33.atlanta.com>',
        ...extra,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    ),
  );
  assert.equal(m.kind, 'request');
  return m as SipRequest;
}

test('buildResponse copies Via (all, in order), From, To, Call-ID, CSeq and adds the given To tag', () => {
  const res = buildResponse(request('INVITE'), 486, undefined, [{ name: 'Retry-After', value: '60' }], undefined, { toTag: 'xyz' });
  assert.equal(res.status, 486);
  assert.equal(res.reason, 'Busy Here');
  assert.deepEqual(getHeaders(res, 'Via'), ['SIP/2.0/UDP proxy.example.com;branch=z9hG4bK2', 'SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK1;received=192.0.2.1']);
  assert.equal(getHeader(res, 'From'), 'Alice <sip:alice@atlanta.com>;tag=1928301774');
  assert.equal(getHeader(res, 'To'), 'Bob <sip:bob@biloxi.com>;tag=xyz');
  assert.equal(getHeader(res, 'Call-ID'), 'a84b4c76e66710');
  assert.equal(getHeader(res, 'CSeq'), '314159 INVITE');
  assert.equal(getHeader(res, 'Retry-After'), '60');
  assert.equal(getHeader(res, 'Record-Route'), undefined, 'no Record-Route in a 486');
  assert.equal(getHeader(res, 'Contact'), undefined);
  const wire = parseMessage(serializeMessage(res));
  assert.equal(getHeader(wire, 'Content-Length'), '0');
});

test('100 Trying gets no To tag and echoes Timestamp; an existing tag is kept; a tag is generated when none is given', () => {
  const trying = buildResponse(request('INVITE', 'Bob <sip:bob@biloxi.com>', ['Timestamp: 54']), 100);
  assert.equal(getHeader(trying, 'To'), 'Bob <sip:bob@biloxi.com>');
  assert.equal(getHeader(trying, 'Timestamp'), '54');
  assert.equal(getHeader(buildResponse(request('BYE', '<sip:bob@biloxi.com>;tag=old'), 200, undefined, [], undefined, { toTag: 'new' }), 'To'), '<sip:bob@biloxi.com>;tag=old');
  const generated = parseNameAddr(getHeader(buildResponse(request('OPTIONS'), 200), 'To') ?? '').params.get('tag') ?? '';
  assert.match(generated, /^[0-9a-f]{12}$/);
});

test('Record-Route is copied into 18x and 2xx to dialog-creating requests only (RFC 3261 §12.1.1)', () => {
  const rr = (method: string, status: number) => getHeaders(buildResponse(request(method), status, undefined, [], undefined, { toTag: 't' }), 'Record-Route');
  assert.deepEqual(rr('INVITE', 180), ['<sip:proxy.example.com;lr>']);
  assert.deepEqual(rr('INVITE', 200), ['<sip:proxy.example.com;lr>']);
  assert.deepEqual(rr('SUBSCRIBE', 202), ['<sip:proxy.example.com;lr>']);
  assert.deepEqual(rr('INVITE', 100), []);
  assert.deepEqual(rr('INVITE', 404), []);
  assert.deepEqual(rr('OPTIONS', 200), []);
});

test('a body and a reason phrase of our choice', () => {
  const res = buildResponse(request('OPTIONS'), 200, 'Fine', [{ name: 'Content-Type', value: 'text/plain' }], Buffer.from('hi'), { toTag: 't' });
  assert.equal(res.reason, 'Fine');
  assert.equal(parseMessage(serializeMessage(res)).body.toString(), 'hi');
});

test('reasonPhrase: the RFC phrases, and the class name for unregistered codes', () => {
  assert.equal(reasonPhrase(200), 'OK');
  assert.equal(reasonPhrase(416), 'Unsupported URI Scheme');
  assert.equal(reasonPhrase(420), 'Bad Extension');
  assert.equal(reasonPhrase(483), 'Too Many Hops');
  assert.equal(reasonPhrase(505), 'Version Not Supported');
  assert.equal(reasonPhrase(299), 'Success');
  assert.equal(reasonPhrase(499), 'Client Error');
});
