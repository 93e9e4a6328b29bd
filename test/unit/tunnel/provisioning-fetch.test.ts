/**
 * The provisioning fetch through the tunnel (PROTOCOL.md "Stream protocols", `provisioning/1`):
 * the agent's tunnelUpstream and the hub's provisioning service over an in-memory tunnel pair on
 * a manual clock, with a fake upstream (and a real closed port for "unreachable").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, silentLogger } from '../../../src/core/index.js';
import { DEFAULT_CONFIG, type HubProvisioningConfig } from '../../../src/config/index.js';
import { tunnelUpstream, type TunnelUpstreamOptions } from '../../../src/agent-provisioning.js';
import { hubProvisioningService, type HubProvisioningService } from '../../../src/hub-provisioning.js';
import {
  PROVISIONING_STREAM_LABEL,
  ProvisioningFetchError,
  decodeFetchHeader,
  encodeFetchHeader,
  encodeFetchRequest,
  type FetchContext,
  type FetchFailure,
  type UpstreamFetcher,
  type UpstreamResult,
} from '../../../src/pnp/index.js';
import { MAX_PAYLOAD, StreamDispatcher, openLabeledStream, type TunnelSession, type TunnelStream } from '../../../src/tunnel/index.js';
import { closedPort } from '../../support/integ-process.js';
import { connectedPair, settle, type Harness } from './harness.js';

type FakeFile = UpstreamResult | Error | 'hold';

/** The PBX's provisioning server, in memory: records what it is asked; 'hold' answers when released. */
class FakeUpstream implements UpstreamFetcher {
  readonly calls: Array<{ path: string; query: string; context: FetchContext | undefined }> = [];
  readonly held: Array<() => void> = [];
  constructor(readonly files: Record<string, FakeFile>) {}

  fetch(path: string, query: string, context?: FetchContext): Promise<UpstreamResult> {
    this.calls.push({ path, query, context });
    const file = this.files[path] ?? { status: 404, contentType: 'text/html', body: Buffer.from('<h1>Not Found</h1>') };
    if (file instanceof Error) return Promise.reject(file);
    if (file === 'hold') return new Promise((resolve) => this.held.push(() => resolve({ status: 200, contentType: undefined, body: Buffer.from(`held ${path}`) })));
    return Promise.resolve(file);
  }
}

interface Rig {
  readonly h: Harness;
  readonly hubSession: TunnelSession;
  readonly streams: StreamDispatcher;
  readonly service: HubProvisioningService;
  readonly fetcher: UpstreamFetcher;
  /** How each stream the agent opened ended at the hub (true: reset). */
  readonly hubCloses: boolean[];
  readonly logs: Array<Record<string, unknown>>;
}

interface RigOptions {
  readonly upstream?: UpstreamFetcher;
  readonly config?: Partial<HubProvisioningConfig>;
  readonly maxPerAgent?: number;
  readonly agent?: Omit<TunnelUpstreamOptions, 'clock'>;
  /** false: the hub has no provisioning service (the label is unknown to it). */
  readonly service?: boolean;
}

async function rig(o: RigOptions = {}): Promise<Rig> {
  const h = await connectedPair({ deadAfterMs: 3_600_000 });
  const hubSession = h.serverSessions[0];
  assert.ok(hubSession);
  const streams = new StreamDispatcher({ clock: h.clock });
  streams.register('sip/1', () => {});
  const hubCloses: boolean[] = [];
  hubSession.on('stream', (s) => {
    s.on('close', (c) => hubCloses.push(c.reset));
    streams.accept(hubSession, s);
  });
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'info', destination: new Writable({ write: (chunk: Buffer, _e, done) => { logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } }) });
  const service = hubProvisioningService({
    streams,
    config: { ...DEFAULT_CONFIG.hub.provisioning, upstream: 'http://192.0.2.1/unused/', ...o.config },
    clock: h.clock,
    logger,
    sbcName: () => 'branch-lyon',
    ...(o.upstream === undefined ? {} : { upstream: o.upstream }),
    ...(o.maxPerAgent === undefined ? {} : { maxPerAgent: o.maxPerAgent }),
  });
  if (o.service !== false) await service.start();
  return { h, hubSession, streams, service, fetcher: tunnelUpstream(h.client, { clock: h.clock, ...o.agent }), hubCloses, logs };
}

function failure(reason: FetchFailure): (e: unknown) => boolean {
  return (e) => e instanceof ProvisioningFetchError && e.code === 'SBC_ERR_PROVISIONING_FETCH' && e.reason === reason;
}

/** A file larger than several frames and than one flow-control window; every byte position differs. */
function bigFile(bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 4) b.writeUInt32BE(i, i);
  return b;
}

const CFG = Buffer.from('#!version:1.0.0.1\naccount.1.sip_server.1.address = pbx.example.net\n');

