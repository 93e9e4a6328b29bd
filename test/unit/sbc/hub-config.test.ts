/**
 * The hub's call-path settings (`hub.pbx`, `hub.sip`, `hub.media`): absent without `hub.pbx`,
 * defaults filled in, and each bad field refused with its path named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/core/index.js';
import { validateConfig } from '../../../src/config/index.js';

test('no hub.pbx: no call path', () => {
  assert.equal(validateConfig({}).hub.callPath, undefined);
  assert.equal(validateConfig({ hub: { sip: { listen: '192.0.2.1' } } }).hub.callPath, undefined);
});

test('hub.pbx with defaults: UDP 5060, probed every 1 s (unreachable after 3), media on the SIP address, ports 20000-29999', () => {
  assert.deepEqual(validateConfig({ hub: { pbx: { host: '192.0.2.7' }, sip: { listen: '192.0.2.1' } } }).hub.callPath, {
    pbx: { host: '192.0.2.7', port: 5060, transport: 'udp', probeIntervalMs: 1000, probeFailures: 3 },
    sip: { listen: '192.0.2.1', port: 5060 },
    media: { address: '192.0.2.1', ports: { min: 20000, max: 29999 } },
  });
});

test('probeInterval 0s turns the PBX probe off', () => {
  assert.equal(validateConfig({ hub: { pbx: { host: '192.0.2.7', probeInterval: '0s' }, sip: { listen: '192.0.2.1' } } }).hub.callPath?.pbx.probeIntervalMs, 0);
});

test('every call-path field given', () => {
  const c = validateConfig({ hub: { pbx: { host: '2001:db8::7', port: 5080, transport: 'tcp', probeInterval: '500ms', probeFailures: 5 }, sip: { listen: '2001:db8::1', port: 5070 }, media: { address: '2001:db8::2', ports: { min: 30000, max: 30999 } } } }).hub.callPath;
  assert.deepEqual(c, { pbx: { host: '2001:db8::7', port: 5080, transport: 'tcp', probeIntervalMs: 500, probeFailures: 5 }, sip: { listen: '2001:db8::1', port: 5070 }, media: { address: '2001:db8::2', ports: { min: 30000, max: 30999 } } });
});

const bad: { name: string; hub: Record<string, unknown>; path: string }[] = [
  { name: 'no PBX host', hub: { pbx: {}, sip: { listen: '192.0.2.1' } }, path: 'hub.pbx.host' },
  { name: 'PBX host is a name', hub: { pbx: { host: 'pbx.example.net' }, sip: { listen: '192.0.2.1' } }, path: 'hub.pbx.host' },
  { name: 'PBX port out of range', hub: { pbx: { host: '192.0.2.7', port: 70000 }, sip: { listen: '192.0.2.1' } }, path: 'hub.pbx.port' },
  { name: 'PBX transport unknown', hub: { pbx: { host: '192.0.2.7', transport: 'sctp' }, sip: { listen: '192.0.2.1' } }, path: 'hub.pbx.transport' },
  { name: 'probe interval not a duration', hub: { pbx: { host: '192.0.2.7', probeInterval: 'often' }, sip: { listen: '192.0.2.1' } }, path: 'hub.pbx.probeInterval' },
  { name: 'probe interval negative', hub: { pbx: { host: '192.0.2.7', probeInterval: '-1s' }, sip: { listen: '192.0.2.1' } }, path: 'hub.pbx.probeInterval' },
  { name: 'probe failures 0', hub: { pbx: { host: '192.0.2.7', probeFailures: 0 }, sip: { listen: '192.0.2.1' } }, path: 'hub.pbx.probeFailures' },
  { name: 'unknown PBX field', hub: { pbx: { host: '192.0.2.7', user: 'x' }, sip: { listen: '192.0.2.1' } }, path: 'hub.pbx.user' },
  { name: 'no SIP listen address', hub: { pbx: { host: '192.0.2.7' } }, path: 'hub.sip.listen' },
  { name: 'wildcard SIP listen address', hub: { pbx: { host: '192.0.2.7' }, sip: { listen: '0.0.0.0' } }, path: 'hub.sip.listen' },
  { name: 'media address not an IP', hub: { pbx: { host: '192.0.2.7' }, sip: { listen: '192.0.2.1' }, media: { address: 'hub' } }, path: 'hub.media.address' },
  { name: 'media port range reversed', hub: { pbx: { host: '192.0.2.7' }, sip: { listen: '192.0.2.1' }, media: { ports: { min: 30000, max: 20000 } } }, path: 'hub.media.ports.max' },
  { name: 'media port below 1024', hub: { pbx: { host: '192.0.2.7' }, sip: { listen: '192.0.2.1' }, media: { ports: { min: 80 } } }, path: 'hub.media.ports.min' },
];
for (const c of bad) {
  test(`refused: ${c.name} (${c.path})`, () => {
    assert.throws(() => validateConfig({ hub: c.hub }), (e: unknown) => e instanceof ConfigError && e.path === c.path);
  });
}
