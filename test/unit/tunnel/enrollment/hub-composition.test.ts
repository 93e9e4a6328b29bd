/**
 * The hub composition root in one process: state on first run, the real HTTPS enrollment listener
 * on 127.0.0.1 and the agent's real pinned HTTPS client, an added service started after enrollment
 * and closed before it, and the status file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realClock, silentLogger } from '../../../../src/core/index.js';
import { DEFAULT_CONFIG, type SbcConfig } from '../../../../src/config/index.js';
import { Hub, hubAddresses, openHubState, type HubService } from '../../../../src/hub.js';
import { fetchPeerChain, postJsonPinned } from '../../../../src/net/index.js';
import { readStatusFile } from '../../../../src/platform/index.js';
import { EnrollError, checkAgentCertificate, enrollAgent, generateAuthKey, hashAuthKey, subjectAltNamesOf, type EnrollTransport } from '../../../../src/tunnel/index.js';
import { FAST_SCRYPT } from './fixtures.js';

const CONFIG: SbcConfig = {
  ...DEFAULT_CONFIG,
  hub: { ...DEFAULT_CONFIG.hub, publicName: 'hub.test', altNames: ['127.0.0.1'], enrollment: { listen: '127.0.0.1', port: 0 } },
};

const TRANSPORT: EnrollTransport = {
  peerChain: (url) => fetchPeerChain(url, { timeoutMs: 5000 }),
  post: (url, body, verify) => postJsonPinned(url, body, verify, { timeoutMs: 5000 }),
};

test('hub: first run creates CA and server certificate; enrollment over real HTTPS; services start and stop in order', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-hub-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const hub = await Hub.open({ config: CONFIG, stateDir: dir, logger: silentLogger, scrypt: FAST_SCRYPT });
  assert.deepEqual(subjectAltNamesOf(hub.state.server.certPem), ['hub.test', '127.0.0.1', 'localhost', '::1']);
  const again = await openHubState(dir, CONFIG.hub, realClock);
  assert.equal(again.fingerprint, hub.state.fingerprint, 'the CA is made once');
  assert.equal(again.server.certPem, hub.state.server.certPem, 'an unchanged server certificate is kept');
  const renamed = await openHubState(dir, { ...CONFIG.hub, altNames: ['127.0.0.1', 'alias.test'] }, realClock);
  assert.equal(renamed.fingerprint, hub.state.fingerprint);
  assert.notEqual(renamed.server.certPem, hub.state.server.certPem, 'new names, new server certificate');

  const events: string[] = [];
  const tunnel: HubService = {
    name: 'tunnel',
    start: () => Promise.resolve(void events.push(`start, enrollment on ${hub.listeners()[0]?.port ?? 'none'}`)),
    close: () => Promise.resolve(void events.push('close')),
    listeners: () => [{ name: 'tunnel', address: '127.0.0.1', port: 5090 }],
    tunnels: () => [{ state: 'up', peer: 'branch-a', rttMs: 1.5 }],
  };
  hub.add(tunnel);
  await hub.start();
  t.after(() => hub.close());
  assert.throws(() => hub.add(tunnel), /before start/);
  const [enrollment] = hub.listeners();
  assert.ok(enrollment !== undefined && enrollment.port > 0);
  assert.deepEqual(events, [`start, enrollment on ${enrollment.port}`]);

  const key = generateAuthKey();
  const record = await hub.state.store.add('branch-a', 'ida', await hashAuthKey(key, FAST_SCRYPT), 60_000);
  const url = `https://127.0.0.1:${enrollment.port}/enroll/${record.id}`;
  await assert.rejects(
    enrollAgent({ url, key, fingerprint: '00'.repeat(32), confirm: () => Promise.resolve(true), transport: TRANSPORT, clock: realClock }),
    (e: unknown) => e instanceof EnrollError && e.reason === 'fingerprint',
  );
  const identity = await enrollAgent({ url, key, fingerprint: hub.state.fingerprint, confirm: () => Promise.resolve(true), transport: TRANSPORT, clock: realClock });
  assert.deepEqual(identity.record.hub, { name: 'hub.test', tunnel: { host: 'hub.test', port: 5090 }, wss: { url: 'wss://hub.test/tunnel' } });
  assert.equal(checkAgentCertificate(hub.state.store, { fingerprint256: identity.record.certificateFingerprint }).ok, true);

  const status = await readStatusFile(hub.state.paths.status, Date.now());
  assert.ok(status.running);
  assert.deepEqual(status.status.listeners.map((l) => l.name), ['enrollment', 'tunnel']);
  assert.deepEqual(status.status.tunnels, [{ state: 'up', peer: 'branch-a', rttMs: 1.5 }]);
  const oversized = await postJsonPinned(new URL(url), 'x'.repeat(20_000), () => undefined);
  assert.equal(oversized.status, 413);

  await hub.close();
  await hub.close();
  assert.deepEqual(events.slice(1), ['close']);
  assert.equal((await readStatusFile(hub.state.paths.status, Date.now())).running, false);
  await assert.rejects(fetchPeerChain(new URL(url), { timeoutMs: 2000 }), /ECONNREFUSED/);
  assert.match(await readFile(hub.state.paths.sbcList, 'utf8'), /"state": "enrolled"/);
});

test('hubAddresses: the configured public name, else the Host the agent used; the TLS name is one the certificate holds', () => {
  const names = ['hub.test', '127.0.0.1', 'localhost', '::1'];
  const open = { ...DEFAULT_CONFIG, hub: { ...DEFAULT_CONFIG.hub, publicName: undefined } };
  assert.deepEqual(hubAddresses(open, names, '127.0.0.1:5001'), { name: '127.0.0.1', tunnel: { host: '127.0.0.1', port: 5090 }, wss: { url: 'wss://127.0.0.1/tunnel' } });
  assert.deepEqual(hubAddresses(open, names, '[::1]:5001'), { name: '::1', tunnel: { host: '::1', port: 5090 }, wss: { url: 'wss://[::1]/tunnel' } });
  assert.deepEqual(hubAddresses(open, names, 'other.example:5001').name, 'hub.test');
  assert.deepEqual(hubAddresses(CONFIG, names, 'ignored:1'), { name: 'hub.test', tunnel: { host: 'hub.test', port: 5090 }, wss: { url: 'wss://hub.test/tunnel' } });
  const wss8443 = { ...CONFIG, hub: { ...CONFIG.hub, wss: { ...CONFIG.hub.wss, port: 8443 } } };
  assert.equal(hubAddresses(wss8443, names, undefined).wss.url, 'wss://hub.test:8443/tunnel');
});

test('a first start that fails takes its new CA away; a hub that ran before keeps its own', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-hub-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const failing: HubService = { name: 'tunnel', start: () => Promise.reject(new Error('port taken')), close: () => Promise.resolve() };
  const first = await Hub.open({ config: CONFIG, stateDir: dir, logger: silentLogger, scrypt: FAST_SCRYPT });
  assert.equal(first.state.created, true);
  first.add(failing);
  await assert.rejects(first.start(), /port taken/);
  assert.deepEqual(await readdir(dir), [], 'no CA, no server certificate, no hub folder');

  const ran = await Hub.open({ config: CONFIG, stateDir: dir, logger: silentLogger, scrypt: FAST_SCRYPT });
  await ran.start();
  await ran.close();
  const again = await Hub.open({ config: CONFIG, stateDir: dir, logger: silentLogger, scrypt: FAST_SCRYPT });
  assert.equal(again.state.created, false);
  again.add(failing);
  await assert.rejects(again.start(), /port taken/);
  assert.equal(await readFile(again.state.paths.caCert, 'utf8'), ran.state.ca.certPem, 'the CA of a hub that ran stays');
});