test('success: a body of many frames arrives byte for byte with status and type; the hub logs SBC, MAC, path, status', async () => {
  const firmware = bigFile(600_000);
  assert.ok(firmware.length > 2 * MAX_PAYLOAD);
  const upstream = new FakeUpstream({
    'fw/T46U v66.rom': { status: 200, contentType: 'application/octet-stream', body: firmware },
    'y000000000044.cfg': { status: 200, contentType: 'text/plain', body: CFG },
  });
  const r = await rig({ upstream });
  const got = await r.fetcher.fetch('fw/T46U v66.rom', '?model=T46U', { mac: '001565f4f9e1' });
  assert.equal(got.status, 200);
  assert.equal(got.contentType, 'application/octet-stream');
  assert.ok(got.body.equals(firmware), 'the body, byte for byte');
  // No MAC from the relay: the one in the path is used; none for the common file.
  const common = await r.fetcher.fetch('y000000000044.cfg', '');
  assert.deepEqual(common, { status: 200, contentType: 'text/plain', body: CFG });
  await r.fetcher.fetch('001565f4f9e2.cfg', '');
  assert.deepEqual(upstream.calls, [
    { path: 'fw/T46U v66.rom', query: '?model=T46U', context: { mac: '001565f4f9e1' } },
    { path: 'y000000000044.cfg', query: '', context: {} },
    { path: '001565f4f9e2.cfg', query: '', context: { mac: '001565f4f9e2' } },
  ]);
  await settle();
  assert.deepEqual(r.hubCloses, [false, false, false], 'each stream ends with both FINs, no reset');
  assert.equal(r.h.client.session.streams.size, 0, 'the agent holds no stream after the fetches');
  const line = r.logs.find((l) => l['msg'] === 'provisioning fetch' && l['path'] === 'fw/T46U v66.rom');
  assert.deepEqual([line?.['sbc'], line?.['mac'], line?.['status'], line?.['bytes']], ['branch-lyon', '001565f4f9e1', 200, 600_000]);
  assert.deepEqual(r.service.stats(), { requests: 3, forwarded: 3, badPath: 0, busy: 0, upstreamErrors: 0, timeouts: 0, reset: 0, active: 0 });
  r.h.client.close();
});

test('the upstream\'s 404 (and other statuses) pass through with their body', async () => {
  const upstream = new FakeUpstream({ 'locked.cfg': { status: 403, contentType: 'text/plain', body: Buffer.from('no') } });
  const r = await rig({ upstream });
  assert.deepEqual(await r.fetcher.fetch('missing.cfg', ''), { status: 404, contentType: 'text/html', body: Buffer.from('<h1>Not Found</h1>') });
  assert.deepEqual(await r.fetcher.fetch('locked.cfg', ''), { status: 403, contentType: 'text/plain', body: Buffer.from('no') });
  r.h.client.close();
});

test('the upstream unreachable (a closed port on 127.0.0.1): 502', async () => {
  const port = await closedPort();
  const r = await rig({ config: { upstream: `http://127.0.0.1:${port}/prov/` } });
  const got = await r.fetcher.fetch('y000000000044.cfg', '');
  assert.deepEqual(got, { status: 502, contentType: undefined, body: Buffer.alloc(0) });
  assert.equal(r.service.stats().upstreamErrors, 1);
  assert.ok(r.logs.some((l) => l['msg'] === 'provisioning fetch' && l['status'] === 502 && /ECONNREFUSED/.test(String(l['err']))));
  r.h.client.close();
});

test('no upstream configured: 404 at once, nothing fetched', async () => {
  const r = await rig({ config: { upstream: undefined } });
  assert.deepEqual(await r.fetcher.fetch('y000000000044.cfg', ''), { status: 404, contentType: undefined, body: Buffer.alloc(0) });
  r.h.client.close();
});

test('an upstream slower than hub.provisioning.timeout: 504, then the late answer is dropped', async () => {
  const upstream = new FakeUpstream({ 'slow.cfg': 'hold' });
  const r = await rig({ upstream, config: { timeoutMs: 3000 } });
  const pending = r.fetcher.fetch('slow.cfg', '');
  await settle();
  assert.equal(upstream.calls.length, 1);
  r.h.clock.advance(2999);
  await settle();
  r.h.clock.advance(1);
  assert.deepEqual(await pending, { status: 504, contentType: undefined, body: Buffer.alloc(0) });
  upstream.held.splice(0).forEach((release) => release());
  await settle();
  assert.equal(r.service.stats().timeouts, 1);
  r.h.client.close();
});

