/**
 * The hub's admin API against a real hub in this process (state, enrollment HTTPS listener, tunnel
 * listeners, the admin service of `sbc-agent hub`) on 127.0.0.1: every endpoint 401 without the
 * token; POST /api/sbcs issues a URL, key and fingerprint that a real enrollment then uses; rekey,
 * rename and revoke act on the same SBC list as the CLI; bad input is 400 naming the field;
 * /metrics follows the list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realClock, silentLogger } from '../../../src/core/index.js';
import { DEFAULT_CONFIG, type SbcConfig } from '../../../src/config/index.js';
import { Hub } from '../../../src/hub.js';
import { hubTunnelService } from '../../../src/hub-tunnel.js';
import { hubAdminService } from '../../../src/cli/hub-admin-service.js';
import { callsBySbc } from '../../../src/admin/index.js';
import { fetchPeerChain, postJsonPinned } from '../../../src/net/index.js';
import { EnrollError, enrollAgent, type EnrollTransport } from '../../../src/tunnel/index.js';
import type { CdrRecord } from '../../../src/routing/index.js';
import { T0, cdr } from '../../support/cdr-records.js';
import { freePort } from '../../support/free-port.js';
import { parsePromText, promValue } from '../../support/prom-text.js';

/** Concrete tunnel ports: the enrollment answer hands them to the agent (0 would be refused). */
async function hubConfig(): Promise<SbcConfig> {
  return {
    ...DEFAULT_CONFIG,
    hub: {
      ...DEFAULT_CONFIG.hub,
      altNames: ['127.0.0.1'],
      enrollment: { listen: '127.0.0.1', port: 0 },
      tunnel: { listen: '127.0.0.1', port: await freePort() },
      wss: { listen: '127.0.0.1', port: await freePort(), path: '/tunnel' },
      admin: { ...DEFAULT_CONFIG.hub.admin, port: 0 },
    },
  };
}

const TRANSPORT: EnrollTransport = {
  peerChain: (url) => fetchPeerChain(url, { timeoutMs: 5000 }),
  post: (url, body, verify) => postJsonPinned(url, body, verify, { timeoutMs: 5000 }),
};

