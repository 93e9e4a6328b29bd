/**
 * The health machine never flaps: for any sequence of tunnel and PBX reports, every failback
 * (survival → failing-back) is preceded by at least the hold-down of uninterrupted health, so the
 * number of failbacks is at most the number of healthy stretches that lasted the hold-down.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { HealthMachine, type ModeTransition } from '../../src/survival/health-machine.js';

type Event = { readonly kind: 'tunnel-up' | 'tunnel-down' | 'pbx-ok' | 'pbx-bad' | 'tick' | 'calls' | 'done'; readonly gapMs: number; readonly calls: number };

const event = fc.record({
  kind: fc.constantFrom('tunnel-up', 'tunnel-down', 'pbx-ok', 'pbx-bad', 'tick', 'calls', 'done'),
  gapMs: fc.integer({ min: 0, max: 30_000 }),
  calls: fc.integer({ min: 0, max: 2 }),
}) as fc.Arbitrary<Event>;

test('failback happens only after the hold-down of uninterrupted health, and modes move only along the figure', () => {
  fc.assert(fc.property(fc.array(event, { maxLength: 200 }), fc.constantFrom<'immediate' | 'when-idle'>('immediate', 'when-idle'), (events, policy) => {
    const holdDownMs = 60_000;
    const m = new HealthMachine(0, { holdDownMs, failback: { kind: policy } });
    let now = 0;
    let healthySince: number | undefined;
    let tunnelUp = false;
    let pbxOk = false;
    for (const e of events) {
      now += e.gapMs;
      let ts: ModeTransition[] = [];
      if (e.kind === 'tunnel-up') ts = m.tunnelUp(now);
      else if (e.kind === 'tunnel-down') ts = m.tunnelDown(now, 'x');
      else if (e.kind === 'pbx-ok') ts = m.pbxReachable(now);
      else if (e.kind === 'pbx-bad') ts = m.pbxUnreachable(now, 'x');
      else if (e.kind === 'calls') ts = m.survivalCalls(e.calls, now);
      else if (e.kind === 'done') ts = m.failbackDone(now);
      else ts = m.tick(now);
      // The model of health kept by the test itself.
      if (e.kind === 'tunnel-up') [tunnelUp, pbxOk] = [true, false];
      if (e.kind === 'tunnel-down') [tunnelUp, pbxOk] = [false, false];
      if (e.kind === 'pbx-ok' && tunnelUp) pbxOk = true;
      if (e.kind === 'pbx-bad' && tunnelUp) pbxOk = false;
      if (tunnelUp && pbxOk) healthySince ??= now;
      else healthySince = undefined;
      for (const t of ts) {
        assert.ok(
          (t.from === 'normal' && t.to === 'survival') || (t.from === 'survival' && t.to === 'failing-back')
            || (t.from === 'failing-back' && (t.to === 'normal' || t.to === 'survival')),
          `${t.from} → ${t.to}`,
        );
        if (t.to === 'failing-back') {
          assert.ok(healthySince !== undefined && now - healthySince >= holdDownMs, `failback at ${now} after health since ${String(healthySince)}`);
        }
      }
    }
  }), { numRuns: 300 });
});
