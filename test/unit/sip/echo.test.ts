/**
 * The hub's SIP echo codec (src/sip/echo.ts): an OPTIONS comes back in a 200 with its bytes as
 * received (base64) and its source; anything else is dropped unanswered; the doctor side reads it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, readSipEcho, sipEchoAnswer, SIP_ECHO_CONTENT_TYPE, SIP_ECHO_MAX_REQUEST_BYTES, getHeader } from '../../../src/sip/index.js';

function options(extra = ''): Buffer {
  return Buffer.from(`OPTIONS sip:echo@192.0.2.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.2:40000;branch=z9hG4bKabc;rport\r\nFrom: <sip:doctor@10.0.0.2:40000>;tag=1\r\nTo: <sip:echo@192.0.2.1:5060>\r\nCall-ID: doctor-abc\r\nCSeq: 1 OPTIONS\r\nContact: <sip:doctor@10.0.0.2:40000>\r\nMax-Forwards: 70\r\n${extra}Content-Length: 0\r\n\r\n`);
}

test('an OPTIONS is answered 200 with itself, byte for byte, and where it came from', () => {
  const request = options();
  const answer = sipEchoAnswer(request, { address: '203.0.113.7', port: 40312 });
  assert.ok(answer !== undefined);
  const response = parseMessage(answer);
  assert.equal(response.kind, 'response');
  assert.equal(response.kind === 'response' ? response.status : 0, 200);
  assert.equal(getHeader(response, 'Via'), 'SIP/2.0/UDP 10.0.0.2:40000;branch=z9hG4bKabc;rport');
  assert.equal(getHeader(response, 'Content-Type'), SIP_ECHO_CONTENT_TYPE);
  const echo = readSipEcho(answer);
  assert.deepEqual(echo, { callId: 'doctor-abc', from: '203.0.113.7:40312', request });
  assert.equal(readSipEcho(sipEchoAnswer(request, { address: '2001:db8::7', port: 5060 }) ?? Buffer.alloc(0))?.from, '[2001:db8::7]:5060');
});

test('the copy is base64: an ALG that rewrites addresses in the body cannot touch it', () => {
  const answer = sipEchoAnswer(options(), { address: '203.0.113.7', port: 1 }) ?? Buffer.alloc(0);
  const body = answer.subarray(answer.indexOf('\r\n\r\n') + 4).toString();
  assert.doesNotMatch(body, /10\.0\.0\.2/);
});

test('dropped unanswered: not an OPTIONS, a response, not SIP, no Call-ID, too large', () => {
  const from = { address: '203.0.113.7', port: 5060 };
  const cases: [string, Buffer][] = [
    ['INVITE', Buffer.from(options().toString().replace(/OPTIONS/g, 'INVITE'))],
    ['a response', Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKx\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n')],
    ['not SIP', Buffer.from('GET / HTTP/1.1\r\n\r\n')],
    ['empty', Buffer.alloc(0)],
    ['no Call-ID', Buffer.from(options().toString().replace(/Call-ID: doctor-abc\r\n/, ''))],
    ['too large', options(`X-Pad: ${'a'.repeat(SIP_ECHO_MAX_REQUEST_BYTES)}\r\n`)],
  ];
  for (const [name, datagram] of cases) assert.equal(sipEchoAnswer(datagram, from), undefined, name);
});

test('readSipEcho: only a 200 of the echo with a well-formed body', () => {
  const good = sipEchoAnswer(options(), { address: '203.0.113.7', port: 1 })?.toString() ?? '';
  const cases: [string, string][] = [
    ['another status', good.replace('SIP/2.0 200 OK', 'SIP/2.0 404 Not Found')],
    ['another content type', good.replace(SIP_ECHO_CONTENT_TYPE, 'application/sdp')],
    ['a request', options().toString()],
    ['not JSON', good.replace(/\r\n\r\n[\s\S]*$/, '\r\n\r\n{nope')],
    ['fields missing', good.replace(/\r\n\r\n[\s\S]*$/, '\r\n\r\n{"from":1}').replace(/Content-Length: \d+/, 'Content-Length: 10')],
    ['garbage', '\u0000\u0001'],
  ];
  for (const [name, text] of cases) assert.equal(readSipEcho(Buffer.from(text)), undefined, name);
});
