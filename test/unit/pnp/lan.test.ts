import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interfaceForSource } from '../../../src/net/index.js';

const LANS = [
  { name: 'eth0', address: '192.168.1.10', netmask: '255.255.255.0' },
  { name: 'eth1', address: '10.202.2.1', netmask: '255.255.0.0' },
  { name: 'eth1:voice', address: '10.202.2.129', netmask: '255.255.255.128' },
  { name: 'lo', address: '127.0.0.1', netmask: '255.0.0.0' },
];

const CASES: ReadonlyArray<readonly [string, string | undefined]> = [
  ['192.168.1.77', 'eth0'],
  ['10.202.9.9', 'eth1'],
  ['10.202.2.200', 'eth1:voice'],
  ['127.0.0.3', 'lo'],
  ['172.16.18.90', undefined],
  ['not-an-address', undefined],
  ['::1', undefined],
];

for (const [source, expected] of CASES) {
  test(`the LAN of ${source} is ${expected ?? 'none'} (longest prefix wins)`, () => {
    assert.equal(interfaceForSource(LANS, source)?.name, expected);
  });
}
