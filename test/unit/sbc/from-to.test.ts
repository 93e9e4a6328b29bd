/** From/To hosts across the SBC: IP literals replaced by the edge's host, user part and tags kept, responses restored. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeader, parseMessage, type SipHeader } from '../../../src/sip/index.js';
import { hideIpHosts, hostOf, mapFromToHosts, restoreFromTo } from '../../../src/sbc/from-to.js';

const value = (headers: readonly SipHeader[], name: string): string | undefined => headers.find((h) => h.name === name)?.value;

const cases: { name: string; from: string; to: string; wantFrom: string; wantTo: string }[] = [
  { name: 'IPv4 hosts with ports', from: '"Alice" <sip:1001@10.0.0.5:5062;user=phone>;tag=a1', to: '<sip:1002@10.0.0.1>', wantFrom: 'Alice <sip:1001@tunnel.invalid;user=phone>;tag=a1', wantTo: '<sip:1002@tunnel.invalid>' },
  { name: 'IPv6 host', from: '<sip:1001@[fd00::5]:5060>;tag=x', to: '<sip:1002@pbx.test>', wantFrom: '<sip:1001@tunnel.invalid>;tag=x', wantTo: '<sip:1002@pbx.test>' },
  { name: 'domain names kept', from: '<sip:1001@pbx.test>;tag=a', to: '<sip:1002@pbx.test>;tag=b', wantFrom: '<sip:1001@pbx.test>;tag=a', wantTo: '<sip:1002@pbx.test>;tag=b' },
  { name: 'tel URI kept', from: '<tel:+15551234>;tag=t', to: '<sip:1002@10.1.1.1>', wantFrom: '<tel:+15551234>;tag=t', wantTo: '<sip:1002@tunnel.invalid>' },
];
for (const c of cases) {
  test(`hideIpHosts: ${c.name}`, () => {
    const out = hideIpHosts([{ name: 'From', value: c.from }, { name: 'To', value: c.to }, { name: 'Call-ID', value: 'x' }], 'tunnel.invalid');
    assert.equal(value(out, 'From'), c.wantFrom);
    assert.equal(value(out, 'To'), c.wantTo);
    assert.equal(value(out, 'Call-ID'), 'x');
  });
}

test('mapFromToHosts: the tunnel host becomes the hub\'s address; other hosts are kept', () => {
  const out = mapFromToHosts([{ name: 'From', value: '<sip:1001@tunnel.invalid>;tag=a' }, { name: 'To', value: '<sip:1002@pbx.test>' }], (h) => (h === 'tunnel.invalid' ? '192.0.2.1' : undefined));
  assert.equal(value(out, 'From'), '<sip:1001@192.0.2.1>;tag=a');
  assert.equal(value(out, 'To'), '<sip:1002@pbx.test>');
});

test('a From that does not parse is relayed as it is', () => {
  const out = hideIpHosts([{ name: 'From', value: '<<<garbage' }], 'tunnel.invalid');
  assert.equal(value(out, 'From'), '<<<garbage');
});

test('restoreFromTo: the response gets the request\'s From and To back, with the To tag of the answer', () => {
  const request = parseMessage(Buffer.from('INVITE sip:1002@pbx.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bKx\r\nFrom: <sip:1001@10.0.0.5>;tag=a1\r\nTo: <sip:1002@10.0.0.1>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n'));
  const out = restoreFromTo([{ name: 'From', value: '<sip:1001@tunnel.invalid>;tag=a1' }, { name: 'To', value: '<sip:1002@tunnel.invalid>;tag=b9' }], request);
  assert.equal(value(out, 'From'), getHeader(request, 'From'));
  assert.equal(value(out, 'To'), '<sip:1002@10.0.0.1>;tag=b9');
});

test('hostOf', () => {
  assert.equal(hostOf('10.0.0.1:5060'), '10.0.0.1');
  assert.equal(hostOf('[fd00::1]:5060'), 'fd00::1');
  assert.equal(hostOf('hub.test'), 'hub.test');
});
