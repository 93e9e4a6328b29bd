/**
 * `hub.pbx: builtin` (issue 12): the string is accepted beside the PBX mapping, fills in the call
 * path toward the built-in PBX's own listener, and each wrong value names its field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/core/index.js';
import { validateConfig } from '../../../src/config/index.js';

test('hub.pbx: builtin with defaults: the call path meets the built-in PBX on 127.0.0.1:5070 over UDP, probed every second', () => {
  assert.deepEqual(validateConfig({ hub: { pbx: 'builtin', routing: 'routing.yaml' } }).hub.callPath, {
    pbx: { host: '127.0.0.1', port: 5070, transport: 'udp', probeIntervalMs: 1000, probeFailures: 3 },
    sip: { listen: '127.0.0.1', port: 5060 },
    media: { address: '127.0.0.1', ports: { min: 20000, max: 29999 } },
    builtin: { sip: { listen: '127.0.0.1', port: 5070 }, media: { address: '127.0.0.1', ports: { min: 31000, max: 31999 } } },
  });
});

test('hub.builtinPbx on every address: the hub reaches it over loopback; SDP names the configured media address', () => {
  const c = validateConfig({
    hub: { pbx: 'builtin', routing: 'r.yaml', builtinPbx: { listen: '0.0.0.0', port: 5080, media: { address: '192.0.2.5', ports: { min: 32000, max: 32099 } } }, sip: { port: 5062 } },
  }).hub.callPath;
  assert.deepEqual(c?.pbx, { host: '127.0.0.1', port: 5080, transport: 'udp', probeIntervalMs: 1000, probeFailures: 3 });
  assert.deepEqual(c?.builtin, { sip: { listen: '0.0.0.0', port: 5080 }, media: { address: '192.0.2.5', ports: { min: 32000, max: 32099 } } });
  assert.deepEqual(c?.sip, { listen: '127.0.0.1', port: 5062 });
  assert.equal(validateConfig({ hub: { pbx: 'builtin', routing: 'r.yaml', builtinPbx: { media: { musicOnHold: 'hold' } } } }).hub.callPath?.builtin?.media.musicOnHold, 'hold');
});

test('a PBX mapping has no builtin part', () => {
  assert.equal(validateConfig({ hub: { pbx: { host: '192.0.2.7' }, sip: { listen: '192.0.2.1' } } }).hub.callPath?.builtin, undefined);
});

const bad: { name: string; hub: Record<string, unknown>; path: string }[] = [
  { name: 'another string', hub: { pbx: 'kamailio', routing: 'r.yaml' }, path: 'hub.pbx' },
  { name: 'misspelt builtin', hub: { pbx: 'built-in', routing: 'r.yaml' }, path: 'hub.pbx' },
  { name: 'a number', hub: { pbx: 5060 }, path: 'hub.pbx' },
  { name: 'builtin without a routing model', hub: { pbx: 'builtin' }, path: 'hub.pbx' },
  { name: 'builtinPbx without builtin', hub: { pbx: { host: '192.0.2.7' }, sip: { listen: '192.0.2.1' }, builtinPbx: { port: 5070 } }, path: 'hub.builtinPbx' },
  { name: 'builtinPbx without any pbx', hub: { builtinPbx: { port: 5070 } }, path: 'hub.builtinPbx' },
  { name: 'builtinPbx listen not an IP', hub: { pbx: 'builtin', routing: 'r.yaml', builtinPbx: { listen: 'pbx.local' } }, path: 'hub.builtinPbx.listen' },
  { name: 'builtinPbx port 0', hub: { pbx: 'builtin', routing: 'r.yaml', builtinPbx: { port: 0 } }, path: 'hub.builtinPbx.port' },
  { name: 'builtinPbx unknown field', hub: { pbx: 'builtin', routing: 'r.yaml', builtinPbx: { host: '127.0.0.1' } }, path: 'hub.builtinPbx.host' },
  { name: 'builtinPbx media address a wildcard', hub: { pbx: 'builtin', routing: 'r.yaml', builtinPbx: { media: { address: '0.0.0.0' } } }, path: 'hub.builtinPbx.media.address' },
  { name: 'builtinPbx music on hold empty', hub: { pbx: 'builtin', routing: 'r.yaml', builtinPbx: { media: { musicOnHold: '' } } }, path: 'hub.builtinPbx.media.musicOnHold' },
  { name: 'builtinPbx music on hold a list', hub: { pbx: 'builtin', routing: 'r.yaml', builtinPbx: { media: { musicOnHold: ['a.wav'] } } }, path: 'hub.builtinPbx.media.musicOnHold' },
  { name: 'builtinPbx media ports too few', hub: { pbx: 'builtin', routing: 'r.yaml', builtinPbx: { media: { ports: { min: 31000, max: 31001 } } } }, path: 'hub.builtinPbx.media.ports.max' },
  { name: 'hub.sip on the built-in PBX port', hub: { pbx: 'builtin', routing: 'r.yaml', sip: { port: 5070 } }, path: 'hub.builtinPbx.port' },
  { name: 'hub.sip.listen a wildcard', hub: { pbx: 'builtin', routing: 'r.yaml', sip: { listen: '0.0.0.0' } }, path: 'hub.sip.listen' },
  { name: 'hub.media.address not an IP', hub: { pbx: 'builtin', routing: 'r.yaml', media: { address: 'hub' } }, path: 'hub.media.address' },
];

for (const c of bad) {
  test(`refused: ${c.name} (${c.path})`, () => {
    assert.throws(() => validateConfig({ hub: c.hub }), (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.path, c.path);
      return true;
    });
  });
}
