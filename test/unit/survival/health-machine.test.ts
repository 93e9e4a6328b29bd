/** The survival health machine: takeover, hold-down, failback policies, no flapping. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HealthMachine, type ModeTransition } from '../../../src/survival/health-machine.js';

const T0 = Date.UTC(2026, 11, 3, 9, 0, 0);
const s = (seconds: number): number => T0 + seconds * 1000;

/** A machine whose tunnel came up at 1 s with the PBX reachable. */
function healthy(policy: ConstructorParameters<typeof HealthMachine>[1] = {}): HealthMachine {
  const m = new HealthMachine(T0, policy);
  m.tunnelUp(s(1));
  m.pbxReachable(s(1.1));
  return m;
}

const modes = (ts: readonly ModeTransition[]): string[] => ts.map((t) => `${t.from}→${t.to}`);

test('a dead tunnel or an unreachable PBX is survival at once, with the reason', () => {
  const a = healthy();
  const t = a.tunnelDown(s(10), 'no data for 3000 ms');
  assert.deepEqual(modes(t), ['normal→survival']);
  assert.equal(t[0]?.reason, 'tunnel down: no data for 3000 ms');
  const b = healthy();
  assert.deepEqual(modes(b.pbxUnreachable(s(10), '3 OPTIONS without answer')), ['normal→survival']);
  assert.equal(b.snapshot(s(10)).reason, 'PBX unreachable: 3 OPTIONS without answer');
});

test('an agent started without its tunnel goes to survival after the start-up grace, not before', () => {
  const m = new HealthMachine(T0);
  assert.deepEqual(m.tick(s(4.9)), []);
  assert.deepEqual(modes(m.tick(s(5))), ['normal→survival']);
  const up = new HealthMachine(T0);
  up.tunnelUp(s(2));
  assert.deepEqual(up.tick(s(10)), [], 'a tunnel up in time keeps normal mode, even before the PBX report');
  const empty = new HealthMachine(T0);
  assert.deepEqual(empty.tick(s(30), false), [], 'nothing to serve alone (no snapshot, no stored registrations): stays normal');
  assert.deepEqual(modes(empty.tick(s(31), true)), ['normal→survival'], 'until there is');
});

test('failback waits for the hold-down without a break, then completes when the bindings are re-registered', () => {
  const m = healthy({ failback: { kind: 'immediate' } });
  m.tunnelDown(s(10), 'dead');
  m.tunnelUp(s(20));
  assert.deepEqual(m.tick(s(30)), [], 'PBX state unknown after the new session');
  m.pbxReachable(s(21));
  assert.deepEqual(m.tick(s(80.9)), []);
  assert.equal(m.snapshot(s(80.9)).waitingFor, 'hold-down');
  assert.deepEqual(modes(m.tick(s(81))), ['survival→failing-back']);
  assert.deepEqual(modes(m.failbackDone(s(83))), ['failing-back→normal']);
  assert.deepEqual(m.failbackDone(s(84)), [], 'only once');
});

test('a failure during failback returns to survival, and the hold-down starts again', () => {
  const m = healthy({ failback: { kind: 'immediate' }, holdDownMs: 10_000 });
  m.pbxUnreachable(s(5), 'timeout');
  m.pbxReachable(s(6));
  assert.deepEqual(modes(m.tick(s(16))), ['survival→failing-back']);
  assert.deepEqual(modes(m.pbxUnreachable(s(17), 'timeout')), ['failing-back→survival']);
  m.pbxReachable(s(18));
  assert.deepEqual(m.tick(s(27.9)), []);
  assert.deepEqual(modes(m.tick(s(28))), ['survival→failing-back']);
});

test('when-idle: a survival call up delays failback until it ends', () => {
  const m = healthy({ holdDownMs: 10_000 });
  m.tunnelDown(s(5), 'dead');
  m.survivalCalls(1, s(6));
  m.tunnelUp(s(7));
  m.pbxReachable(s(7));
  assert.deepEqual(m.tick(s(30)), []);
  assert.equal(m.snapshot(s(30)).waitingFor, 'calls');
  assert.deepEqual(modes(m.survivalCalls(0, s(31))), ['survival→failing-back']);
});

