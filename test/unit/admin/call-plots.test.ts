/**
 * The per-call jitter/loss samples behind the agent page's call plots (src/admin/call-plots.ts),
 * on a manual clock: interval loss per direction from the calls document's counters, jitter as
 * reported, the worst stream of a call, ended calls dropped, and the bounds (samples per call,
 * calls at once). Then over HTTP: GET /api/calls/history, 401 without the token.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, realClock, silentLogger } from '../../../src/core/index.js';
import { AdminEvents, AdminServer, CallPlots, agentRouter, type AgentAdminSource } from '../../../src/admin/index.js';
import type { CallRow, CallsDocument } from '../../../src/sbc/index.js';

const T0 = Date.UTC(2026, 0, 1);

function row(callId: string, from: [number, number, number], to: [number, number, number] | undefined, stream = 0): CallRow {
  const dir = ([packets, lost, jitterMs]: [number, number, number]) => ({ packets, lost, lossRatio: 0, jitterMs, lastPacketAt: undefined });
  return { callId, leg: 'a', stream, local: false, channel: 1, edgePort: 40000, startedAt: 0, fromEdge: dir(from), toEdge: to === undefined ? undefined : dir(to), oneWay: undefined };
}

/** `timer`: the samples are the started timer's (plots.start()); else taken by hand. */
function setup(capacity = 10, maxCalls = 5, timer = false) {
  const clock = new ManualClock(0, T0);
  let rows: CallRow[] = [];
  const plots = new CallPlots({ clock, intervalMs: 5000, capacity, maxCalls, calls: () => Promise.resolve({ version: 1, side: 'agent', updatedAt: '', calls: rows } satisfies CallsDocument) });
  const step = async (next: CallRow[]): Promise<void> => {
    rows = next;
    clock.advance(5000);
    if (timer) await new Promise((resolve) => setImmediate(resolve));
    else await plots.sampleNow();
  };
  return { plots, step };
}

test('call plots: interval loss (%) and jitter (ms) per direction, a sample every interval, ended calls dropped', async () => {
  const { plots, step } = setup(10, 5, true);
  plots.start();
  // [packets, lost, jitter ms] from the phone, then to the phone, as the counters grow.
  await step([row('c1', [250, 0, 1.5], [250, 0, 2])]);
  await step([row('c1', [490, 10, 4.25], [500, 0, 2.5])]);
  await step([row('c1', [740, 10, 3], undefined)]);
  const doc = plots.document();
  assert.equal(doc.intervalMs, 5000);
  const c1 = doc.calls['c1'];
  assert.ok(c1 !== undefined);
  assert.deepEqual(c1.t, [T0 / 1000 + 5, T0 / 1000 + 10, T0 / 1000 + 15]);
  assert.deepEqual(c1.fields, {
    jitterFromPhoneMs: [1.5, 4.25, 3],
    jitterToPhoneMs: [2, 2.5, null],
    // 10 lost of 250 expected in the second interval: 4 %; none in the others; no stream toward the phone at the end.
    lossFromPhonePct: [0, 4, 0],
    lossToPhonePct: [0, 0, null],
  });
  await step([row('c2', [10, 0, 1], [10, 0, 1])]);
  assert.deepEqual(Object.keys(plots.document().calls), ['c2'], 'the ended call is gone, the new one plotted');
  plots.close();
  plots.close();
  assert.deepEqual(plots.document().calls, {});
});

test('call plots: a call plotted by its worst stream; a restarted counter starts a new interval; no packets: a gap', async () => {
  const { plots, step } = setup();
  await step([row('c1', [100, 0, 1], [100, 0, 1], 0), row('c1', [100, 0, 9], [100, 0, 1], 1)]);
  await step([row('c1', [200, 0, 1], [150, 50, 1], 0), row('c1', [150, 50, 2], [200, 0, 1], 1)]);
  await step([row('c1', [30, 10, 1], [150, 50, 1], 0), row('c1', [150, 50, 2], [200, 0, 1], 1)]);
  const f = plots.document().calls['c1']?.fields;
  assert.deepEqual(f?.['jitterFromPhoneMs'], [9, 2, 2], 'the worst stream');
  assert.deepEqual(f?.['lossToPhonePct'], [0, 50, null], '50 lost of 100 expected; then nothing new on either stream');
  assert.deepEqual(f?.['lossFromPhonePct'], [0, 50, 25], 'stream 0 restarted: 10 lost of 40 since');
});

test('call plots are bounded: samples per call and calls at once', async () => {
  const { plots, step } = setup(3, 2);
  for (let i = 1; i <= 5; i++) await step([row('c1', [i * 100, 0, i], undefined), row('c2', [i, 0, 0], undefined), row('c3', [i, 0, 0], undefined)]);
  const doc = plots.document();
  assert.deepEqual(Object.keys(doc.calls), ['c1', 'c2'], 'a call beyond maxCalls is not plotted');
  assert.deepEqual(doc.calls['c1']?.fields['jitterFromPhoneMs'], [3, 4, 5], 'the last `capacity` samples');
  assert.throws(() => new CallPlots({ clock: new ManualClock(), intervalMs: 5000, capacity: 0, maxCalls: 1, calls: () => Promise.reject(new Error('unused')) }).add(T0, [row('c1', [1, 0, 0], undefined)]), RangeError);
});

test('GET /api/calls/history: the per-call samples with the token, 401 without', async (t) => {
  const { plots, step } = setup();
  await step([row('c1', [250, 0, 1.5], [250, 0, 2])]);
  const source = {
    status: () => Promise.resolve({}), tunnel: () => ({ state: 'up', peer: 'hub' }), parts: () => ({}), registrations: () => [], phones: () => undefined,
    decidePhone: () => Promise.resolve(undefined), calls: () => Promise.resolve({ version: 1, side: 'agent', updatedAt: '', calls: [] }), callFailures: () => 0,
    callPlots: () => plots.document(),
  } satisfies AgentAdminSource;
  const events = new AdminEvents(realClock);
  const server = await AdminServer.start({ clock: realClock, logger: silentLogger, listen: ['127.0.0.1'], port: 0, token: 'call-plots-token-0123456789', router: agentRouter(source, events), events, metrics: { contentType: 'text/plain', text: () => Promise.resolve('') } as never });
  t.after(() => server.close());
  const url = `http://127.0.0.1:${server.addresses[0]?.port ?? 0}/api/calls/history`;
  assert.equal((await fetch(url)).status, 401);
  const res = await fetch(url, { headers: { Authorization: 'Bearer call-plots-token-0123456789' } });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), JSON.parse(JSON.stringify(plots.document())));
});
