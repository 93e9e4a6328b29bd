import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/core/index.js';
import { ConfigFileError, DEFAULT_CONFIG, formatDuration, loadConfig, parseConfigText, parseDuration, validateConfig } from '../../../src/config/index.js';
import { REPO_ROOT } from '../../support/paths.js';

test('an empty document gives the defaults (ports 5001, 5090, 443)', () => {
  for (const doc of [undefined, null, {}]) assert.deepEqual(validateConfig(doc), DEFAULT_CONFIG);
  assert.equal(DEFAULT_CONFIG.hub.enrollment.port, 5001);
  assert.equal(DEFAULT_CONFIG.hub.tunnel.port, 5090);
  assert.equal(DEFAULT_CONFIG.hub.wss.port, 443);
});

test('every invalid field is refused with its path named', () => {
  const table: Array<[string, unknown, string]> = [
    ['top level not a mapping', [], '(top level)'],
    ['unknown top-level field', { hubb: {} }, 'hubb'],
    ['stateDir not a string', { stateDir: 5 }, 'stateDir'],
    ['stateDir empty', { stateDir: '' }, 'stateDir'],
    ['log level', { log: { level: 'loud' } }, 'log.level'],
    ['hub not a mapping', { hub: 'x' }, 'hub'],
    ['unknown hub field', { hub: { port: 1 } }, 'hub.port'],
    ['public name', { hub: { publicName: 'not a name!' } }, 'hub.publicName'],
    ['alt names not a list', { hub: { altNames: 'a' } }, 'hub.altNames'],
    ['alt name not a string', { hub: { altNames: ['a.example', 7] } }, 'hub.altNames[1]'],
    ['alt name invalid', { hub: { altNames: ['a_b..c'] } }, 'hub.altNames[0]'],
    ['enrollment port 0', { hub: { enrollment: { port: 0 } } }, 'hub.enrollment.port'],
    ['enrollment port too big', { hub: { enrollment: { port: 65536 } } }, 'hub.enrollment.port'],
    ['enrollment port as text', { hub: { enrollment: { port: '5001' } } }, 'hub.enrollment.port'],
    ['enrollment listen is a name', { hub: { enrollment: { listen: 'localhost' } } }, 'hub.enrollment.listen'],
    ['unknown enrollment field', { hub: { enrollment: { host: '::' } } }, 'hub.enrollment.host'],
    ['tunnel port fraction', { hub: { tunnel: { port: 50.5 } } }, 'hub.tunnel.port'],
    ['resume window without unit', { hub: { tunnel: { resumeWindow: 300 } } }, 'hub.tunnel.resumeWindow'],
    ['resume window zero', { hub: { tunnel: { resumeWindow: '0s' } } }, 'hub.tunnel.resumeWindow'],
    ['resume window not whole seconds', { hub: { tunnel: { resumeWindow: '1500ms' } } }, 'hub.tunnel.resumeWindow'],
    ['resume window over a day', { hub: { tunnel: { resumeWindow: '2d' } } }, 'hub.tunnel.resumeWindow'],
    ['unknown tunnel field', { hub: { tunnel: { resume: '5m' } } }, 'hub.tunnel.resume'],
    ['wss path', { hub: { wss: { path: 'tunnel' } } }, 'hub.wss.path'],
    ['wss port', { hub: { wss: { port: -1 } } }, 'hub.wss.port'],
    ['unknown wss field', { hub: { wss: { tls: true } } }, 'hub.wss.tls'],
    ['key lifetime without unit', { hub: { keyLifetime: '7' } }, 'hub.keyLifetime'],
    ['key lifetime zero', { hub: { keyLifetime: '0s' } }, 'hub.keyLifetime'],
    ['key lifetime a number', { hub: { keyLifetime: 604800 } }, 'hub.keyLifetime'],
    ['lockout failures', { hub: { lockout: { maxFailures: 0 } } }, 'hub.lockout.maxFailures'],
    ['lockout window', { hub: { lockout: { window: 'soon' } } }, 'hub.lockout.window'],
    ['lockout delays reversed', { hub: { lockout: { baseDelay: '5s', maxDelay: '1s' } } }, 'hub.lockout.maxDelay'],
    ['unknown lockout field', { hub: { lockout: { max: 1 } } }, 'hub.lockout.max'],
    ['routing empty', { hub: { routing: '' } }, 'hub.routing'],
    ['cdr not a mapping', { hub: { cdr: 90 } }, 'hub.cdr'],
    ['cdr retention zero', { hub: { cdr: { retentionDays: 0 } } }, 'hub.cdr.retentionDays'],
    ['cdr retention a duration', { hub: { cdr: { retentionDays: '90d' } } }, 'hub.cdr.retentionDays'],
    ['cdr retention fractional', { hub: { cdr: { retentionDays: 1.5 } } }, 'hub.cdr.retentionDays'],
    ['unknown cdr field', { hub: { cdr: { retention: 30 } } }, 'hub.cdr.retention'],
    ['routing not a string', { hub: { routing: 3 } }, 'hub.routing'],
    ['provisioning not a mapping', { hub: { provisioning: 'https://pbx/' } }, 'hub.provisioning'],
    ['unknown provisioning field', { hub: { provisioning: { url: 'https://pbx/' } } }, 'hub.provisioning.url'],
    ['provisioning upstream empty', { hub: { provisioning: { upstream: '' } } }, 'hub.provisioning.upstream'],
    ['provisioning upstream a number', { hub: { provisioning: { upstream: 80 } } }, 'hub.provisioning.upstream'],
    ['provisioning upstream not a URL', { hub: { provisioning: { upstream: 'pbx.example.net/prov' } } }, 'hub.provisioning.upstream'],
    ['provisioning upstream ftp', { hub: { provisioning: { upstream: 'ftp://pbx.example.net/' } } }, 'hub.provisioning.upstream'],
    ['provisioning upstream tftp', { hub: { provisioning: { upstream: 'tftp://192.0.2.50/' } } }, 'hub.provisioning.upstream'],
    ['provisioning upstream file', { hub: { provisioning: { upstream: 'file:///etc/' } } }, 'hub.provisioning.upstream'],
    ['provisioning upstream with a query', { hub: { provisioning: { upstream: 'https://pbx/prov?token=1' } } }, 'hub.provisioning.upstream'],
    ['provisioning upstream with a fragment', { hub: { provisioning: { upstream: 'https://pbx/prov#x' } } }, 'hub.provisioning.upstream'],
    ['provisioning insecure as text', { hub: { provisioning: { insecure: 'yes' } } }, 'hub.provisioning.insecure'],
    ['provisioning insecure as a number', { hub: { provisioning: { insecure: 1 } } }, 'hub.provisioning.insecure'],
    ['provisioning maxBytes zero', { hub: { provisioning: { maxBytes: 0 } } }, 'hub.provisioning.maxBytes'],
    ['provisioning maxBytes fraction', { hub: { provisioning: { maxBytes: 4096.5 } } }, 'hub.provisioning.maxBytes'],
    ['provisioning maxBytes as text', { hub: { provisioning: { maxBytes: '16M' } } }, 'hub.provisioning.maxBytes'],
    ['provisioning maxBytes above 1 GiB', { hub: { provisioning: { maxBytes: 2 ** 31 } } }, 'hub.provisioning.maxBytes'],
    ['provisioning timeout a number', { hub: { provisioning: { timeout: 15 } } }, 'hub.provisioning.timeout'],
    ['provisioning timeout zero', { hub: { provisioning: { timeout: '0s' } } }, 'hub.provisioning.timeout'],
    ['provisioning timeout without unit', { hub: { provisioning: { timeout: '15' } } }, 'hub.provisioning.timeout'],
    ['agent timeout', { agent: { enrollTimeout: '1y' } }, 'agent.enrollTimeout'],
    ['unknown agent field', { agent: { url: 'x' } }, 'agent.url'],
    ['agent admin listen a name', { agent: { admin: { listen: 'localhost' } } }, 'agent.admin.listen[0]'],
    ['agent admin listen empty list', { agent: { admin: { listen: [] } } }, 'agent.admin.listen'],
    ['agent admin port', { agent: { admin: { port: 70000 } } }, 'agent.admin.port'],
    ['agent admin metrics', { agent: { admin: { metrics: 'public' } } }, 'agent.admin.metrics'],
    ['agent admin enabled', { agent: { admin: { enabled: 'yes' } } }, 'agent.admin.enabled'],
    ['unknown agent admin field', { agent: { admin: { password: 'x' } } }, 'agent.admin.password'],
    ['hub admin listen lan', { hub: { admin: { listen: ['127.0.0.1', 'lan'] } } }, 'hub.admin.listen[1]'],
    ['hub admin token file', { hub: { admin: { tokenFile: 5 } } }, 'hub.admin.tokenFile'],
  ];
  for (const [name, doc, path] of table) {
    assert.throws(() => validateConfig(doc), (e: unknown) => e instanceof ConfigError && e.path === path && e.message.startsWith(`${path}: `), name);
  }
});

