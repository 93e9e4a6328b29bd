import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipParseError, formatUri, isSipUri, isTelUri, parseUri, unescapeUriPart, type SipUri } from '../../../src/sip/index.js';

function sip(text: string): SipUri {
  const uri = parseUri(text);
  assert.ok(isSipUri(uri), `${text} is a SIP URI`);
  return uri;
}

const SIP_CASES: Array<[string, Partial<SipUri>]> = [
  ['sip:alice@atlanta.com', { scheme: 'sip', user: 'alice', host: 'atlanta.com', port: undefined }],
  ['SIPS:alice:secretword@atlanta.com;transport=tcp', { scheme: 'sips', user: 'alice', password: 'secretword', host: 'atlanta.com' }],
  ['sip:+1-212-555-1212:1234@gateway.com;user=phone', { user: '+1-212-555-1212', password: '1234' }],
  ['sip:alice@192.0.2.4:5070', { host: '192.0.2.4', port: 5070 }],
  ['sip:[2001:db8::10]:5070', { user: undefined, host: '2001:db8::10', port: 5070 }],
  ['sip:[2001:db8::10:5070]', { host: '2001:db8::10:5070', port: undefined }],
  ['sip:user@[2001:db8:::192.0.2.1]', { host: '2001:db8:::192.0.2.1' }],
  ['sip:user;par=u%40example.net@example.com', { user: 'user;par=u%40example.net', host: 'example.com' }],
  ['sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com', { user: undefined, host: 'atlanta.com' }],
  ['sip:host:05060', { port: 5060 }],
];

for (const [text, expected] of SIP_CASES) {
  test(`parseUri ${text}`, () => {
    const uri = sip(text);
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(uri[key as keyof SipUri], value, key);
  });
}

test('URI params are lower-case names with values as written; headers are kept; format gives the text back', () => {
  const text = 'sip:alice@atlanta.com;Transport=TCP;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent';
  const uri = sip(text);
  assert.deepEqual([...uri.params], [['transport', 'TCP'], ['lr', undefined], ['maddr', '239.255.255.1']]);
  assert.deepEqual([...uri.headers], [['subject', 'project%20x'], ['priority', 'urgent']]);
  assert.equal(formatUri(uri), text.replace('Transport', 'transport'));
  assert.equal(formatUri(sip('sip:[::1]:5060;transport=udp')), 'sip:[::1]:5060;transport=udp');
});

test('tel and other absolute URIs', () => {
  const tel = parseUri('tel:+1-201-555-0123;phone-context=example.com');
  assert.ok(isTelUri(tel));
  assert.equal(tel.number, '+1-201-555-0123');
  assert.equal(tel.params.get('phone-context'), 'example.com');
  assert.equal(formatUri(tel), 'tel:+1-201-555-0123;phone-context=example.com');
  for (const text of ['isbn:2983792873', 'http://www.example.com', 'name:John_Smith', 'soap.beep://192.0.2.103:3002']) {
    const uri = parseUri(text);
    assert.equal(uri.kind, 'absolute');
    assert.equal(formatUri(uri), text);
  }
  assert.equal(parseUri('Soap.Beep://x').scheme, 'soap.beep');
});

const BAD: Array<[string, string]> = [
  ['no scheme', 'alice@atlanta.com'],
  ['scheme starting with a digit', '1sip:alice@x'],
  ['angle brackets', '<sip:alice@x>'],
  ['space', 'sip:alice@x y'],
  ['empty host', 'sip:alice@'],
  ['empty user', 'sip:@host'],
  ['IPv6 without brackets (RFC 5118 ipv6-bad)', 'sip:2001:db8::10'],
  ['port above 65535', 'sip:host:65536'],
  ['port not a number', 'sip:host:50a'],
  ['unterminated IPv6 reference', 'sip:[2001:db8::1'],
  ['IPv6 reference with letters', 'sip:[2001:xyz::1]'],
  ['empty parameter', 'sip:host;;lr'],
  ['header without =', 'sip:host?subject'],
  ['empty tel number', 'tel:'],
  ['empty opaque part', 'urn:'],
];

for (const [name, text] of BAD) {
  test(`parseUri rejects ${name}: ${text}`, () => {
    assert.throws(() => parseUri(text), (e: unknown) => e instanceof SipParseError && e.status === 400);
  });
}

test('unescapeUriPart resolves %HH as UTF-8 and keeps a lone %', () => {
  assert.equal(unescapeUriPart('sips%3Auser%40example.com'), 'sips:user@example.com');
  assert.equal(unescapeUriPart('%75se%72'), 'user');
  assert.equal(unescapeUriPart('null-%00-null'), 'null-\0-null');
  assert.equal(unescapeUriPart('%C3%A9t%C3%A9'), 'été');
  assert.equal(unescapeUriPart('100%'), '100%');
  assert.equal(unescapeUriPart('%Z1'), '%Z1');
});

test('parseUri with supportedSchemes: another scheme is a 416, a listed one parses', () => {
  const sipOnly = { supportedSchemes: ['sip', 'sips'] };
  assert.throws(() => parseUri('nobodyKnowsThisScheme:totallyopaquecontent', sipOnly), (e: unknown) => e instanceof SipParseError && e.status === 416);
  assert.throws(() => parseUri('tel:+1-201-555-0123', sipOnly), (e: unknown) => e instanceof SipParseError && e.status === 416);
  assert.equal(parseUri('SIP:alice@atlanta.com', sipOnly).kind, 'sip');
});
