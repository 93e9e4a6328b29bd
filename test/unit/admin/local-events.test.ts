/**
 * Local-mode admin events (src/admin/local-events.ts): the B2BUA's started/answered/ended become
 * call_start/call_established/call_ended with the pbx-mode keys, a CDR becomes call_cdr, and
 * register-trunk results become trunk_connected/trunk_disconnected on changes only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { AdminEvents, cdrEventData, localCallEvents, trunkEvents, type AdminEvent } from '../../../src/admin/index.js';
import type { CdrRecord } from '../../../src/routing/index.js';

function bus(): { events: AdminEvents; seen: AdminEvent[] } {
  const events = new AdminEvents(new ManualClock());
  const seen: AdminEvent[] = [];
  events.on((e) => seen.push(e));
  return { events, seen };
}

test('a local call answered and hung up: call_start, call_established, call_ended with the pbx-mode keys', () => {
  const { events, seen } = bus();
  const on = localCallEvents(events);
  on({ kind: 'started', callId: 'c1', caller: '101', callee: '102', at: 10_000 });
  on({ kind: 'answered', callId: 'c1', caller: '101', destination: 'extension:102', at: 12_000 });
  on({ kind: 'ended', callId: 'c1', endedReason: 'completed', at: 41_600 });
  assert.deepEqual(seen.map((e) => `${e.topic}/${e.event}`), ['call_events/call_start', 'call_events/call_established', 'call_events/call_ended']);
  assert.deepEqual(seen[0]?.data, { callId: 'c1', streams: 1, local: true, caller: '101', callee: '102' });
  assert.deepEqual(seen[1]?.data, { callId: 'c1', caller: '101', destination: 'extension:102' });
  assert.deepEqual(seen[2]?.data, { callId: 'c1', established: true, durationS: 32, packetsFromPhone: null, packetsToPhone: null, oneWay: false, endedReason: 'completed' });
});

test('a local call that is never answered ends not established; an emergency event publishes nothing', () => {
  const { events, seen } = bus();
  const on = localCallEvents(events);
  on({ kind: 'started', callId: 'c2', caller: '101', callee: '112', at: 0 });
  on({ kind: 'emergency', caller: '101', number: '112', trunk: 'itsp', at: 0 });
  on({ kind: 'ended', callId: 'c2', endedReason: 'cancelled', at: 3000 });
  assert.deepEqual(seen.map((e) => e.event), ['call_start', 'call_ended']);
  assert.equal(seen[1]?.data['established'], false);
  assert.equal(seen[1]?.data['durationS'], 3);
});

test('a CDR is published whole as call_cdr', () => {
  const { events, seen } = bus();
  const record: CdrRecord = {
    id: 'r1', callId: 'c1', caller: '101', callee: '102', direction: 'internal', startedAt: 1, answeredAt: 2, endedAt: 5000, talkSeconds: 4,
    endedReason: 'completed', endedBy: 'caller', finalDestination: 'extension:102', agent: 'branch', survival: false,
  };
  events.publish('call_cdr', cdrEventData(record));
  assert.equal(seen[0]?.topic, 'cdr_events');
  assert.deepEqual(seen[0]?.data, record);
});

test('trunk results publish on a change only', () => {
  const cases: { name: string; results: boolean[]; expected: string[] }[] = [
    { name: 'up, refreshed, refreshed', results: [true, true, true], expected: ['trunk_connected'] },
    { name: 'never up', results: [false, false], expected: ['trunk_disconnected'] },
    { name: 'up, lost, back', results: [true, false, true], expected: ['trunk_connected', 'trunk_disconnected', 'trunk_connected'] },
  ];
  for (const c of cases) {
    const { events, seen } = bus();
    const on = trunkEvents(events);
    for (const ok of c.results) on('itsp', ok ? { ok: true, registration: { expires: 300 } } : { ok: false, error: new Error('408 timeout') });
    assert.deepEqual(seen.map((e) => e.event), c.expected, c.name);
    assert.ok(seen.every((e) => e.topic === 'trunk_events' && e.data['trunk'] === 'itsp'), c.name);
  }
  const { events, seen } = bus();
  trunkEvents(events)('itsp', { ok: false, error: new Error('403 Forbidden') });
  assert.deepEqual(seen[0]?.data, { trunk: 'itsp', reason: '403 Forbidden' });
});