test('valid values are converted: durations to ms, IPv6 listen addresses, names and IPs', () => {
  const config = validateConfig({
    stateDir: '/srv/sbc',
    hub: { publicName: 'hub.example.net', altNames: ['203.0.113.10', '2001:db8::1', 'alias.example.net'], enrollment: { listen: '::', port: 15001 }, keyLifetime: '12h', lockout: { baseDelay: '0ms', maxDelay: '0ms', duration: '1m' } },
    agent: { enrollTimeout: '3s' },
  });
  assert.equal(config.stateDir, '/srv/sbc');
  assert.deepEqual(config.hub.enrollment, { listen: '::', port: 15001 });
  assert.deepEqual(config.hub.tunnel, DEFAULT_CONFIG.hub.tunnel);
  assert.equal(DEFAULT_CONFIG.hub.tunnel.resumeWindowMs, 300_000);
  assert.deepEqual(validateConfig({ hub: { tunnel: { listen: '127.0.0.1', resumeWindow: '90s' } } }).hub.tunnel, { listen: '127.0.0.1', port: 5090, resumeWindowMs: 90_000 });
  assert.equal(config.hub.keyLifetimeMs, 12 * 3_600_000);
  assert.deepEqual(config.hub.lockout, { ...DEFAULT_CONFIG.hub.lockout, baseDelayMs: 0, maxDelayMs: 0, durationMs: 60_000 });
  assert.equal(config.agent.enrollTimeoutMs, 3000);
});

