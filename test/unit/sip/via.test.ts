import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipParseError, formatCSeq, formatVia, getViaBranch, parseCSeq, parseMessage, parseVia, topVia } from '../../../src/sip/index.js';

test('parseVia: protocol, upper-case transport, host, port, lower-case params', () => {
  const via = parseVia('SIP/2.0/udp pc33.atlanta.com:5066;Branch=z9hG4bK776asdhds;rport;received=192.0.2.1');
  assert.equal(via.protocol, 'SIP/2.0');
  assert.equal(via.transport, 'UDP');
  assert.equal(via.host, 'pc33.atlanta.com');
  assert.equal(via.port, 5066);
  assert.deepEqual([...via.params], [['branch', 'z9hG4bK776asdhds'], ['rport', undefined], ['received', '192.0.2.1']]);
  assert.equal(getViaBranch(via), 'z9hG4bK776asdhds');
  assert.equal(formatVia(via), 'SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776asdhds;rport;received=192.0.2.1');
});

test('parseVia: LWS around "/", ";" and "=" (RFC 4475 wsinv), IPv6 sent-by and received (RFC 5118)', () => {
  const ws = parseVia('SIP  /   2.0 /  TCP     spindle.example.com   ;  branch  =   z9hG4bK9ikj8 ');
  assert.deepEqual([ws.protocol, ws.transport, ws.host, ws.port, getViaBranch(ws)], ['SIP/2.0', 'TCP', 'spindle.example.com', undefined, 'z9hG4bK9ikj8']);
  const v6 = parseVia('SIP/2.0/UDP [2001:db8::9:1]:6050;received=[2001:db8::9:255];branch=z9hG4bKas3');
  assert.deepEqual([v6.host, v6.port, v6.params.get('received')], ['2001:db8::9:1', 6050, '[2001:db8::9:255]']);
  assert.equal(formatVia(v6), 'SIP/2.0/UDP [2001:db8::9:1]:6050;received=[2001:db8::9:255];branch=z9hG4bKas3');
  assert.equal(parseVia('SIP/2.0/UDP [::1];received=2001:db8::9:255').params.get('received'), '2001:db8::9:255');
  assert.equal(parseVia('SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK;x="a b"').params.get('x'), '"a b"');
});

const BAD_VIAS: Array<[string, string]> = [
  ['empty params (RFC 4475 badinv01)', 'SIP/2.0/UDP 192.0.2.15;;'],
  ['only a semicolon', ';'],
  ['no sent-by', 'SIP/2.0/UDP'],
  ['no transport', 'SIP/2.0 host'],
  ['missing slash', 'SIP 2.0/UDP host'],
  ['bad port', 'SIP/2.0/UDP host:99999'],
  ['empty param value', 'SIP/2.0/UDP host;branch='],
  ['trailing garbage', 'SIP/2.0/UDP host;branch=1 junk'],
  ['two values (split first)', 'SIP/2.0/UDP a, SIP/2.0/UDP b'],
];

for (const [name, value] of BAD_VIAS) {
  test(`parseVia rejects ${name}`, () => {
    assert.throws(() => parseVia(value), (e: unknown) => e instanceof SipParseError && e.status === 400);
  });
}

test('topVia: the first Via; a message without Via is a 400 (dropped if a response)', () => {
  const m = parseMessage(Buffer.from('OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/TCP a;branch=z9hG4bK1, SIP/2.0/UDP b\r\nl: 0\r\n\r\n'));
  assert.equal(topVia(m).host, 'a');
  const bare = parseMessage(Buffer.from('SIP/2.0 200 OK\r\nl: 0\r\n\r\n'));
  assert.throws(() => topVia(bare), (e: unknown) => e instanceof SipParseError && e.status === 400 && e.isResponse);
});

test('parseCSeq / formatCSeq, leading zeros and LWS', () => {
  assert.deepEqual(parseCSeq('314159 INVITE'), { seq: 314159, method: 'INVITE' });
  assert.deepEqual(parseCSeq('  0009   INVITE '), { seq: 9, method: 'INVITE' });
  assert.deepEqual(parseCSeq('2147483647 RE%47IST%45R'), { seq: 2147483647, method: 'RE%47IST%45R' });
  assert.equal(formatCSeq({ seq: 1, method: 'ACK' }), '1 ACK');
});

for (const value of ['', 'INVITE', '1', '-1 INVITE', '2147483648 INVITE', '36893488147419103232 REGISTER', '1 IN VITE', '1.5 INVITE', '1 INV(ITE']) {
  test(`parseCSeq rejects ${JSON.stringify(value)}`, () => {
    assert.throws(() => parseCSeq(value), (e: unknown) => e instanceof SipParseError && e.status === 400);
  });
}