async function startHub(t: { after: (fn: () => Promise<void>) => void }) {
  const CONFIG = await hubConfig();
  const dir = await mkdtemp(join(tmpdir(), 'sbc-hub-admin-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const hub = await Hub.open({ config: CONFIG, stateDir: dir, logger: silentLogger });
  const tunnel = hubTunnelService({ state: hub.state, config: CONFIG.hub, clock: hub.clock, logger: silentLogger });
  hub.add(tunnel);
  const admin = hubAdminService({ hub, config: CONFIG, stateDir: dir, tunnel, routingVersion: () => undefined, logger: silentLogger });
  hub.add(admin);
  await hub.start();
  t.after(() => hub.close());
  const token = (await readFile(join(dir, 'admin-token'), 'utf8')).trim();
  assert.equal((await stat(join(dir, 'admin-token'))).mode & 0o777, 0o600);
  const port = hub.listeners().find((l) => l.name === 'admin')?.port;
  assert.ok(port !== undefined && port > 0, 'the admin listener is among the hub listeners');
  const base = `http://127.0.0.1:${port}`;
  const call = async (method: string, path: string, body?: unknown, auth: string | null = token) => {
    const res = await fetch(`${base}${path}`, { method, headers: { ...(auth === null ? {} : { Authorization: `Bearer ${auth}` }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, text, json: (text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : {}) as Record<string, unknown> & unknown[] };
  };
  return { hub, dir, token, base, call };
}

test('hub admin API: every endpoint is 401 without the token', async (t) => {
  const h = await startHub(t);
  const rows: [string, string][] = [['GET', '/api/sbcs'], ['POST', '/api/sbcs'], ['POST', '/api/sbcs/a/revoke'], ['POST', '/api/sbcs/a/rekey'], ['POST', '/api/sbcs/a/rename'], ['GET', '/api/routing'], ['GET', '/api/events/recent'], ['GET', '/metrics']];
  for (const [method, path] of rows) assert.equal((await h.call(method, path, method === 'POST' ? { name: 'x' } : undefined, null)).status, 401, `${method} ${path}`);
  assert.equal((await h.call('GET', '/api/sbcs', undefined, 'wrong-token-123456789')).status, 401, 'a wrong token');
  assert.deepEqual((await h.call('GET', '/api/sbcs')).json, [], 'the 9th failure still lets the right token in');
  assert.equal((await h.call('GET', '/api/sbcs', undefined, 'wrong-token-123456789')).status, 401);
  assert.equal((await h.call('GET', '/api/sbcs')).status, 429, 'after 10 wrong tokens in a minute the source waits');
  assert.deepEqual(h.hub.state.store.list(), [], 'no refused POST added an SBC');
});

test('hub admin API: add an SBC, enroll with what it answered, rekey, rename, revoke, as the CLI does', async (t) => {
  const h = await startHub(t);
  const added = await h.call('POST', '/api/sbcs', { name: 'branch-a', expires: '2d' });
  assert.equal(added.status, 201, added.text);
  const a = added.json as unknown as Record<string, string>;
  assert.match(a['url'] ?? '', /^https:\/\/127\.0\.0\.1:\d+\/enroll\/[a-z0-9]+$/);
  assert.equal(a['fingerprint'], h.hub.state.fingerprint);
  assert.match(a['key'] ?? '', /^[0-9A-Z]{4}(-[0-9A-Z]{4})+$/);
  assert.match(a['qrSvg'] ?? '', /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  const listed = (await h.call('GET', '/api/sbcs')).json as unknown as Record<string, unknown>[];
  assert.deepEqual(listed.map((s) => [s['name'], s['state'], s['enrolled'], s['online']]), [['branch-a', 'pending', false, false]]);
  assert.equal(JSON.stringify(listed).includes(a['key'] ?? '?'), false, 'the key is shown once, never listed');

  const rekeyed = (await h.call('POST', '/api/sbcs/branch-a/rekey', {})).json as unknown as Record<string, string>;
  assert.notEqual(rekeyed['key'], a['key']);
  await assert.rejects(
    enrollAgent({ url: a['url'] ?? '', key: a['key'] ?? '', fingerprint: h.hub.state.fingerprint, confirm: () => Promise.resolve(true), transport: TRANSPORT, clock: realClock }),
    (e: unknown) => e instanceof EnrollError,
    'the first key is void after rekey',
  );
  const identity = await enrollAgent({ url: rekeyed['url'] ?? '', key: rekeyed['key'] ?? '', fingerprint: h.hub.state.fingerprint, confirm: () => Promise.resolve(true), transport: TRANSPORT, clock: realClock });
  assert.equal(identity.record.sbc.name, 'branch-a');
  assert.equal(((await h.call('GET', '/api/sbcs')).json as unknown as Record<string, unknown>[])[0]?.['state'], 'enrolled');

  const renamed = await h.call('POST', '/api/sbcs/branch-a/rename', { to: 'branch-lyon' });
  assert.equal(renamed.status, 200, renamed.text);
  assert.equal((renamed.json as unknown as Record<string, unknown>)['name'], 'branch-lyon');
  const revoked = await h.call('POST', '/api/sbcs/branch-lyon/revoke', {});
  assert.equal((revoked.json as unknown as Record<string, unknown>)['state'], 'revoked');
  assert.deepEqual(h.hub.state.store.list().map((r) => [r.name, r.state]), [['branch-lyon', 'revoked']], 'the same SBC list the CLI and the tunnel use');

  const metrics = parsePromText((await h.call('GET', '/metrics')).text);
  assert.equal(promValue(metrics, 'sbc_hub_sbcs', { state: 'revoked' }), 1);
  assert.equal(promValue(metrics, 'sbc_hub_sbcs', { state: 'enrolled' }), 0);
  assert.equal(promValue(metrics, 'sbc_hub_tunnels_up'), 0);
  assert.deepEqual((await h.call('GET', '/api/routing')).json, { version: null, agents: [] });
  const history = (await h.call('GET', '/api/history')).json as unknown as { intervalMs: number; t: number[]; fields: Record<string, unknown> };
  assert.equal(history.intervalMs, 10_000);
  assert.ok(history.t.length >= 1, 'sampled once at start');
  assert.equal(history.fields['branch-lyon'], undefined, 'a revoked SBC is not sampled (none existed at start either)');
});

test('hub admin API: bad input is 400 naming the field; unknown SBCs 404; taken names 409; 405', async (t) => {
  const h = await startHub(t);
  assert.equal((await h.call('POST', '/api/sbcs', { name: 'taken' })).status, 201);
  const rows: [string, string, unknown, number, string | undefined][] = [
    ['POST', '/api/sbcs', {}, 400, 'name'],
    ['POST', '/api/sbcs', { name: '' }, 400, 'name'],
    ['POST', '/api/sbcs', { name: 42 }, 400, 'name'],
    ['POST', '/api/sbcs', { name: 'bad name/with slash' }, 400, 'name'],
    ['POST', '/api/sbcs', { name: 'ok-name', expires: 'soon' }, 400, 'expires'],
    ['POST', '/api/sbcs', { name: 'ok-name', expires: '400d' }, 400, 'expires'],
    ['POST', '/api/sbcs', { name: 'taken' }, 409, 'name'],
    ['POST', '/api/sbcs/taken/rename', {}, 400, 'to'],
    ['POST', '/api/sbcs/taken/rename', { to: 'bad name/x' }, 400, 'to'],
    ['POST', '/api/sbcs/nobody/revoke', {}, 404, 'name'],
    ['POST', '/api/sbcs/nobody/rekey', {}, 404, 'name'],
    ['POST', '/api/sbcs/taken/explode', {}, 404, undefined],
    ['GET', '/api/sbcs/taken/revoke', undefined, 405, undefined],
    ['GET', '/api/events/recent?limit=-1', undefined, 400, 'limit'],
  ];
  for (const [method, path, body, status, field] of rows) {
    const r = await h.call(method, path, body);
    assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)}: ${r.text}`);
    const error = (r.json as unknown as Record<string, Record<string, unknown>>)['error'];
    if (field !== undefined) assert.equal(error?.['field'], field, `${method} ${path} ${JSON.stringify(body)}`);
  }
  assert.deepEqual(h.hub.state.store.list().map((r) => r.name), ['taken'], 'no refused request changed the list');
});

test('hub admin listener: a taken default port leaves the hub without it (warned); a configured one stops the start', async (t) => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  const taken = (holder.address() as AddressInfo).port;
  const warnings: string[] = [];
  const logger = Object.assign(Object.create(silentLogger) as typeof silentLogger, { warn: (_o: unknown, msg: string) => void warnings.push(msg) });
  for (const required of [false, true]) {
    const base = await hubConfig();
    const config: SbcConfig = { ...base, hub: { ...base.hub, admin: { ...base.hub.admin, port: taken, required } } };
    const dir = await mkdtemp(join(tmpdir(), 'sbc-hub-admin-taken-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const hub = await Hub.open({ config, stateDir: dir, logger: silentLogger });
    const tunnel = hubTunnelService({ state: hub.state, config: config.hub, clock: hub.clock, logger: silentLogger });
    hub.add(tunnel);
    const admin = hubAdminService({ hub, config, stateDir: dir, tunnel, routingVersion: () => undefined, logger });
    hub.add(admin);
    if (required) {
      await assert.rejects(hub.start(), { code: 'SBC_ERR_BIND' });
      continue;
    }
    await hub.start();
    t.after(() => hub.close());
    assert.equal(admin.server(), undefined);
    assert.deepEqual(hub.listeners().filter((l) => l.name === 'admin'), []);
    assert.deepEqual(warnings, ['admin API not started: its default port is taken; set hub.admin.port to run it']);
  }
});

test('callsBySbc: the hub\'s legs (<peer>/<Call-ID>, peer = SBC id or <id>.lanN) counted per SBC name, each call once', () => {
  const sbcs = [{ id: 'abc123', name: 'branch-a' }, { id: 'def456', name: 'branch-b' }] as unknown as Parameters<typeof callsBySbc>[1];
  const legs = ['abc123/c1', 'abc123/c1', 'abc123.lan2/c2', 'def456/c3', 'zzz999/c4', 'no-slash'].map((callId) => ({ callId }));
  assert.deepEqual([...callsBySbc(legs, sbcs)], [['branch-a', 2], ['branch-b', 1]]);
  assert.deepEqual([...callsBySbc([], sbcs)], []);
});

test('hub admin API: GET /api/cdrs lists the CDR store as `hub cdr --json` does, with its filters; bad ones 400 naming the field', async (t) => {
  const h = await startHub(t);
  const cdrDir = join(h.dir, 'hub', 'cdr');
  await mkdir(cdrDir, { recursive: true });
  const line = (r: CdrRecord): string => `${JSON.stringify(r)}\n`;
  const yesterday = cdr(3, { id: 'yesterday', startedAt: T0 - 86_400_000, endedAt: T0 - 86_400_000 + 30_000, answeredAt: T0 - 86_400_000 + 1000, talkSeconds: 29 });
  const today = [cdr(0), cdr(1, { agent: 'branch-paris' }), cdr(2)];
  await writeFile(join(cdrDir, '2026-12-02.jsonl'), line(yesterday));
  // A record uploaded twice (a crash between write and acknowledgement), then a torn last line.
  await writeFile(join(cdrDir, '2026-12-03.jsonl'), `${today.map(line).join('')}${line(today[1] as CdrRecord)}${line(cdr(9)).slice(0, 30)}`);
  const ids = async (query: string): Promise<string[]> => {
    const r = await h.call('GET', `/api/cdrs${query}`);
    assert.equal(r.status, 200, `${query}: ${r.text}`);
    return (r.json as unknown as { records: CdrRecord[] }).records.map((c) => c.id);
  };
  const all = (await h.call('GET', '/api/cdrs')).json as unknown as { records: CdrRecord[]; unreadable: number; limit: number };
  assert.deepEqual(all.records, [yesterday, ...today], 'oldest first, each record once, whole');
  assert.equal(all.unreadable, 1, 'the torn line is counted, not shown');
  assert.equal(all.limit, 1000, 'the default page');
  const filters: [string, string[]][] = [
    ['?sbc=branch-paris', [today[1]?.id ?? '']],
    ['?sbc=nobody', []],
    [`?since=${T0}`, today.map((r) => r.id)],
    [`?since=${new Date(T0 + 60_000).toISOString()}`, [today[1]?.id ?? '', today[2]?.id ?? '']],
    ['?since=2026-12-03', today.map((r) => r.id)],
    ['?since=2026-12-03T11:01:00+01:00', [today[1]?.id ?? '', today[2]?.id ?? '']],
    ['?since=2026-12-03T11:01:00%2B01:00', [today[1]?.id ?? '', today[2]?.id ?? '']],
    ['?limit=2', [today[1]?.id ?? '', today[2]?.id ?? '']],
    [`?sbc=branch-lyon&since=${T0 - 86_400_000}&limit=2`, [today[0]?.id ?? '', today[2]?.id ?? '']],
  ];
  for (const [query, expected] of filters) assert.deepEqual(await ids(query), expected, query);
  const bad: [string, string][] = [
    ['?sbc=', 'sbc'],
    ['?since=yesterday', 'since'],
    ['?since=2026-13-45', 'since'],
    ['?since=-5', 'since'],
    ['?limit=0', 'limit'],
    ['?limit=10001', 'limit'],
    ['?limit=2.5', 'limit'],
    ['?limit=ten', 'limit'],
  ];
  for (const [query, field] of bad) {
    const r = await h.call('GET', `/api/cdrs${query}`);
    assert.equal(r.status, 400, `${query}: ${r.text}`);
    assert.equal((r.json as unknown as Record<string, Record<string, unknown>>)['error']?.['field'], field, query);
  }
  assert.equal((await h.call('GET', '/api/cdrs', undefined, null)).status, 401, 'no token');
  assert.equal((await h.call('POST', '/api/cdrs', {})).status, 405);
});
