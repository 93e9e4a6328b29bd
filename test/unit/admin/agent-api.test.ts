/**
 * The agent's admin API over real HTTP on 127.0.0.1: every endpoint refused without the token and
 * with a wrong one (401), answered with it; bad input answered 400 naming the field; 404 and 405;
 * 429 after too many wrong tokens; the event stream (WebSocket, token in the header or ?token=)
 * delivering extension_register/unregister and call events as the agent's state changes; /metrics
 * parsed as Prometheus text, its values following a registration and a call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { realClock, silentLogger } from '../../../src/core/index.js';
import { AGENT_METRICS, AdminEvents, AdminMetrics, AdminServer, AgentWatch, agentMetrics, agentMode, agentRouter, badField, loadPages, type AdminBlock, type AdminEvent, type AgentAdminSource, type RegisteredPhone } from '../../../src/admin/index.js';
import type { PhoneRecord } from '../../../src/pnp/index.js';
import type { CallRow } from '../../../src/sbc/index.js';
import { parsePromText, promValue } from '../../support/prom-text.js';

const TOKEN = 'test-token-0123456789abcdef';

class FakeAgent {
  phones: RegisteredPhone[] = [];
  calls: CallRow[] = [];
  inbox: PhoneRecord[] = [{ id: '001565f4f9e1', mac: '001565f4f9e1', brand: 'yealink', model: 'T46S', firmware: undefined, userAgent: undefined, ip: '192.168.1.50', firstSeen: undefined, lastSeen: undefined, state: 'pending', extension: undefined }];
  tunnelListener: ((up: boolean, d: Record<string, unknown>) => void) | undefined;
  blocks: AdminBlock[] = [{ address: '192.0.2.7', reason: 'auth', since: '2026-12-03T10:00:00.000Z', until: '2026-12-03T11:00:00.000Z' }, { address: '198.51.100.0/24', reason: 'deny', since: '2026-12-03T09:00:00.000Z', until: null }];
  extraParts: Record<string, unknown> = {};
  source(): AgentAdminSource {
    return {
      status: () => Promise.resolve({ stateDir: '/x', hub: null, agent: { role: 'agent', running: true } }),
      tunnel: () => ({ state: 'up', peer: '127.0.0.1:5090', carriage: 'tls', rttMs: 2.5, reconnects: 1, sent: { bytes: 100, frames: 2 }, received: { bytes: 50, frames: 1 }, droppedDatagrams: 0 }),
      parts: () => ({ mode: 'normal', lans: [{ name: 'eth1', address: '192.168.1.1', reason: 'configured' }], nat: { state: 'not configured' }, pnp: { answered: 3, phones: { pending: 1, approved: 0, rejected: 0 } }, ...this.extraParts }),
      registrations: () => this.phones,
      phones: () => this.inbox,
      decidePhone: (id, state, extension) => {
        this.inbox = this.inbox.map((p) => (p.id === id ? { ...p, state, extension } : p));
        return Promise.resolve(this.inbox.find((p) => p.id === id));
      },
      calls: () => Promise.resolve({ version: 1, side: 'agent', updatedAt: new Date().toISOString(), calls: this.calls }),
      callFailures: () => 2,
      history: () => ({ intervalMs: 10_000, t: [1_767_225_600], fields: { rttMs: [2.5], calls: [0] } }),
      blocks: () => Promise.resolve(this.blocks),
      liftBlock: (address) => {
        // As run-admin.ts does with blocks lift's parser: a bad address is a 400 naming it.
        if (!/^[0-9a-f.:]+(\/\d{1,3})?$/i.test(address)) return Promise.reject(badField('address', `'${address}' is not an IP address or mask`));
        const found = this.blocks.find((b) => b.address === address);
        this.blocks = this.blocks.filter((b) => b !== found);
        return Promise.resolve(found);
      },
    };
  }
}

function row(callId: string, fromPackets: number, toPackets: number): CallRow {
  const dir = (packets: number) => ({ packets, lost: packets > 0 ? 1 : 0, lossRatio: 0, jitterMs: 1, lastPacketAt: undefined });
  return { callId, leg: 'a', stream: 0, local: false, channel: 1, edgePort: 40000, startedAt: 0, fromEdge: dir(fromPackets), toEdge: dir(toPackets), oneWay: undefined };
}

async function start(maxFailures?: number) {
  const fake = new FakeAgent();
  const source = fake.source();
  const events = new AdminEvents(realClock);
  // As run-admin.ts: the watch reads the one-word mode of the status parts.
  const watch = new AgentWatch({ clock: realClock, events, source: { registrations: source.registrations, calls: source.calls, mode: () => agentMode(source.parts()), onTunnel: (l) => ((fake.tunnelListener = l), () => (fake.tunnelListener = undefined)) }, intervalMs: 60_000 });
  watch.start();
  const server = await AdminServer.start({
    clock: realClock, logger: silentLogger, listen: ['127.0.0.1'], port: 0, token: TOKEN,
    router: agentRouter(source, events), events, metrics: await AdminMetrics.create(AGENT_METRICS, () => agentMetrics(source, watch)),
    pages: await loadPages('agent'), ...(maxFailures === undefined ? {} : { maxFailures }),
  });
  const base = `http://127.0.0.1:${server.addresses[0]?.port ?? 0}`;
  return { fake, events, watch, server, base, close: async () => { watch.close(); await server.close(); } };
}

async function call(base: string, method: string, path: string, token: string | undefined, body?: unknown): Promise<{ status: number; json: Record<string, unknown>; text: string; headers: Headers }> {
  const res = await fetch(`${base}${path}`, { method, headers: { ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) }, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = {};
  }
  return { status: res.status, json, text, headers: res.headers };
}

const ENDPOINTS: [string, string, number][] = [
  ['GET', '/api/status', 200],
  ['GET', '/api/tunnel', 200],
  ['GET', '/api/lans', 200],
  ['GET', '/api/registrations', 200],
  ['GET', '/api/phones', 200],
  ['POST', '/api/phones/00:15:65:F4:F9:E1/approve', 200],
  ['POST', '/api/phones/001565f4f9e1/reject', 200],
  ['GET', '/api/calls', 200],
  ['GET', '/api/nat', 200],
  ['GET', '/api/history', 200],
  ['GET', '/api/mode', 200],
  ['GET', '/api/blocks', 200],
  ['DELETE', '/api/blocks/192.0.2.7', 200],
  ['GET', '/api/events/recent', 200],
  ['GET', '/metrics', 200],
];

test('agent admin API: every endpoint is 401 without the token and with a wrong one, answered with it', async (t) => {
  const s = await start(1000);
  t.after(() => s.close());
  for (const [method, path, ok] of ENDPOINTS) {
    const none = await call(s.base, method, path, undefined, method === 'POST' ? {} : undefined);
    assert.equal(none.status, 401, `${method} ${path} without a token`);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="sbc-agent"');
    const wrong = await call(s.base, method, path, `${TOKEN}x`, method === 'POST' ? {} : undefined);
    assert.equal(wrong.status, 401, `${method} ${path} with a wrong token`);
    const good = await call(s.base, method, path, TOKEN, method === 'POST' ? {} : undefined);
    assert.equal(good.status, ok, `${method} ${path}: ${good.text}`);
  }
  const tunnel = await call(s.base, 'GET', '/api/tunnel', TOKEN);
  assert.equal(tunnel.json['state'], 'up');
  const approved = await call(s.base, 'POST', '/api/phones/00-15-65-f4-f9-e1/approve', TOKEN, { extension: '201' });
  assert.deepEqual([approved.json['id'], approved.json['state'], approved.json['extension']], ['001565f4f9e1', 'approved', '201']);
  const page = await fetch(`${s.base}/`);
  assert.equal(page.status, 200, 'the page itself holds no secret');
  assert.match(await page.text(), /<script type="module" src="\/agent.js">/);
  const history = await call(s.base, 'GET', '/api/history', TOKEN);
  assert.deepEqual(history.json['fields'], { rttMs: [2.5], calls: [0] });
  const uplot = await fetch(`${s.base}/uplot.js`);
  assert.deepEqual([uplot.status, uplot.headers.get('content-type')], [200, 'text/javascript; charset=utf-8'], 'uPlot is served from node_modules, no CDN');
  assert.match(await uplot.text(), /uPlot/);
  assert.equal((await fetch(`${s.base}/uplot.css`)).status, 200);
});

test('agent admin API: bad input is 400 naming the field; unknown paths 404; wrong methods 405', async (t) => {
  const s = await start(1000);
  t.after(() => s.close());
  const rows: [string, string, unknown, number, string | undefined][] = [
    ['POST', '/api/phones/not-a-mac/approve', {}, 400, 'mac'],
    ['POST', '/api/phones/001565f4f9e1/approve', { extension: 'abc' }, 400, 'extension'],
    ['POST', '/api/phones/001565f4f9e1/approve', { extension: 201 }, 400, 'extension'],
    ['POST', '/api/phones/001565f4f9e1/reject', { extension: '201' }, 400, 'extension'],
    ['POST', '/api/phones/001565f4f9e1/approve', '{not json', 400, 'body'],
    ['POST', '/api/phones/001565f4f9e1/approve', '[1,2]', 400, 'body'],
    ['GET', '/api/events/recent?limit=0', undefined, 400, 'limit'],
    ['GET', '/api/events/recent?limit=abc', undefined, 400, 'limit'],
    ['GET', '/api/events/recent?limit=201', undefined, 400, 'limit'],
    ['POST', '/api/phones/001565f4f9e1/bless', {}, 404, undefined],
    ['GET', '/api/nothing', undefined, 404, undefined],
    ['POST', '/api/calls', {}, 405, undefined],
    ['GET', '/api/phones/001565f4f9e1/approve', undefined, 405, undefined],
    ['DELETE', '/api/blocks/not-an-address', undefined, 400, 'address'],
    ['DELETE', '/api/blocks/203.0.113.9', undefined, 404, 'address'],
    ['POST', '/api/blocks/192.0.2.7', {}, 405, undefined],
    ['DELETE', '/api/mode', undefined, 405, undefined],
  ];
  for (const [method, path, body, status, field] of rows) {
    const r = await call(s.base, method, path, TOKEN, body);
    assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)}: ${r.text}`);
    const error = r.json['error'] as Record<string, unknown> | undefined;
    assert.equal(error?.['status'], status);
    if (field !== undefined) assert.equal(error?.['field'], field, `${method} ${path}`);
  }
  assert.equal((await call(s.base, 'POST', '/api/calls', TOKEN, {})).headers.get('allow'), 'GET');
});

test('agent admin API: past the wrong tokens allowed per minute a source gets 429, even with the right token', async (t) => {
  const s = await start(3);
  t.after(() => s.close());
  for (let i = 0; i < 3; i++) assert.equal((await call(s.base, 'GET', '/api/tunnel', 'wrong-token-000000')).status, 401);
  const blocked = await call(s.base, 'GET', '/api/tunnel', TOKEN);
  assert.equal(blocked.status, 429);
  assert.ok(Number(blocked.headers.get('retry-after')) > 0);
});

function openStream(base: string, how: 'header' | 'query', topics?: string): Promise<{ ws: WebSocket; events: AdminEvent[]; next: (name: string) => Promise<AdminEvent> }> {
  const url = `${base.replace('http:', 'ws:')}/api/events?${topics === undefined ? '' : `topics=${topics}&`}${how === 'query' ? `token=${TOKEN}` : ''}`;
  const ws = new WebSocket(url, how === 'header' ? { headers: { Authorization: `Bearer ${TOKEN}` } } : {});
  const events: AdminEvent[] = [];
  const waiters: { name: string; resolve: (e: AdminEvent) => void }[] = [];
  ws.on('message', (data: Buffer) => {
    const m = JSON.parse(data.toString()) as AdminEvent & { hello?: unknown };
    if (m.hello !== undefined) return;
    events.push(m);
    for (const w of waiters.filter((x) => x.name === m.event)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  const next = (name: string) => {
    const seen = events.find((e) => e.event === name);
    return seen !== undefined ? Promise.resolve(seen) : new Promise<AdminEvent>((resolve) => waiters.push({ name, resolve }));
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, events, next }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

test('event stream: refused without the token; extension, call and tunnel events by topic', async (t) => {
  const s = await start(1000);
  t.after(() => s.close());
  await assert.rejects(openStream(s.base, 'query', 'nope_events'), /HTTP 400/, 'an unknown topic');
  const noToken = new WebSocket(`${s.base.replace('http:', 'ws:')}/api/events`);
  const refused = await new Promise<number>((resolve) => noToken.once('unexpected-response', (_r, res) => resolve(res.statusCode ?? 0)));
  assert.equal(refused, 401);

  const all = await openStream(s.base, 'header');
  const calls = await openStream(s.base, 'query', 'call_events');
  t.after(() => { all.ws.close(); calls.ws.close(); });

  s.fake.phones = [{ aor: 'sip:201@pbx.example', userAgent: 'Yealink SIP-T46S', expiresInS: 60 }];
  await s.watch.look();
  const reg = await all.next('extension_register');
  assert.deepEqual([reg.topic, reg.data['extension'], reg.data['aor']], ['extension_events', '201', 'sip:201@pbx.example']);

  s.fake.calls = [row('call-1', 0, 0)];
  await s.watch.look();
  s.fake.calls = [row('call-1', 50, 48)];
  await s.watch.look();
  s.fake.calls = [];
  s.fake.phones = [];
  await s.watch.look();
  for (const name of ['call_start', 'call_established', 'call_ended']) assert.equal((await calls.next(name)).data['callId'], 'call-1', name);
  const ended = await all.next('call_ended');
  assert.deepEqual([ended.data['established'], ended.data['packetsFromPhone'], ended.data['packetsToPhone']], [true, 50, 48]);
  assert.equal((await all.next('extension_unregister')).data['extension'], '201');
  s.fake.tunnelListener?.(false, { reason: 'test' });
  assert.equal((await all.next('tunnel_down')).topic, 'tunnel_events');
  assert.ok(calls.events.every((e) => e.topic === 'call_events'), 'a client subscribed to call_events gets nothing else');

  const recent = await call(s.base, 'GET', '/api/events/recent?limit=200', TOKEN);
  assert.deepEqual((recent.json as unknown as AdminEvent[]).map((e) => e.event), ['extension_register', 'call_start', 'call_established', 'extension_unregister', 'call_ended', 'tunnel_down']);
});

test('/metrics: Prometheus text that follows a registration and a call; open without the token only when configured', async (t) => {
  const s = await start(1000);
  t.after(() => s.close());
  const scrape = async () => {
    const r = await call(s.base, 'GET', '/metrics', TOKEN);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parsePromText(r.text);
  };
  const before = await scrape();
  assert.equal(before.get('sbc_registrations')?.type, 'gauge');
  assert.equal(before.get('sbc_rtp_packets_total')?.type, 'counter');
  assert.equal(promValue(before, 'sbc_registrations'), 0);
  assert.equal(promValue(before, 'sbc_tunnel_up'), 1);
  assert.equal(promValue(before, 'sbc_tunnel_rtt_seconds'), 0.0025);
  assert.equal(promValue(before, 'sbc_calls_active'), 0);
  assert.equal(promValue(before, 'sbc_mode', { mode: 'normal' }), 1);
  assert.equal(promValue(before, 'sbc_pnp_phones', { state: 'pending' }), 1);

  s.fake.phones = [{ aor: 'sip:201@pbx.example', userAgent: null, expiresInS: 60 }];
  s.fake.calls = [row('call-1', 100, 90)];
  await s.watch.look();
  const during = await scrape();
  assert.equal(promValue(during, 'sbc_registrations'), 1);
  assert.equal(promValue(during, 'sbc_calls_active'), 1);
  assert.equal(promValue(during, 'sbc_call_attempts_total'), 1);
  assert.equal(promValue(during, 'sbc_rtp_packets_total', { direction: 'from_phone' }), 100);

  s.fake.calls = [];
  await s.watch.look();
  const after = await scrape();
  assert.equal(promValue(after, 'sbc_calls_active'), 0);
  assert.equal(promValue(after, 'sbc_rtp_packets_total', { direction: 'to_phone' }), 90, 'the packets of an ended call stay counted');
  assert.equal(promValue(after, 'sbc_rtp_lost_total', { direction: 'from_phone' }), 1);
  assert.equal(promValue(after, 'sbc_call_failures_total'), 2);
});

test('/metrics with metrics: open needs no token; the API still does', async (t) => {
  const events = new AdminEvents(realClock);
  const fake = new FakeAgent();
  const source = fake.source();
  const watch = new AgentWatch({ clock: realClock, events, source: { registrations: source.registrations, calls: source.calls, mode: () => 'normal', onTunnel: () => () => {} } });
  const server = await AdminServer.start({ clock: realClock, logger: silentLogger, listen: ['127.0.0.1'], port: 0, token: TOKEN, router: agentRouter(source, events), events, metrics: await AdminMetrics.create(AGENT_METRICS, () => agentMetrics(source, watch)), metricsOpen: true });
  t.after(() => server.close());
  const base = `http://127.0.0.1:${server.addresses[0]?.port ?? 0}`;
  assert.equal((await call(base, 'GET', '/metrics', undefined)).status, 200);
  assert.equal((await call(base, 'GET', '/api/tunnel', undefined)).status, 401);
  await server.close();
  await server.close();
});

test('agent admin API: GET /api/blocks lists the blocks as `blocks --json`; DELETE /api/blocks/{address} lifts one (a mask %2F-escaped)', async (t) => {
  const s = await start(1000);
  t.after(() => s.close());
  const listed = await call(s.base, 'GET', '/api/blocks', TOKEN);
  assert.deepEqual(listed.json, { blocks: s.fake.blocks });
  const lifted = await call(s.base, 'DELETE', `/api/blocks/${encodeURIComponent('198.51.100.0/24')}`, TOKEN);
  assert.equal(lifted.status, 200, lifted.text);
  assert.deepEqual(lifted.json, { lifted: { address: '198.51.100.0/24', reason: 'deny', since: '2026-12-03T09:00:00.000Z', until: null } });
  assert.deepEqual(((await call(s.base, 'GET', '/api/blocks', TOKEN)).json['blocks'] as AdminBlock[]).map((b) => b.address), ['192.0.2.7']);
  assert.equal((await call(s.base, 'DELETE', `/api/blocks/${encodeURIComponent('198.51.100.0/24')}`, TOKEN)).status, 404, 'lifted once');
});

test('agent admin API: GET /api/mode says normal, draining, or survival with since and why; /metrics and mode_changed follow it', async (t) => {
  const s = await start(1000);
  t.after(() => s.close());
  assert.deepEqual((await call(s.base, 'GET', '/api/mode', TOKEN)).json, { mode: 'normal', draining: false, callControl: null, survival: null });
  await s.watch.look();
  const since = Date.UTC(2026, 11, 3, 10, 0, 0);
  s.fake.extraParts = { callControl: 'auto', survival: { mode: 'survival', since, reason: 'tunnel down: timeout', tunnel: 'down', pbx: 'unknown', healthySince: undefined, survivalCalls: 2, waitingFor: 'hold-down' } };
  const survival = await call(s.base, 'GET', '/api/mode', TOKEN);
  assert.deepEqual(survival.json, {
    mode: 'survival', draining: false, callControl: 'auto',
    survival: { mode: 'survival', since: '2026-12-03T10:00:00.000Z', reason: 'tunnel down: timeout', tunnel: 'down', pbx: 'unknown', healthySince: null, survivalCalls: 2, waitingFor: 'hold-down' },
  });
  const metrics = parsePromText((await call(s.base, 'GET', '/metrics', TOKEN)).text);
  assert.equal(promValue(metrics, 'sbc_mode', { mode: 'survival' }), 1);
  await s.watch.look();
  const changed = (await call(s.base, 'GET', '/api/events/recent', TOKEN)).json as unknown as AdminEvent[];
  assert.deepEqual(changed.filter((e) => e.event === 'mode_changed').map((e) => [e.topic, e.data]), [['mode_events', { from: 'normal', to: 'survival' }]]);
  s.fake.extraParts = { ...s.fake.extraParts, mode: 'draining' };
  const draining = await call(s.base, 'GET', '/api/mode', TOKEN);
  assert.deepEqual([draining.json['mode'], draining.json['draining']], ['draining', true], 'draining wins: no new call is taken in either mode');
});
