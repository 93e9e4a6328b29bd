/**
 * While calls are up the agent tries the hub at least every second (issue 12): a long backoff is
 * cut short, and a connect attempt hanging on a dead link is overtaken by a fresh one each second,
 * so the tunnel is back within about a second of the link's return whatever the outage's length;
 * when the attempts fail at once for want of a route (the WAN link down), every ~0.1 s.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import type { TunnelCarriage } from '../../../src/net/index.js';
import { TunnelClient, TunnelServer } from '../../../src/tunnel/index.js';
import { MemoryPipe, settle } from '../../support/tunnel-pipe.js';

interface Rig {
  readonly clock: ManualClock;
  readonly client: TunnelClient;
  /** connect() calls so far, with the clock time of each. */
  readonly attempts: number[];
  /** The link: down (attempts hang, are refused, or fail at once for want of a route), or up (attempts reach the hub). */
  link: 'up' | 'down-hang' | 'down-refuse' | 'down-no-route';
}

function rig(): Rig {
  const clock = new ManualClock();
  const hub = new TunnelServer({ clock, identity: 'hub' });
  const attempts: number[] = [];
  const r: Rig = {
    clock, attempts, link: 'up',
    client: new TunnelClient({
      clock, identity: 'agent-1', random: () => 0.5,
      connect: async (): Promise<TunnelCarriage> => {
        attempts.push(clock.now());
        if (r.link === 'down-refuse') throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        if (r.link === 'down-no-route') throw new Error('tunnel: TLS failed, WSS failed', { cause: Object.assign(new Error('connect ENETUNREACH'), { code: 'ENETUNREACH' }) });
        if (r.link === 'down-hang') return new Promise<TunnelCarriage>(() => {});
        const pipe = new MemoryPipe();
        hub.accept(pipe.b);
        return pipe.a;
      },
    }),
  };
  return r;
}

async function run(r: Rig, ms: number, step = 50): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    r.clock.advance(step);
    await settle();
  }
}

test('after a long outage the ordinary backoff waits up to 30 s; urgent cuts it to about a second', async () => {
  const r = rig();
  r.client.start();
  await settle();
  assert.equal(r.client.state, 'open');
  r.link = 'down-refuse';
  r.client.session.close(9 as never, 'cut');
  await run(r, 120_000, 250);
  const gaps = r.attempts.slice(-3).map((t, i, a) => (i === 0 ? 0 : t - (a[i - 1] ?? 0))).slice(1);
  assert.ok(gaps.every((g) => g >= 10_000), `the backoff has grown: ${gaps.join(', ')} ms`);
  const before = r.attempts.length;
  r.client.setUrgent(true);
  await run(r, 5000);
  assert.ok(r.attempts.length - before >= 5, `at least one attempt a second while urgent: ${r.attempts.length - before} in 5 s`);
  r.link = 'up';
  const back = r.clock.now();
  await run(r, 1500);
  assert.equal(r.client.state, 'open');
  const reconnectedAt = r.attempts[r.attempts.length - 1] ?? 0;
  assert.ok(reconnectedAt - back <= 1000, `an attempt within 1 s of the link's return (${reconnectedAt - back} ms)`);
  r.client.close();
});

test('urgent: an attempt hanging on a dead link is overtaken every second, and the tunnel is back within a second of the link', async () => {
  const r = rig();
  r.client.setUrgent(true);
  r.link = 'down-hang';
  r.client.start();
  await run(r, 10_000);
  const gaps = r.attempts.slice(1).map((t, i) => t - (r.attempts[i] ?? 0));
  assert.ok(r.attempts.length >= 10, `attempts while hanging: ${r.attempts.length}`);
  assert.ok(gaps.every((g) => g <= 1000), `gaps ${gaps.join(', ')} ms`);
  r.link = 'up';
  const back = r.clock.now();
  await run(r, 1100);
  assert.equal(r.client.state, 'open', 'back within about a second of the link');
  const count = r.attempts.length;
  await run(r, 5000);
  assert.equal(r.attempts.length, count, 'no more attempts once open');
  assert.ok((r.attempts[count - 1] ?? 0) - back <= 1000);
  r.client.close();
});

test('not urgent: a hanging attempt is not overtaken (the ordinary behaviour)', async () => {
  const r = rig();
  r.link = 'down-hang';
  r.client.start();
  await run(r, 10_000);
  assert.equal(r.attempts.length, 1);
  r.client.setUrgent(true);
  await run(r, 1000);
  assert.equal(r.attempts.length, 2, 'urgent overtakes it within a second');
  r.client.setUrgent(false);
  await run(r, 10_000);
  assert.equal(r.attempts.length, 2, 'and stops overtaking when the calls are gone');
  r.client.close();
});

test('urgent: attempts that fail for want of a route follow each other every ~0.1 s, so the tunnel is back within ~0.1 s of the link', async () => {
  const r = rig();
  r.client.start();
  await settle();
  r.client.setUrgent(true);
  r.link = 'down-no-route';
  r.client.session.close(9 as never, 'cut');
  await run(r, 10_000, 10);
  const gaps = r.attempts.slice(2).map((t, i) => t - (r.attempts[i + 1] ?? 0));
  // 75–100 ms apart (an overtaking attempt of the 1 s timer may fall in between).
  assert.ok(gaps.length >= 90 && gaps.length <= 140, `attempts during the cut: ${gaps.length}`);
  assert.ok(gaps.every((g) => g <= 100), `gaps ${[...new Set(gaps)].join(', ')} ms`);
  r.link = 'up';
  const back = r.clock.now();
  await run(r, 200, 10);
  assert.equal(r.client.state, 'open');
  assert.ok((r.attempts.at(-1) ?? 0) - back <= 100, `an attempt within 0.1 s of the link's return (${(r.attempts.at(-1) ?? 0) - back} ms)`);
  r.client.close();
});

test('urgent: a refused attempt (packets went out) still waits ~1 s; not urgent, a no-route failure keeps the plain backoff', async () => {
  const refused = rig();
  refused.client.start();
  await settle();
  refused.client.setUrgent(true);
  refused.link = 'down-refuse';
  refused.client.session.close(9 as never, 'cut');
  await run(refused, 10_000, 10);
  const refusedGaps = refused.attempts.slice(3).map((t, i) => t - (refused.attempts[i + 2] ?? 0));
  assert.ok(refusedGaps.every((g) => g >= 500), `refused: gaps ${[...new Set(refusedGaps)].join(', ')} ms`);
  refused.client.close();
  const calm = rig();
  calm.client.start();
  await settle();
  calm.link = 'down-no-route';
  calm.client.session.close(9 as never, 'cut');
  await run(calm, 10_000, 10);
  const calmGaps = calm.attempts.slice(3).map((t, i) => t - (calm.attempts[i + 2] ?? 0));
  assert.ok(calmGaps.every((g) => g >= 500), `not urgent: gaps ${[...new Set(calmGaps)].join(', ')} ms`);
  calm.client.close();
});
