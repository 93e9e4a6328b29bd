import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DEFAULT_LABEL_TIMEOUT_MS,
  MAX_STREAM_LABEL_BYTES,
  StreamDispatcher,
  decodeStreamLabel,
  encodeStreamLabel,
  isStreamLabel,
  openLabeledStream,
  type StreamRefusal,
  type TunnelSession,
  type TunnelStream,
} from '../../../src/tunnel/index.js';
import { connectedPair, settle, type Harness } from './harness.js';

interface Rig {
  readonly h: Harness;
  readonly hubSession: TunnelSession;
  readonly streams: StreamDispatcher;
  /** What the `sip/1` handler got: the stream, its session, and the messages after the label. */
  readonly handled: Array<{ stream: TunnelStream; session: TunnelSession; data: Buffer[] }>;
}

/** A connected pair whose hub session hands every agent stream to a dispatcher with `sip/1` registered. */
async function rig(): Promise<Rig> {
  // The path never goes dead here, however far a test moves the clock.
  const h = await connectedPair({ deadAfterMs: 3_600_000 });
  const hubSession = h.serverSessions[0];
  assert.ok(hubSession);
  const streams = new StreamDispatcher({ clock: h.clock });
  hubSession.on('stream', (stream) => streams.accept(hubSession, stream));
  const handled: Rig['handled'] = [];
  streams.register('sip/1', (stream, session) => {
    const entry = { stream, session, data: [] as Buffer[] };
    handled.push(entry);
    stream.on('data', (d) => entry.data.push(Buffer.from(d)));
  });
  return { h, hubSession, streams, handled };
}

function closes(stream: TunnelStream): Array<{ reset: boolean }> {
  const out: Array<{ reset: boolean }> = [];
  stream.on('close', (c) => out.push(c));
  return out;
}

const NO_REFUSAL: Record<StreamRefusal, number> = { unknown: 0, malformed: 0, timeout: 0, ended: 0, closed: 0 };

test('a labelled stream reaches its handler; the label is not data; what follows it arrives in order', async () => {
  const r = await rig();
  const stream = openLabeledStream(r.h.client, 'sip/1');
  const messages = [Buffer.from('REGISTER sip:pbx SIP/2.0\r\n\r\n'), Buffer.alloc(70_000, 7), Buffer.from('sip/1')];
  for (const m of messages) stream.write(m);
  await settle();
  assert.equal(r.handled.length, 1);
  assert.equal(r.handled[0]?.session, r.hubSession);
  assert.equal(r.handled[0]?.stream.id, stream.id);
  // 70,000 bytes arrive as MAX_PAYLOAD + rest; a later 'sip/1' is data, not a label.
  assert.deepEqual(Buffer.concat(r.handled[0]?.data ?? []), Buffer.concat(messages));
  assert.equal(r.handled[0]?.data[0]?.toString(), messages[0]?.toString());
  assert.deepEqual(r.streams.stats(), { dispatched: { 'sip/1': 1 }, refused: NO_REFUSAL, waiting: 0 });
  assert.equal(stream.closed, false);
  r.h.client.close();
});

const REFUSED: ReadonlyArray<readonly [string, Buffer, StreamRefusal]> = [
  ['a label nobody registered', Buffer.from('fax/1'), 'unknown'],
  ['a version the receiver does not know', Buffer.from('sip/2'), 'unknown'],
  ['upper case', Buffer.from('SIP/1'), 'malformed'],
  ['no version', Buffer.from('sip'), 'malformed'],
  ['version 0', Buffer.from('sip/0'), 'malformed'],
  ['a leading zero', Buffer.from('sip/01'), 'malformed'],
  ['a trailing space', Buffer.from('sip/1 '), 'malformed'],
  ['a trailing newline', Buffer.from('sip/1\n'), 'malformed'],
  ['two slashes', Buffer.from('sip/1/2'), 'malformed'],
  ['a name starting with a digit', Buffer.from('1sip/1'), 'malformed'],
  ['non-ASCII', Buffer.from('síp/1', 'utf8'), 'malformed'],
  ['a NUL byte', Buffer.from('sip\0/1'), 'malformed'],
  ['longer than 64 bytes', Buffer.from(`${'a'.repeat(MAX_STREAM_LABEL_BYTES - 1)}/1`), 'malformed'],
  ['a SIP message first (an agent from before labels)', Buffer.from('REGISTER sip:pbx.example.net SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.2\r\n\r\n'), 'malformed'],
  ['a JSON request first', Buffer.from('{"path":"x.cfg","query":""}'), 'malformed'],
];

for (const [name, first, why] of REFUSED) {
  test(`first message ${name}: the stream is reset and counted as ${why}`, async () => {
    const r = await rig();
    const stream = r.h.client.openStream();
    const closed = closes(stream);
    stream.write(first);
    stream.write(Buffer.from('more data that must not reach a handler'));
    await settle();
    assert.deepEqual(closed, [{ reset: true }]);
    assert.equal(r.handled.length, 0);
    assert.deepEqual(r.streams.stats(), { dispatched: {}, refused: { ...NO_REFUSAL, [why]: 1 }, waiting: 0 });
    assert.equal(r.hubSession.streams.size, 0, 'the hub holds nothing of it');
    r.h.client.close();
  });
}