test('durations: the accepted forms and the refused ones', () => {
  const table: Array<[string, number | undefined]> = [
    ['250ms', 250], ['30s', 30_000], ['15m', 900_000], ['12h', 43_200_000], ['7d', 604_800_000], ['2w', 1_209_600_000], [' 5s ', 5000],
    ['7', undefined], ['1.5h', undefined], ['-1s', undefined], ['5 s', undefined], ['1y', undefined], ['', undefined],
  ];
  for (const [text, ms] of table) assert.equal(parseDuration(text), ms, text);
  assert.equal(formatDuration(604_800_000), '1w');
  assert.equal(formatDuration(86_400_000 * 3), '3d');
  assert.equal(formatDuration(1500), '1500ms');
});

test('YAML: the example files are valid; syntax errors give the line; a missing file is a file error', async (t) => {
  const hub = parseConfigText(readFileSync(join(REPO_ROOT, 'config', 'hub.yaml'), 'utf8'));
  assert.equal(hub.hub.publicName, 'hub.example.net');
  assert.deepEqual(hub.hub.altNames, ['203.0.113.10']);
  assert.deepEqual({ ...hub.hub, publicName: undefined, altNames: [] }, DEFAULT_CONFIG.hub, 'the example shows the defaults');
  assert.deepEqual(parseConfigText(readFileSync(join(REPO_ROOT, 'config', 'agent.yaml'), 'utf8')), DEFAULT_CONFIG);
  assert.throws(() => parseConfigText('hub:\n  enrollment: [\n'), (e: unknown) => e instanceof ConfigError && /^\(line \d+\)$/.test(e.path));
  assert.throws(() => parseConfigText('hub: {}\nhub: {}\n'), ConfigError, 'duplicate keys');
  const dir = await mkdtemp(join(tmpdir(), 'sbc-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await assert.rejects(loadConfig(join(dir, 'absent.yaml')), ConfigFileError);
  const file = join(dir, 'hub.yaml');
  await writeFile(file, 'hub:\n  tunnel:\n    port: 70000\n');
  await assert.rejects(loadConfig(file), (e: unknown) => e instanceof ConfigError && e.path === 'hub.tunnel.port' && e.message.includes(file));
  assert.deepEqual(await loadConfig(undefined), DEFAULT_CONFIG);
});

test('the JSON schema lists exactly the fields the validator knows', () => {
  const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'config', 'sbc-agent.schema.json'), 'utf8')) as { properties: Record<string, { properties?: Record<string, { properties?: Record<string, unknown> }> }> };
  const doc: Record<string, Record<string, unknown>> = {};
  for (const [section, spec] of Object.entries(schema.properties)) {
    if (spec.properties === undefined) continue;
    doc[section] = {};
    for (const field of Object.keys(spec.properties)) assert.ok(validateConfig({ [section]: { [field]: undefined } }), `${section}.${field}`);
  }
  assert.deepEqual(Object.keys(schema.properties).sort(), ['agent', 'hub', 'log', 'stateDir']);
  assert.deepEqual(Object.keys(schema.properties['agent']?.properties ?? {}).sort(), ['admin', 'calls', 'drainTimeout', 'enrollTimeout', 'hubs', 'lan', 'media', 'pnp', 'protection', 'sip', 'stun', 'survival', 'upstreamExpires']);
  assert.deepEqual(Object.keys(schema.properties['hub']?.properties ?? {}).sort(), ['admin', 'altNames', 'builtinPbx', 'cdr', 'enrollment', 'keyLifetime', 'lockout', 'media', 'pbx', 'protection', 'provisioning', 'publicName', 'routing', 'sip', 'sipEcho', 'tunnel', 'wss']);
  assert.deepEqual(Object.keys(schema.properties['hub']?.properties?.['cdr']?.properties ?? {}), ['retentionDays']);
  assert.deepEqual(Object.keys(schema.properties['hub']?.properties?.['lockout']?.properties ?? {}).sort(), ['baseDelay', 'duration', 'maxDelay', 'maxFailures', 'window']);
  assert.deepEqual(Object.keys(schema.properties['hub']?.properties?.['provisioning']?.properties ?? {}).sort(), ['insecure', 'maxBytes', 'timeout', 'upstream']);
});

