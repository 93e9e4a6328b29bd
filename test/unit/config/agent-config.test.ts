/**
 * The `agent` section of agent.yaml (what `sbc-agent run` serves): defaults, conversions, and a
 * table of bad values each refused with the field named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/core/index.js';
import { DEFAULT_CONFIG, validateConfig } from '../../../src/config/index.js';

test('an absent agent section gives the documented defaults', () => {
  const a = validateConfig({}).agent;
  assert.deepEqual(a.lan, []);
  assert.deepEqual(a.sip, { port: 5060, tlsPort: 5061, tlsCert: undefined, tlsKey: undefined });
  assert.deepEqual(a.media.ports, { min: 40000, max: 49999 });
  assert.equal(a.upstreamExpires, 1800);
  assert.deepEqual(a.pnp, { policy: 'inbox', httpPort: 8080, urlBase: 'http://{ip}:{port}/', provisioning: { kind: 'tunnel' } });
  assert.deepEqual(a.stun, { port: 3478, server: undefined });
  assert.equal(a.drainTimeoutMs, 600_000);
  assert.equal(a.calls, 'pbx');
  assert.deepEqual(a.survival, { holdDownMs: 60_000, failback: 'when-idle', startGraceMs: 5_000 });
  assert.deepEqual(a, DEFAULT_CONFIG.agent);
});

test('valid agent values are converted', () => {
  const a = validateConfig({
    agent: {
      lan: ['eth1', '192.168.10.1'],
      sip: { port: 5070, tlsPort: 5071, tlsCert: '/etc/sbc/cert.pem', tlsKey: '/etc/sbc/key.pem' },
      media: { ports: { min: 20000 } },
      upstreamExpires: '1h',
      pnp: { policy: 'auto', httpPort: 8081, urlBase: 'http://{ip}:{port}/prov/', provisioning: { upstream: 'https://pbx.example.net/prov', insecure: true } },
      stun: { port: 0, server: 'stun.example.net:3478' },
      drainTimeout: '0s',
      calls: 'local',
      survival: { holdDown: '10s', failback: 'immediate', startGrace: '2s' },
    },
  }).agent;
  assert.equal(a.calls, 'local');
  assert.deepEqual(a.survival, { holdDownMs: 10_000, failback: 'immediate', startGraceMs: 2_000 });
  assert.equal(validateConfig({ agent: { calls: 'auto' } }).agent.calls, 'auto');
  assert.deepEqual(
    validateConfig({ agent: { survival: { failback: { from: '22:00', to: '06:30', timeZone: 'Europe/Paris' } } } }).agent.survival.failback,
    { from: 22 * 60, to: 6 * 60 + 30, timeZone: 'Europe/Paris' },
    'a window in minutes after local midnight, wrapping past midnight',
  );
  assert.deepEqual(validateConfig({ agent: { survival: { failback: { from: '00:00', to: '23:59', timeZone: 'UTC' } } } }).agent.survival.failback, { from: 0, to: 1439, timeZone: 'UTC' });
  assert.deepEqual(
    validateConfig({ agent: { hubs: ['192.0.2.10', '198.51.100.7:15090', '[2001:db8::10]:5091', '2001:db8::11'] } }).agent.hubs,
    [{ host: '192.0.2.10', port: 5090 }, { host: '198.51.100.7', port: 15090 }, { host: '2001:db8::10', port: 5091 }, { host: '2001:db8::11', port: 5090 }],
    'in the order given, port 5090 by default',
  );
  assert.deepEqual(a.lan, ['eth1', '192.168.10.1']);
  assert.deepEqual(a.sip, { port: 5070, tlsPort: 5071, tlsCert: '/etc/sbc/cert.pem', tlsKey: '/etc/sbc/key.pem' });
  assert.deepEqual(a.media.ports, { min: 20000, max: 29999 }, 'a range as wide as the default from the given min');
  assert.equal(a.media.musicOnHold, undefined, 'no music on hold unless named');
  assert.equal(validateConfig({ agent: { media: { musicOnHold: 'hold' } } }).agent.media.musicOnHold, 'hold');
  assert.equal(a.upstreamExpires, 3600);
  assert.deepEqual(a.pnp.provisioning, { kind: 'http', url: 'https://pbx.example.net/prov', insecure: true });
  assert.deepEqual(a.stun, { port: 0, server: 'stun.example.net:3478' });
  assert.equal(a.drainTimeoutMs, 0);
  assert.deepEqual(validateConfig({ agent: { lan: 'eth1, eth2' } }).agent.lan, ['eth1', 'eth2']);
  assert.deepEqual(validateConfig({ agent: { pnp: { provisioning: 'off' } } }).agent.pnp.provisioning, { kind: 'off' });
  assert.deepEqual(validateConfig({ agent: { pnp: { provisioning: { templates: '/etc/sbc-agent/templates' } } } }).agent.pnp.provisioning, { kind: 'templates', folder: '/etc/sbc-agent/templates' });
});

test('every invalid agent field is refused with its path named', () => {
  const table: Array<[string, unknown, string]> = [
    ['lan a number', { lan: 5 }, 'agent.lan'],
    ['lan entry empty', { lan: ['eth0', ''] }, 'agent.lan[1]'],
    ['unknown sip field', { sip: { udp: 5060 } }, 'agent.sip.udp'],
    ['sip port 0', { sip: { port: 0 } }, 'agent.sip.port'],
    ['tls port too big', { sip: { tlsPort: 70000 } }, 'agent.sip.tlsPort'],
    ['tls cert without key', { sip: { tlsCert: '/c.pem' } }, 'agent.sip.tlsKey'],
    ['tls key without cert', { sip: { tlsKey: '/k.pem' } }, 'agent.sip.tlsCert'],
    ['media ports below 1024', { media: { ports: { min: 80 } } }, 'agent.media.ports.min'],
    ['media range of one pair', { media: { ports: { min: 41000, max: 41001 } } }, 'agent.media.ports.max'],
    ['media range reversed', { media: { ports: { min: 41000, max: 40000 } } }, 'agent.media.ports.max'],
    ['unknown media field', { media: { codecs: [] } }, 'agent.media.codecs'],
    ['music on hold a number', { media: { musicOnHold: 5 } }, 'agent.media.musicOnHold'],
    ['music on hold empty', { media: { musicOnHold: ' ' } }, 'agent.media.musicOnHold'],
    ['upstream expires too short', { upstreamExpires: '30s' }, 'agent.upstreamExpires'],
    ['upstream expires a number', { upstreamExpires: 1800 }, 'agent.upstreamExpires'],
    ['pnp policy', { pnp: { policy: 'sometimes' } }, 'agent.pnp.policy'],
    ['pnp http port', { pnp: { httpPort: 0 } }, 'agent.pnp.httpPort'],
    ['pnp url base not a URL', { pnp: { urlBase: '{ip}:{port}' } }, 'agent.pnp.urlBase'],
    ['provisioning a word', { pnp: { provisioning: 'pbx' } }, 'agent.pnp.provisioning'],
    ['provisioning upstream not http', { pnp: { provisioning: { upstream: 'ftp://x/' } } }, 'agent.pnp.provisioning.upstream'],
    ['provisioning both sources', { pnp: { provisioning: { upstream: 'http://x/', templates: '/t' } } }, 'agent.pnp.provisioning.templates'],
    ['provisioning empty mapping', { pnp: { provisioning: {} } }, 'agent.pnp.provisioning'],
    ['provisioning insecure not boolean', { pnp: { provisioning: { upstream: 'https://x/', insecure: 'yes' } } }, 'agent.pnp.provisioning.insecure'],
    ['stun port negative', { stun: { port: -1 } }, 'agent.stun.port'],
    ['stun server with a path', { stun: { server: 'stun.example.net/x' } }, 'agent.stun.server'],
    ['drain timeout without unit', { drainTimeout: '10' }, 'agent.drainTimeout'],
    ['unknown agent field', { lans: ['eth0'] }, 'agent.lans'],
    ['calls mode unknown', { calls: 'proxy' }, 'agent.calls'],
    ['calls mode not a string', { calls: true }, 'agent.calls'],
    ['survival hold-down without unit', { survival: { holdDown: '60' } }, 'agent.survival.holdDown'],
    ['survival failback policy unknown', { survival: { failback: 'never' } }, 'agent.survival.failback'],
    ['survival start grace a number', { survival: { startGrace: 5 } }, 'agent.survival.startGrace'],
    ['survival unknown field', { survival: { window: '22:00-06:00' } }, 'agent.survival.window'],
    ['failback window as a string', { survival: { failback: 'window 22:00-06:00 UTC' } }, 'agent.survival.failback'],
    ['failback a list', { survival: { failback: ['22:00', '06:00'] } }, 'agent.survival.failback'],
    ['failback window without from', { survival: { failback: { to: '06:00', timeZone: 'UTC' } } }, 'agent.survival.failback.from'],
    ['failback window hour 24', { survival: { failback: { from: '24:00', to: '06:00', timeZone: 'UTC' } } }, 'agent.survival.failback.from'],
    ['failback window minute 60', { survival: { failback: { from: '22:00', to: '06:60', timeZone: 'UTC' } } }, 'agent.survival.failback.to'],
    ['failback window one-digit hour', { survival: { failback: { from: '9:00', to: '17:00', timeZone: 'UTC' } } }, 'agent.survival.failback.from'],
    ['failback window time a number', { survival: { failback: { from: 2200, to: '06:00', timeZone: 'UTC' } } }, 'agent.survival.failback.from'],
    ['failback window empty', { survival: { failback: { from: '22:00', to: '22:00', timeZone: 'UTC' } } }, 'agent.survival.failback.to'],
    ['failback window without zone', { survival: { failback: { from: '22:00', to: '06:00' } } }, 'agent.survival.failback.timeZone'],
    ['failback window unknown zone', { survival: { failback: { from: '22:00', to: '06:00', timeZone: 'Europe/Atlantis' } } }, 'agent.survival.failback.timeZone'],
    ['failback window zone a number', { survival: { failback: { from: '22:00', to: '06:00', timeZone: 1 } } }, 'agent.survival.failback.timeZone'],
    ['hubs not a list', { hubs: '192.0.2.10' }, 'agent.hubs'],
    ['hub a DNS name', { hubs: ['192.0.2.10', 'hub2.example.net:5090'] }, 'agent.hubs[1]'],
    ['hub a number', { hubs: [5090] }, 'agent.hubs[0]'],
    ['hub port 0', { hubs: ['192.0.2.10:0'] }, 'agent.hubs[0]'],
    ['hub port too big', { hubs: ['192.0.2.10:70000'] }, 'agent.hubs[0]'],
    ['hub not an address', { hubs: ['192.0.2'] }, 'agent.hubs[0]'],
    ['hub listed twice', { hubs: ['192.0.2.10', '192.0.2.10:5090'] }, 'agent.hubs[1]'],
    ['failback window unknown field', { survival: { failback: { from: '22:00', to: '06:00', timeZone: 'UTC', days: 'mon' } } }, 'agent.survival.failback.days'],
  ];
  for (const [name, agent, path] of table) {
    assert.throws(() => validateConfig({ agent }), (e: unknown) => e instanceof ConfigError && e.path === path && e.message.startsWith(`${path}: `), name);
  }
});