test('FIN before any label: reset, counted as ended', async () => {
  const r = await rig();
  const stream = r.h.client.openStream();
  const closed = closes(stream);
  stream.end();
  await settle();
  assert.deepEqual(closed, [{ reset: true }]);
  assert.equal(r.streams.stats().refused.ended, 1);
  r.h.client.close();
});

test('no label within the wait: reset at DEFAULT_LABEL_TIMEOUT_MS, not before', async () => {
  const r = await rig();
  const stream = r.h.client.openStream();
  const closed = closes(stream);
  await settle();
  assert.equal(r.streams.stats().waiting, 1);
  r.h.clock.advance(DEFAULT_LABEL_TIMEOUT_MS - 1);
  await settle();
  assert.deepEqual(closed, []);
  r.h.clock.advance(1);
  await settle();
  assert.deepEqual(closed, [{ reset: true }]);
  assert.deepEqual(r.streams.stats(), { dispatched: {}, refused: { ...NO_REFUSAL, timeout: 1 }, waiting: 0 });
  // A label that comes in time is not refused later.
  const late = openLabeledStream(r.h.client, 'sip/1');
  await settle();
  r.h.clock.advance(DEFAULT_LABEL_TIMEOUT_MS * 2);
  await settle();
  assert.equal(late.closed, false);
  assert.equal(r.handled.length, 1);
  r.h.client.close();
});

test('a stream the agent resets while waiting is forgotten without a refusal', async () => {
  const r = await rig();
  const stream = r.h.client.openStream();
  await settle();
  assert.equal(r.streams.stats().waiting, 1);
  stream.reset();
  await settle();
  r.h.clock.advance(DEFAULT_LABEL_TIMEOUT_MS);
  assert.deepEqual(r.streams.stats(), { dispatched: {}, refused: NO_REFUSAL, waiting: 0 });
  r.h.client.close();
});

test('a handler that throws: the stream is reset, the dispatcher goes on', async () => {
  const r = await rig();
  r.streams.register('boom/1', () => {
    throw new Error('handler bug');
  });
  const bad = openLabeledStream(r.h.client, 'boom/1');
  const closed = closes(bad);
  const good = openLabeledStream(r.h.client, 'sip/1');
  await settle();
  assert.deepEqual(closed, [{ reset: true }]);
  assert.equal(good.closed, false);
  assert.deepEqual(r.streams.stats().dispatched, { 'boom/1': 1, 'sip/1': 1 });
  r.h.client.close();
});

test('register: bad labels and a second handler are refused; unregister leaves the label unknown', async () => {
  const r = await rig();
  for (const bad of ['', 'sip', 'SIP/1', 'sip/0', 'sip/1 ', `${'a'.repeat(63)}/1`, 'sip/12345']) {
    assert.throws(() => r.streams.register(bad, () => {}), RangeError, JSON.stringify(bad));
    assert.throws(() => encodeStreamLabel(bad), RangeError, JSON.stringify(bad));
    assert.throws(() => openLabeledStream(r.h.client, bad), RangeError, JSON.stringify(bad));
  }
  assert.throws(() => r.streams.register('sip/1', () => {}), /already registered/);
  const off = r.streams.register('provisioning/1', () => {});
  assert.deepEqual(r.streams.labels.sort(), ['provisioning/1', 'sip/1']);
  off();
  assert.deepEqual(r.streams.labels, ['sip/1']);
  const stream = openLabeledStream(r.h.client, 'provisioning/1');
  const closed = closes(stream);
  await settle();
  assert.deepEqual(closed, [{ reset: true }]);
  assert.equal(r.streams.stats().refused.unknown, 1);
  r.h.client.close();
});

test('close(): streams still waiting are reset, later ones refused; idempotent', async () => {
  const r = await rig();
  const waiting = r.h.client.openStream();
  const closedWaiting = closes(waiting);
  await settle();
  r.streams.close();
  r.streams.close();
  await settle();
  assert.deepEqual(closedWaiting, [{ reset: true }]);
  const later = openLabeledStream(r.h.client, 'sip/1');
  const closedLater = closes(later);
  await settle();
  assert.deepEqual(closedLater, [{ reset: true }]);
  assert.equal(r.handled.length, 0);
  assert.equal(r.streams.stats().refused.closed, 1);
  r.h.client.close();
});

test('labels: encode and decode round-trip; decoding any bytes gives a label or undefined, never throws', () => {
  const label = fc
    .tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,40}$/), fc.integer({ min: 1, max: 9999 }))
    .map(([name, version]) => `${name}/${version}`);
  fc.assert(
    fc.property(label, (l) => {
      assert.ok(isStreamLabel(l));
      assert.equal(decodeStreamLabel(encodeStreamLabel(l)), l);
    }),
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
      const decoded = decodeStreamLabel(Buffer.from(bytes));
      if (decoded !== undefined) assert.deepEqual(encodeStreamLabel(decoded), Buffer.from(bytes));
    }),
  );
  assert.equal(decodeStreamLabel(Buffer.alloc(0)), undefined);
});