test('hub.cdr: 90 days by default; retentionDays taken as written', () => {
  assert.deepEqual(validateConfig({}).hub.cdr, { retentionDays: 90 });
  assert.deepEqual(validateConfig({ hub: { cdr: {} } }).hub.cdr, { retentionDays: 90 });
  assert.deepEqual(validateConfig({ hub: { cdr: { retentionDays: 400 } } }).hub.cdr, { retentionDays: 400 });
});

test('hub.provisioning: defaults without it; upstream URL, insecure, maxBytes and timeout converted', () => {
  assert.deepEqual(validateConfig({}).hub.provisioning, { upstream: undefined, insecure: false, maxBytes: 16 * 1024 * 1024, timeoutMs: 15_000 });
  assert.deepEqual(validateConfig({ hub: { provisioning: {} } }).hub.provisioning, DEFAULT_CONFIG.hub.provisioning);
  const table: Array<[Record<string, unknown>, typeof DEFAULT_CONFIG.hub.provisioning]> = [
    [{ upstream: 'http://192.0.2.50/prov/' }, { ...DEFAULT_CONFIG.hub.provisioning, upstream: 'http://192.0.2.50/prov/' }],
    [{ upstream: 'https://pbx.example.net:8443/p', insecure: true }, { ...DEFAULT_CONFIG.hub.provisioning, upstream: 'https://pbx.example.net:8443/p', insecure: true }],
    [{ upstream: 'https://prov:secret@[2001:db8::5]/', maxBytes: 1024, timeout: '2m' }, { upstream: 'https://prov:secret@[2001:db8::5]/', insecure: false, maxBytes: 1024, timeoutMs: 120_000 }],
    [{ insecure: false, timeout: '500ms' }, { ...DEFAULT_CONFIG.hub.provisioning, timeoutMs: 500 }],
  ];
  for (const [provisioning, expected] of table) assert.deepEqual(validateConfig({ hub: { provisioning } }).hub.provisioning, expected, JSON.stringify(provisioning));
  // Served with or without the call path: the two sections are independent.
  const both = validateConfig({ hub: { provisioning: { upstream: 'http://192.0.2.50/' }, pbx: { host: '192.0.2.50' }, sip: { listen: '192.0.2.10' } } });
  assert.equal(both.hub.provisioning.upstream, 'http://192.0.2.50/');
  assert.equal(both.hub.callPath?.pbx.host, '192.0.2.50');
});

test('agent.admin and hub.admin: 127.0.0.1 by default, never every address; lan on the agent only; required when listen or port is given', () => {
  const d = validateConfig({});
  assert.deepEqual(d.agent.admin, { enabled: true, listen: ['127.0.0.1'], port: 8081, tokenFile: undefined, metrics: 'token', required: false });
  assert.deepEqual(d.hub.admin, { enabled: true, listen: ['127.0.0.1'], port: 8082, tokenFile: undefined, metrics: 'token', required: false });
  const c = validateConfig({ agent: { admin: { listen: '127.0.0.1, lan', port: 0, metrics: 'open', tokenFile: '/etc/sbc-agent/admin-token' } }, hub: { admin: { listen: ['10.0.0.5', '::1'], enabled: false } } });
  assert.deepEqual(c.agent.admin, { enabled: true, listen: ['127.0.0.1', 'lan'], port: 0, tokenFile: '/etc/sbc-agent/admin-token', metrics: 'open', required: true });
  assert.deepEqual(c.hub.admin, { enabled: false, listen: ['10.0.0.5', '::1'], port: 8082, tokenFile: undefined, metrics: 'token', required: true });
  assert.equal(validateConfig({ hub: { admin: { metrics: 'open' } } }).hub.admin.required, false, 'only listen or port make the listener required');
});
