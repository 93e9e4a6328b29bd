import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/core/index.js';
import { DEFAULT_CONFIG, validateConfig } from '../../../src/config/index.js';

test('agent.protection and hub.protection: defaults, and every field read', () => {
  const config = validateConfig({
    agent: {
      protection: {
        authFailures: { max: 5, window: '5m', block: '2h', challengeTimeout: '20s' },
        rate: { level1: { packetsPerSecond: 1000, block: '1m' }, level2: { packetsPerSecond: 3000, block: '1d' } },
        dropScanners: false,
        allow: ['10.0.0.0/8', '2001:db8::/32'],
        deny: ['203.0.113.0/24', { address: '198.51.100.7', expires: '2027-01-01T00:00:00Z' }],
      },
    },
    hub: { protection: { deny: ['192.0.2.0/24'] } },
  });
  const p = config.agent.protection;
  assert.deepEqual(p.auth, { maxFailures: 5, windowMs: 300_000, blockMs: 7_200_000, challengeTimeoutMs: 20_000 });
  assert.deepEqual(p.rates, [{ packetsPerSecond: 1000, blockMs: 60_000 }, { packetsPerSecond: 3000, blockMs: 86_400_000 }]);
  assert.equal(p.dropScanners, false);
  assert.deepEqual(p.allow, ['10.0.0.0/8', '2001:db8::/32']);
  assert.deepEqual(p.deny, [{ address: '203.0.113.0/24', until: undefined }, { address: '198.51.100.7', until: Date.UTC(2027, 0, 1) }]);
  assert.deepEqual(config.hub.protection.deny, [{ address: '192.0.2.0/24', until: undefined }]);
  assert.deepEqual(validateConfig({}).agent.protection, DEFAULT_CONFIG.agent.protection);
});

test('every invalid protection field is refused with its path named (table)', () => {
  const table: Array<[string, unknown, string]> = [
    ['not a mapping', { agent: { protection: 'on' } }, 'agent.protection'],
    ['unknown field', { agent: { protection: { threshold: 3 } } }, 'agent.protection.threshold'],
    ['enabled not boolean', { agent: { protection: { enabled: 'yes' } } }, 'agent.protection.enabled'],
    ['max zero', { agent: { protection: { authFailures: { max: 0 } } } }, 'agent.protection.authFailures.max'],
    ['window not a duration', { agent: { protection: { authFailures: { window: '10 minutes' } } } }, 'agent.protection.authFailures.window'],
    ['block zero', { agent: { protection: { authFailures: { block: '0s' } } } }, 'agent.protection.authFailures.block'],
    ['rate too low', { agent: { protection: { rate: { level1: { packetsPerSecond: 1 } } } } }, 'agent.protection.rate.level1.packetsPerSecond'],
    ['level2 not above level1', { agent: { protection: { rate: { level1: { packetsPerSecond: 6000 } } } } }, 'agent.protection.rate.level2.packetsPerSecond'],
    ['unknown level', { agent: { protection: { rate: { level3: {} } } } }, 'agent.protection.rate.level3'],
    ['allow not a list', { agent: { protection: { allow: '10.0.0.0/8' } } }, 'agent.protection.allow'],
    ['allow a host name', { agent: { protection: { allow: ['pbx.example'] } } }, 'agent.protection.allow[0]'],
    ['allow mask too long', { agent: { protection: { allow: ['10.0.0.0/33'] } } }, 'agent.protection.allow[0]'],
    ['deny bad entry', { agent: { protection: { deny: ['192.0.2.0/24', 7] } } }, 'agent.protection.deny[1]'],
    ['deny bad expiry', { agent: { protection: { deny: [{ address: '192.0.2.1', expires: 'soon' }] } } }, 'agent.protection.deny[0].expires'],
    ['deny entry unknown field', { agent: { protection: { deny: [{ address: '192.0.2.1', until: 'x' }] } } }, 'agent.protection.deny[0].until'],
    ['hub deny bad mask', { hub: { protection: { deny: ['2001:db8::/200'] } } }, 'hub.protection.deny[0]'],
  ];
  for (const [name, doc, path] of table) {
    assert.throws(() => validateConfig(doc), (error: unknown) => error instanceof ConfigError && error.path === path, name);
  }
});
