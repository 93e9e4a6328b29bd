import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { OneWayAudioDetector, type OneWayAudioClear, type OneWayAudioStart, type RtpDirection } from '../../../src/rtp/index.js';

function setup(): { clock: ManualClock; detector: OneWayAudioDetector; log: Array<OneWayAudioStart | OneWayAudioClear> } {
  const clock = new ManualClock(10_000);
  const detector = new OneWayAudioDetector(clock);
  const log: Array<OneWayAudioStart | OneWayAudioClear> = [];
  detector.events.on('one-way-start', (e) => log.push(e));
  detector.events.on('one-way-clear', (e) => log.push(e));
  detector.start();
  return { clock, detector, log };
}

/** Advances in 20 ms steps for `ms`, sending RTP in the given directions. */
function run(clock: ManualClock, detector: OneWayAudioDetector, ms: number, directions: RtpDirection[]): void {
  for (let t = 0; t < ms; t += 20) {
    for (const d of directions) detector.packet(d);
    clock.advance(20);
  }
}

test('one direction silent for more than 5 s while the other talks: flagged, then cleared by media', () => {
  const { clock, detector, log } = setup();
  run(clock, detector, 7000, ['b-to-a']);
  // Checks every 500 ms from 10 000; the first with more than 5000 ms of silence is 15 500.
  assert.deepEqual(log, [{ silent: 'a-to-b', at: 15_500, silentForMs: 5500 }]);
  assert.deepEqual(detector.oneWay, { silent: 'a-to-b', since: 15_500 });
  detector.packet('a-to-b');
  assert.deepEqual(log[1], { silent: 'a-to-b', at: 17_000, durationMs: 1500, reason: 'media' });
  assert.equal(detector.oneWay, undefined);
  run(clock, detector, 10_000, ['a-to-b', 'b-to-a']);
  assert.equal(log.length, 2);
});

test('a direction that stops mid-call is flagged 5 s after its last packet', () => {
  const { clock, detector, log } = setup();
  run(clock, detector, 2000, ['a-to-b', 'b-to-a']); // last a-to-b packet at 11 980
  run(clock, detector, 6000, ['a-to-b']);
  assert.deepEqual(log, [{ silent: 'b-to-a', at: 17_000, silentForMs: 5020 }]);
});

test('both directions silent is not one-way audio; a flag clears when the other side stops too', () => {
  const { clock, detector, log } = setup();
  clock.advance(20_000);
  assert.equal(log.length, 0);
  run(clock, detector, 6000, ['b-to-a']); // b-to-a from 30 000 to 35 980
  assert.equal(log.length, 1);
  assert.equal((log[0] as OneWayAudioStart).at, 30_500);
  clock.advance(6000);
  assert.deepEqual(log[1], { silent: 'a-to-b', at: 41_000, durationMs: 10_500, reason: 'both-silent' });
});

test('hold: a direction not expected to send is never flagged, and a raised flag clears', () => {
  const { clock, detector, log } = setup();
  detector.expect('a-to-b', false);
  run(clock, detector, 8000, ['b-to-a']);
  assert.equal(log.length, 0);
  detector.expect('a-to-b', true);
  run(clock, detector, 5000, ['b-to-a']);
  assert.equal(log.length, 0, 'resumed direction gets a fresh 5 s');
  run(clock, detector, 1000, ['b-to-a']);
  assert.equal(log.length, 1);
  detector.expect('a-to-b', false);
  assert.equal((log[1] as OneWayAudioClear).reason, 'not-expected');
});

test('close clears a raised flag, stops the timer and is idempotent', () => {
  const { clock, detector, log } = setup();
  run(clock, detector, 6000, ['a-to-b']);
  assert.equal(log.length, 1);
  assert.equal(clock.pending, 1);
  detector.close();
  detector.close();
  assert.equal((log[1] as OneWayAudioClear).reason, 'closed');
  assert.equal(clock.pending, 0);
  detector.packet('b-to-a');
  assert.equal(log.length, 2);
});

test('thresholds are configurable', () => {
  const clock = new ManualClock(0);
  const detector = new OneWayAudioDetector(clock, { silenceMs: 2000, checkIntervalMs: 100 });
  const starts: OneWayAudioStart[] = [];
  detector.events.on('one-way-start', (e) => starts.push(e));
  detector.start();
  run(clock, detector, 3000, ['a-to-b']);
  assert.deepEqual(starts, [{ silent: 'b-to-a', at: 2100, silentForMs: 2100 }]);
  detector.close();
});
