/**
 * Which LANs the agent serves when agent.yaml names none, and why (net/lan-choice.ts): a table of
 * host shapes (two-armed router, one-armed box, no private address, configured names).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseLans, defaultRouteInterfaces, isPrivateIpv4, type LanInterface } from '../../../src/net/index.js';

const ROUTE_TABLE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
eth1\t000AA8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
`;

const iface = (name: string, address: string): LanInterface => ({ name, address, netmask: '255.255.255.0' });

test('the default route interfaces come from the route table (destination and mask 0)', () => {
  assert.deepEqual([...defaultRouteInterfaces(ROUTE_TABLE)], ['eth0']);
  assert.deepEqual([...defaultRouteInterfaces('')], []);
  assert.deepEqual([...defaultRouteInterfaces('Iface\tDestination\n')], []);
});

test('private IPv4 ranges are RFC 1918 only', () => {
  const table: Array<[string, boolean]> = [
    ['10.0.0.1', true], ['172.16.0.1', true], ['172.31.255.1', true], ['192.168.1.1', true],
    ['172.15.0.1', false], ['172.32.0.1', false], ['100.64.0.1', false], ['169.254.1.1', false], ['8.8.8.8', false], ['127.0.0.1', false], ['fd00::1', false], ['10.0.0', false],
  ];
  for (const [address, expected] of table) assert.equal(isPrivateIpv4(address), expected, address);
});

test('LAN choice by host shape, each with its reason', () => {
  const table: Array<{ name: string; all: LanInterface[]; routes: string[]; wanted: string[]; lans: string[]; unknown?: string[]; reason: RegExp }> = [
    { name: 'two-armed: the private interface that is not the WAN', all: [iface('eth0', '192.168.2.10'), iface('eth1', '192.168.10.1')], routes: ['eth0'], wanted: [], lans: ['eth1'], reason: /not on the default route's interface \(eth0\)/ },
    { name: 'public WAN, two LANs', all: [iface('wan', '203.0.113.5'), iface('lan1', '10.1.0.1'), iface('lan2', '172.20.0.1')], routes: ['wan'], wanted: [], lans: ['lan1', 'lan2'], reason: /not on the default route's interface \(wan\)/ },
    { name: 'one-armed box: its only interface carries the default route', all: [iface('eth0', '192.168.1.20')], routes: ['eth0'], wanted: [], lans: ['eth0'], reason: /one-armed: LAN and WAN on eth0/ },
    { name: 'no default route known', all: [iface('eth0', '10.0.0.2')], routes: [], wanted: [], lans: ['eth0'], reason: /no default route known/ },
    { name: 'no private address at all', all: [iface('eth0', '203.0.113.5')], routes: ['eth0'], wanted: [], lans: [], reason: /./ },
    { name: 'configured by name and by address', all: [iface('eth0', '203.0.113.5'), iface('eth1', '192.168.10.1'), iface('lo', '127.0.0.1')], routes: ['eth0'], wanted: ['eth1', '127.0.0.1'], lans: ['eth1', 'lo'], reason: /configured \(agent\.lan: eth1\)/ },
    { name: 'configured name that does not exist', all: [iface('eth0', '192.168.1.2')], routes: [], wanted: ['eth0', 'wlan9'], lans: ['eth0'], unknown: ['wlan9'], reason: /configured/ },
  ];
  for (const t of table) {
    const choice = chooseLans(t.all, new Set(t.routes), t.wanted);
    assert.deepEqual(choice.lans.map((l) => l.name), t.lans, t.name);
    assert.deepEqual(choice.unknown, t.unknown ?? [], t.name);
    if (choice.lans[0] !== undefined) assert.match(choice.lans[0].reason, t.reason, t.name);
  }
});
