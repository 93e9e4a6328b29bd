/** `hub.sipEcho`: off unless present; its address defaults to the tunnel's, its port to 5060; bad values name the field. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/core/index.js';
import { validateConfig } from '../../../src/config/index.js';
import { hubListeners } from '../../../src/cli/bind-check.js';

test('hub.sipEcho: off by default, on with defaults from the tunnel, each field checked', () => {
  assert.equal(validateConfig({}).hub.sipEcho, undefined);
  assert.deepEqual(validateConfig({ hub: { sipEcho: {} } }).hub.sipEcho, { listen: '0.0.0.0', port: 5060 });
  assert.deepEqual(validateConfig({ hub: { tunnel: { listen: '10.0.0.5' }, sipEcho: { port: 5062 } } }).hub.sipEcho, { listen: '10.0.0.5', port: 5062 });
  assert.deepEqual(validateConfig({ hub: { sipEcho: { listen: '192.0.2.1' } } }).hub.sipEcho, { listen: '192.0.2.1', port: 5060 });
  const bad: [unknown, string][] = [
    [{ port: 0 }, 'hub.sipEcho.port'],
    [{ port: 70000 }, 'hub.sipEcho.port'],
    [{ listen: 'hub.example' }, 'hub.sipEcho.listen'],
    [{ colour: 'red' }, 'hub.sipEcho.colour'],
    ['5060', 'hub.sipEcho'],
  ];
  for (const [value, path] of bad) {
    assert.throws(() => validateConfig({ hub: { sipEcho: value } }), (e: unknown) => e instanceof ConfigError && e.path === path, `${JSON.stringify(value)} → ${path}`);
  }
});

test('hub.sipEcho is checked with the hub\'s other listeners before start (exit 19 names the field)', () => {
  const on = hubListeners(validateConfig({ hub: { tunnel: { listen: '10.0.0.5' }, sipEcho: {} } }));
  assert.deepEqual(on.filter((l) => l.field === 'hub.sipEcho'), [{ protocol: 'udp', address: '10.0.0.5', port: 5060, field: 'hub.sipEcho' }]);
  assert.equal(hubListeners(validateConfig({})).some((l) => l.field === 'hub.sipEcho'), false);
});