test('a file above hub.provisioning.maxBytes: 502', async () => {
  const upstream = new FakeUpstream({ 'big.rom': { status: 200, contentType: undefined, body: Buffer.alloc(5000) } });
  const r = await rig({ upstream, config: { maxBytes: 4096 } });
  assert.equal((await r.fetcher.fetch('big.rom', '')).status, 502);
  r.h.client.close();
});

test('a body above the agent\'s maxBytes: the fetch fails too-large and the stream is reset', async () => {
  const upstream = new FakeUpstream({ 'big.rom': { status: 200, contentType: undefined, body: bigFile(300_000) } });
  const r = await rig({ upstream, agent: { maxBytes: 100_000 } });
  await assert.rejects(r.fetcher.fetch('big.rom', ''), failure('too-large'));
  await settle();
  assert.deepEqual(r.hubCloses, [true]);
  assert.equal(r.h.client.session.streams.size, 0);
  r.h.client.close();
});

test('the hub refuses traversal and absolute paths with 400, whatever the agent let through; the upstream sees none', async () => {
  const upstream = new FakeUpstream({});
  const r = await rig({ upstream });
  const paths: ReadonlyArray<readonly [string, string]> = [
    ['../etc/passwd', ''], ['a/../../etc/passwd', ''], ['..', ''], ['./x.cfg', ''], ['/etc/passwd', ''],
    ['http://evil.example/x.cfg', ''], ['a//b.cfg', ''], ['a\\..\\b', ''], ['x\0.cfg', ''], ['x.cfg', '?a b'],
  ];
  for (const [path, query] of paths) {
    assert.deepEqual(await r.fetcher.fetch(path, query), { status: 400, contentType: undefined, body: Buffer.alloc(0) }, JSON.stringify(path));
  }
  assert.deepEqual(upstream.calls, []);
  assert.equal(r.service.stats().badPath, paths.length);
  r.h.client.close();
});

/** A raw `provisioning/1` stream: the label, then whatever the test writes. */
function rawFetch(r: Rig, messages: readonly Buffer[], fin = true): { header: Promise<unknown>; closes: boolean[] } {
  const stream = openLabeledStream(r.h.client, PROVISIONING_STREAM_LABEL);
  const closes: boolean[] = [];
  const header = new Promise<unknown>((resolve) => {
    stream.on('data', (d) => resolve(decodeFetchHeader(d)));
    stream.on('close', (c) => {
      closes.push(c.reset);
      resolve('closed');
    });
  });
  for (const m of messages) stream.write(m);
  if (fin) stream.end();
  return { header, closes };
}

test('malformed requests: the hub resets the stream (table)', async () => {
  const upstream = new FakeUpstream({ 'x.cfg': { status: 200, contentType: undefined, body: CFG } });
  const r = await rig({ upstream });
  const table: ReadonlyArray<readonly [string, readonly Buffer[]]> = [
    ['FIN without a request', []],
    ['not JSON', [Buffer.from('GET /x.cfg HTTP/1.1')]],
    ['no query', [Buffer.from('{"path":"x.cfg"}')]],
    ['two request messages', [encodeFetchRequest({ path: 'x.cfg', query: '' }), encodeFetchRequest({ path: 'x.cfg', query: '' })]],
    ['a request above 4096 bytes', [Buffer.from(JSON.stringify({ path: 'x.cfg', query: '', pad: 'a'.repeat(5000) }))]],
  ];
  for (const [name, messages] of table) {
    const f = rawFetch(r, messages);
    assert.equal(await f.header, 'closed', name);
    assert.deepEqual(f.closes, [true], name);
  }
  assert.deepEqual(upstream.calls, []);
  assert.equal(r.service.stats().reset, table.length);
  r.h.client.close();
});

test('a request without FIN is not kept: reset after hub.provisioning.timeout', async () => {
  const r = await rig({ upstream: new FakeUpstream({}), config: { timeoutMs: 5000 } });
  const f = rawFetch(r, [encodeFetchRequest({ path: 'x.cfg', query: '' })], false);
  await settle();
  r.h.clock.advance(5000);
  assert.equal(await f.header, 'closed');
  assert.deepEqual(f.closes, [true]);
  r.h.client.close();
});

test('at most maxPerAgent fetches at once per agent: the next one is answered 503; later ones pass again', async () => {
  const files: Record<string, FakeFile> = {};
  for (let i = 0; i < 4; i++) files[`slow-${i}.cfg`] = 'hold';
  const upstream = new FakeUpstream(files);
  const r = await rig({ upstream, maxPerAgent: 3 });
  const running = [0, 1, 2].map((i) => r.fetcher.fetch(`slow-${i}.cfg`, ''));
  await settle();
  assert.deepEqual(await r.fetcher.fetch('slow-3.cfg', ''), { status: 503, contentType: undefined, body: Buffer.alloc(0) });
  assert.equal(upstream.calls.length, 3, 'the refused fetch never reached the upstream');
  assert.equal(r.service.stats().active, 3);
  upstream.held.splice(0).forEach((release) => release());
  assert.deepEqual((await Promise.all(running)).map((g) => g.body.toString()), ['held slow-0.cfg', 'held slow-1.cfg', 'held slow-2.cfg']);
  const again = r.fetcher.fetch('slow-3.cfg', '');
  await settle();
  upstream.held.splice(0).forEach((release) => release());
  assert.equal((await again).status, 200);
  assert.equal(r.service.stats().busy, 1);
  r.h.client.close();
});

