import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headerList, mapContacts, phoneTag } from '../../../src/sbc/index.js';
import { parseMessage } from '../../../src/sip/index.js';

const INVITE = parseMessage(Buffer.from([
  'INVITE sip:1002@pbx.test SIP/2.0',
  'Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.6;branch=z9hG4bK2',
  'Via: SIP/2.0/TCP 10.0.0.7;branch=z9hG4bK3',
  'From: <sip:1001@pbx.test>;tag=caller',
  'To: <sip:1002@pbx.test>',
  'Call-ID: c1',
  'CSeq: 1 INVITE',
  'Contact: "A" <sip:1001@10.0.0.5:5060;transport=udp>;+sip.instance="<urn:uuid:1>";expires=60',
  'Content-Length: 0',
  '', ''].join('\r\n')));

test('headerList splits comma lists across header lines, in order', () => {
  assert.deepEqual(headerList(INVITE, 'Via').map((v) => /branch=(\w+)/.exec(v)?.[1]), ['z9hG4bK1', 'z9hG4bK2', 'z9hG4bK3']);
});

test('mapContacts rewrites the URI and keeps display name and header parameters', () => {
  const headers = mapContacts(INVITE.headers, () => 'sip:a-tok@tunnel.invalid');
  const contact = headers.find((h) => h.name === 'Contact')?.value;
  assert.equal(contact, 'A <sip:a-tok@tunnel.invalid>;+sip.instance="<urn:uuid:1>";expires=60');
});

const TAGS: Array<[string, boolean, string | undefined]> = [
  ['request sent by the phone: its tag is in From', true, 'caller'],
  ['initial request toward the phone: To has no tag yet', false, undefined],
];
for (const [name, byPhone, want] of TAGS) test(`phoneTag: ${name}`, () => assert.equal(phoneTag(INVITE, byPhone), want));

test('phoneTag of a response: the phone answering has its tag in To', () => {
  const ok = parseMessage(Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nFrom: <sip:a@x>;tag=f\r\nTo: <sip:b@x>;tag=t\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n'));
  assert.equal(phoneTag(ok, true), 't');
  assert.equal(phoneTag(ok, false), 'f');
});