test('window: failback only inside the daily window (in its time zone, across midnight)', () => {
  // 22:00 to 06:00 in Paris (UTC+1 in December); T0 is 10:00 in Paris.
  const m = healthy({ holdDownMs: 1000, failback: { kind: 'window', from: 22 * 60, to: 6 * 60, timeZone: 'Europe/Paris' } });
  m.pbxUnreachable(s(5), 'x');
  m.pbxReachable(s(6));
  assert.deepEqual(m.tick(s(60)), []);
  assert.equal(m.snapshot(s(60)).waitingFor, 'window');
  assert.deepEqual(modes(m.tick(s(12 * 3600))), ['survival→failing-back'], '22:00 Paris');
});

test('reports while the tunnel is down do not count (the PBX is unknown without a tunnel)', () => {
  const m = healthy({ failback: { kind: 'immediate' }, holdDownMs: 1000 });
  m.tunnelDown(s(5), 'dead');
  assert.deepEqual(m.pbxReachable(s(6)), []);
  assert.deepEqual(m.tick(s(100)), []);
  assert.equal(m.snapshot(s(100)).pbx, 'unknown');
});

test('a PBX flapping every 10 s for 2 minutes: one failover, then one failback once it is stable', () => {
  const m = healthy({ failback: { kind: 'immediate' } });
  const all: ModeTransition[] = [];
  for (let t = 10; t < 130; t += 20) {
    all.push(...m.pbxUnreachable(s(t), 'no answer'));
    for (let u = t; u < t + 10; u++) all.push(...m.tick(s(u)));
    all.push(...m.pbxReachable(s(t + 10)));
    for (let u = t + 10; u < t + 20; u++) all.push(...m.tick(s(u)));
  }
  for (let u = 130; u < 200; u++) all.push(...m.tick(s(u)));
  assert.deepEqual(modes(all), ['normal→survival', 'survival→failing-back']);
  assert.ok((all[1]?.at ?? 0) >= s(120 + 60), 'failback only a hold-down after the last flap');
});

test('the WAN and the PBX flapping together, and a drop during failing-back: the hold-down starts again, one failback once stable', () => {
  const m = healthy({ failback: { kind: 'immediate' }, holdDownMs: 15_000 });
  const all: ModeTransition[] = [];
  // Every 10 s for 2 minutes the tunnel or the PBX goes (alternately), then comes back 5 s later.
  for (let t = 10; t < 130; t += 10) {
    all.push(...((t / 10) % 2 === 0 ? m.tunnelDown(s(t), 'dead') : m.pbxUnreachable(s(t), 'no answer')));
    for (let u = t; u < t + 5; u++) all.push(...m.tick(s(u)));
    if ((t / 10) % 2 === 0) all.push(...m.tunnelUp(s(t + 5)));
    all.push(...m.pbxReachable(s(t + 5)));
    for (let u = t + 5; u < t + 10; u++) all.push(...m.tick(s(u)));
    assert.equal(m.snapshot(s(t + 9)).waitingFor, 'hold-down', `the hold-down restarted at ${t} s`);
  }
  assert.deepEqual(modes(all), ['normal→survival'], 'one failover, no failback while flapping');
  // Stable from 125 s: failing-back at 140 s; the PBX drops during it, before the bindings are back.
  for (let u = 130; u <= 140; u++) all.push(...m.tick(s(u)));
  const interrupted = m.snapshot(s(140)).since;
  all.push(...m.pbxUnreachable(s(141), 'no answer'));
  all.push(...m.pbxReachable(s(142)));
  assert.deepEqual(m.failbackDone(s(143), interrupted), [], 'the interrupted failback does not complete a later one');
  for (let u = 143; u < 157; u++) all.push(...m.tick(s(u)));
  assert.equal(m.mode, 'survival', 'a new hold-down from the PBX\'s return at 142 s');
  all.push(...m.tick(s(157)));
  assert.deepEqual(m.failbackDone(s(158), interrupted), [], 'not the old failback either');
  all.push(...m.failbackDone(s(158), m.snapshot(s(158)).since));
  assert.deepEqual(modes(all), ['normal→survival', 'survival→failing-back', 'failing-back→survival', 'survival→failing-back', 'failing-back→normal']);
});
