/** RFC 4733 telephone-events: the payload codec and the DTMF receiver (repeats, redundant ends, lost ends). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DtmfReceiver, RtpParseError, encodeTelephoneEvent, parseTelephoneEvent, type DtmfDigit } from '../../../src/rtp/index.js';

test('telephone-event payload: RFC 4733 §2.3 layout', () => {
  // Digit 5, end bit, volume 10, duration 1600 (200 ms at 8 kHz).
  assert.deepEqual(parseTelephoneEvent(Buffer.from([5, 0x8a, 0x06, 0x40])), { event: 5, end: true, volume: 10, duration: 1600 });
  // The reserved bit is ignored.
  assert.deepEqual(parseTelephoneEvent(Buffer.from([11, 0x4a, 0x00, 0xa0])), { event: 11, end: false, volume: 10, duration: 160 });
  assert.throws(() => parseTelephoneEvent(Buffer.from([1, 2, 3])), RtpParseError);
});

test('telephone-event: encode and parse round-trip; any bytes parse or throw RtpParseError only', () => {
  fc.assert(fc.property(fc.record({ event: fc.integer({ min: 0, max: 255 }), end: fc.boolean(), volume: fc.integer({ min: 0, max: 63 }), duration: fc.integer({ min: 0, max: 0xffff }) }), (e) => {
    assert.deepEqual(parseTelephoneEvent(encodeTelephoneEvent(e)), { ...e });
  }));
  fc.assert(fc.property(fc.uint8Array({ maxLength: 12 }), (bytes) => {
    try {
      const e = parseTelephoneEvent(Buffer.from(bytes));
      assert.ok(e.volume <= 63 && e.duration <= 0xffff);
    } catch (error) {
      assert.ok(error instanceof RtpParseError);
    }
  }));
});

/** The packets a phone sends for one key press: updates every 50 ms, then the end packet three times. */
function press(event: number, timestamp: number, updates: number, ends = 3): [number, Buffer][] {
  const out: [number, Buffer][] = [];
  for (let i = 1; i <= updates; i++) out.push([timestamp, encodeTelephoneEvent({ event, end: false, volume: 10, duration: i * 400 })]);
  for (let i = 0; i < ends; i++) out.push([timestamp, encodeTelephoneEvent({ event, end: true, volume: 10, duration: (updates + 1) * 400 })]);
  return out;
}

function digits(packets: readonly [number, Buffer][], flush = false): DtmfDigit[] {
  const seen: DtmfDigit[] = [];
  const r = new DtmfReceiver((d) => seen.push(d));
  for (const [ts, p] of packets) r.receive(ts, p);
  if (flush) r.flush();
  return seen;
}

test('DTMF receiver: one digit per key press, the three end packets reported once', () => {
  const got = digits(press(5, 8000, 3));
  assert.deepEqual(got, [{ symbol: '5', timestamp: 8000, duration: 1600, ended: true }]);
});

test('DTMF receiver: the same key twice is two digits; * # A and flash have their symbols', () => {
  const got = digits([...press(2, 1000, 2), ...press(2, 5000, 2), ...press(10, 9000, 1), ...press(11, 12000, 1), ...press(12, 15000, 1), ...press(16, 18000, 1)]);
  assert.deepEqual(got.map((d) => d.symbol), ['2', '2', '*', '#', 'A', 'flash']);
});

test('DTMF receiver: an event whose end packets were lost is reported when the next one starts, or on flush', () => {
  const got = digits([...press(1, 1000, 3, 0), ...press(4, 5000, 2)]);
  assert.deepEqual(got.map((d) => [d.symbol, d.ended, d.duration]), [['1', false, 1200], ['4', true, 1200]]);
  assert.deepEqual(digits(press(9, 100, 2, 0), true).map((d) => [d.symbol, d.ended]), [['9', false]]);
  assert.deepEqual(digits(press(9, 100, 2, 0), false), [], 'nothing before the end or a flush');
});

test('DTMF receiver: end packets repeated after the next event began are not a new digit', () => {
  const first = press(3, 1000, 1);
  const second = press(6, 3000, 1);
  // A late repeat of the first event's end arrives after the second began.
  const got = digits([...first, second[0]!, first[first.length - 1]!, ...second.slice(1)]);
  assert.deepEqual(got.map((d) => d.symbol), ['3', '6']);
});