test('a silent hub: the fetch fails with timeout at timeoutMs and the stream is reset', async () => {
  const r = await rig({ service: false, agent: { timeoutMs: 5000 } });
  const silent: TunnelStream[] = [];
  r.streams.register(PROVISIONING_STREAM_LABEL, (stream) => silent.push(stream));
  let outcome: unknown;
  const pending = r.fetcher.fetch('y000000000044.cfg', '').then((v) => (outcome = v), (e: unknown) => (outcome = e));
  await settle();
  assert.equal(silent.length, 1);
  r.h.clock.advance(4999);
  await settle();
  assert.equal(outcome, undefined);
  r.h.clock.advance(1);
  await pending;
  assert.ok(failure('timeout')(outcome), String(outcome));
  await settle();
  assert.equal(silent[0]?.closed, true);
  assert.deepEqual(r.hubCloses, [true]);
  r.h.client.close();
});

test('a hub without the provisioning service (unknown label): the stream is reset, the fetch fails at once', async () => {
  const r = await rig({ service: false });
  await assert.rejects(r.fetcher.fetch('y000000000044.cfg', ''), failure('reset'));
  assert.equal(r.streams.stats().refused.unknown, 1);
  r.h.client.close();
});

test('the tunnel down: the fetch fails tunnel-down without opening a stream', async () => {
  const r = await rig({ upstream: new FakeUpstream({}) });
  r.h.client.close();
  await assert.rejects(r.fetcher.fetch('y000000000044.cfg', ''), failure('tunnel-down'));
  const reconnecting = tunnelUpstream({ state: 'reconnecting', openStream: () => assert.fail('no stream while the tunnel is down') }, { clock: r.h.clock });
  await assert.rejects(reconnecting.fetch('y000000000044.cfg', ''), failure('tunnel-down'));
});

test('closing the service resets the fetches it is serving', async () => {
  const upstream = new FakeUpstream({ 'slow.cfg': 'hold' });
  const r = await rig({ upstream });
  const pending = r.fetcher.fetch('slow.cfg', '');
  await settle();
  await r.service.close();
  await assert.rejects(pending, failure('reset'));
  r.h.client.close();
});

test('a hub that breaks the answer: the agent fails the fetch (protocol) and resets the stream', async () => {
  const answers: ReadonlyArray<readonly [string, readonly Buffer[], boolean]> = [
    ['a body longer than announced', [encodeFetchHeader({ status: 200, length: 4 }), Buffer.from('12345')], true],
    ['a body shorter than announced', [encodeFetchHeader({ status: 200, length: 10 }), Buffer.from('12345')], false],
    ['FIN without a header', [], false],
    ['a header that is not JSON', [Buffer.from('HTTP/1.1 200 OK')], false],
  ];
  for (const [name, messages, resetExpected] of answers) {
    const r = await rig({ service: false });
    r.streams.register(PROVISIONING_STREAM_LABEL, (stream) => stream.on('end', () => {
      for (const m of messages) stream.write(m);
      stream.end();
    }));
    await assert.rejects(r.fetcher.fetch('x.cfg', ''), failure('protocol'), name);
    await settle();
    if (resetExpected) assert.deepEqual(r.hubCloses, [true], name);
    assert.equal(r.h.client.session.streams.size, 0, name);
    r.h.client.close();
  }
});

test('the service registers its label at start, releases it at close (idempotent), and not again after', async () => {
  const h = await connectedPair();
  const streams = new StreamDispatcher({ clock: h.clock });
  const service = hubProvisioningService({ streams, config: DEFAULT_CONFIG.hub.provisioning, clock: h.clock, logger: silentLogger });
  assert.equal(service.name, 'provisioning');
  assert.deepEqual(streams.labels, []);
  await service.start();
  assert.deepEqual(streams.labels, [PROVISIONING_STREAM_LABEL]);
  await service.close();
  await service.close();
  assert.deepEqual(streams.labels, []);
  await service.start();
  assert.deepEqual(streams.labels, []);
  assert.deepEqual(service.stats(), { requests: 0, forwarded: 0, badPath: 0, busy: 0, upstreamErrors: 0, timeouts: 0, reset: 0, active: 0 });
  h.client.close();
});
