import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressBytes, cidrContains, parseCidr } from '../../../src/protect/index.js';

test('masks parse to their normal form (table)', () => {
  const rows: Array<[string, string]> = [
    ['192.0.2.7', '192.0.2.7'], ['192.0.2.7/24', '192.0.2.0/24'], [' 10.0.0.0/8 ', '10.0.0.0/8'], ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:db8::/32', '2001:db8::/32'], ['::1', '::1'],
  ];
  for (const [text, normal] of rows) assert.equal(parseCidr(text).text, normal, text);
});

test('invalid masks are refused with the text named (table)', () => {
  for (const text of ['', 'host.example', '192.0.2.7/33', '2001:db8::/129', '192.0.2.300', '192.0.2.0/x', '1.2.3.4/ 8']) {
    assert.throws(() => parseCidr(text), { code: 'SBC_ERR_USAGE', name: 'CidrError' }, text);
  }
});

test('containment, IPv4 inside IPv4-mapped IPv6 too (table)', () => {
  const rows: Array<[string, string, boolean]> = [
    ['192.0.2.0/24', '192.0.2.255', true], ['192.0.2.0/24', '192.0.3.0', false], ['192.0.2.0/25', '192.0.2.128', false],
    ['192.0.2.0/24', '::ffff:192.0.2.1', true], ['0.0.0.0/0', '8.8.8.8', true], ['0.0.0.0/0', '2001:db8::1', false],
    ['2001:db8::/32', '2001:db8:abcd::1', true], ['2001:db8::/33', '2001:db8:8000::1', false], ['::/0', '2001:db8::1', true],
    ['10.0.0.7', '10.0.0.7', true], ['10.0.0.7', '10.0.0.8', false],
  ];
  for (const [mask, address, inside] of rows) {
    const bytes = addressBytes(address);
    assert.ok(bytes !== undefined, address);
    assert.equal(cidrContains(parseCidr(mask), bytes), inside, `${address} in ${mask}`);
  }
});
