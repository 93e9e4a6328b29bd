import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { QueueEngine, RETRY_MS, type CallQueue, type QueueAction, type QueueStrategy } from '../../../src/routing/index.js';

const AGENTS = ['201', '202', '203', '204'];
const VM: CallQueue['noAnswer'] = { kind: 'voicemail', number: '8000' };

function queueOf(over: Partial<CallQueue> = {}): CallQueue {
  return { number: '8000', name: 'Q', agents: AGENTS, strategy: 'prioritized-hunt', ringSeconds: 10, maxWaitSeconds: 600, wrapUpSeconds: 0, keepWaitingIfNoAgent: false, noAnswer: VM, ...over };
}

/** A cycling sequence of "random" numbers. */
const sequence = (values: readonly number[]) => {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
};

function rig(over: Partial<CallQueue> = {}, random: readonly number[] = [0], signedIn?: string[]) {
  const clock = new ManualClock(0);
  const log: Array<QueueAction & { at: number }> = [];
  const engine = new QueueEngine(queueOf(over), { clock, onAction: (a) => log.push({ ...a, at: clock.now() }), random: sequence(random), ...(signedIn === undefined ? {} : { signedIn }) });
  /** `agent` takes a call of `talkMs` while the others are busy elsewhere (sets the counters). */
  let n = 0;
  const take = (agent: string, talkMs: number) => {
    const others = engine.queue.agents.filter((a) => a !== agent);
    for (const a of others) engine.setBusy(a, true);
    const id = `setup-${n++}`;
    engine.arrive(id);
    engine.answered(id, agent);
    clock.advance(talkMs);
    engine.callEnded(id);
    for (const a of others) engine.setBusy(a, false);
  };
  /** The rings since `from`, as `seconds-after-from:agents`. */
  const rings = (from: number, callId?: string) =>
    log.filter((a) => a.kind === 'ring' && a.at >= from && (callId === undefined || a.callId === callId)).map((a) => `${(a.at - from) / 1000}:${a.kind === 'ring' ? a.agents.join(',') : ''}`).join(' ');
  return { clock, log, engine, take, rings };
}

/** Counters for the sorted strategies: 201 two short calls, 202 one long, 204 one short, 203 none. */
function history(r: ReturnType<typeof rig>) {
  r.take('201', 2000);
  r.take('202', 60_000);
  r.take('201', 2000);
  r.take('204', 5000);
  r.clock.advance(1000);
}

test('each strategy: who rings, in what order, for how long (ring time 10 s, 5 s between passes)', () => {
  const rows: Array<{ strategy: QueueStrategy; why: string; random?: number[]; setup?: (r: ReturnType<typeof rig>) => void; rings: string }> = [
    { strategy: 'ring-all', why: 'all four at once, again after each pause', rings: '0:201,202,203,204 15:201,202,203,204 30:201,202,203,204 45:201,202,203,204' },
    { strategy: 'prioritized-hunt', why: 'in the agents’ order, every pass', rings: '0:201 10:202 20:203 30:204 45:201' },
    { strategy: 'random-start-hunt', why: 'random 0.5 of 4 agents starts at the third; the next pass draws 0.0', random: [0.5, 0], rings: '0:203 10:204 20:201 30:202 45:201' },
    { strategy: 'round-robin', why: '202 took the last call: start after it', setup: (r) => r.take('202', 1000), rings: '0:203 10:204 20:201 30:202 45:203' },
    { strategy: 'longest-waiting', why: '203 never had a call (idle since 0), then 202 (free since 62 s), 201 (64 s), 204 (69 s)', setup: history, rings: '0:203 10:202 20:201 30:204 45:203' },
    { strategy: 'least-talk-time', why: '203 0 s, 201 4 s, 204 5 s, 202 60 s', setup: history, rings: '0:203 10:201 20:204 30:202 45:203' },
    { strategy: 'fewest-answered', why: '203 none, 202 and 204 one each (order kept), 201 two', setup: history, rings: '0:203 10:202 20:204 30:201 45:203' },
    { strategy: 'hunt-by-threes-prioritized', why: 'three, then the fourth', rings: '0:201,202,203 10:204 25:201,202,203 35:204' },
    { strategy: 'hunt-by-threes-random', why: 'a Fisher–Yates shuffle with 0, 0, 0 gives 202 203 204 201', random: [0], rings: '0:202,203,204 10:201 25:202,203,204 35:201' },
  ];
  for (const row of rows) {
    const r = rig({ strategy: row.strategy }, row.random ?? [0]);
    row.setup?.(r);
    const start = r.clock.now();
    r.engine.arrive('caller');
    r.clock.advance(49_000);
    assert.equal(r.rings(start, 'caller'), row.rings, `${row.strategy}: ${row.why}`);
    // Every ring lasts the ring time: each ring is followed by its stop 10 s later.
    const own = r.log.filter((a) => a.callId === 'caller' && a.at >= start);
    for (const [i, a] of own.entries()) {
      if (a.kind !== 'ring') continue;
      assert.equal(a.seconds, 10, row.strategy);
      const stop = own.slice(i + 1).find((b) => b.kind === 'stop-ringing');
      if (a.at + 10_000 <= start + 49_000) assert.deepEqual(stop && { at: stop.at, agents: stop.kind === 'stop-ringing' ? stop.agents : [] }, { at: a.at + 10_000, agents: a.agents }, `${row.strategy}: stop of the ring at ${a.at}`);
    }
    r.engine.close();
  }
});

test('wrap-up: the agent rests after a call; a caller meanwhile rings the others, then the agent when the rest is over', () => {
  const r = rig({ agents: ['201', '202'], wrapUpSeconds: 20 });
  r.engine.arrive('c1');
  r.engine.answered('c1', '201');
  r.clock.advance(30_000);
  r.engine.callEnded('c1');
  assert.equal(r.engine.agentState('201'), 'wrap-up');
  r.clock.advance(1000);
  r.engine.arrive('c2'); // t = 31 s: 201 rests until 50 s
  r.clock.advance(35_000);
  // 202 at 31 s; no one left in the pass: pause; 46 s: 201 still resting, 202 again; 61 s: 201 first.
  assert.equal(r.rings(31_000, 'c2'), '0:202 15:202 30:201');
  assert.equal(r.engine.agentState('201'), 'ringing');
  r.engine.close();
});

test('wrap-up: a caller with no free agent waits, and rings the agent the moment the wrap-up ends', () => {
  const r = rig({ agents: ['201', '202'], wrapUpSeconds: 20 }, [0], ['201']);
  r.engine.arrive('c1');
  r.engine.answered('c1', '201');
  r.clock.advance(10_000);
  r.engine.callEnded('c1');
  r.engine.arrive('c2');
  r.clock.advance(19_999);
  assert.equal(r.rings(10_000, 'c2'), '');
  r.clock.advance(1);
  assert.equal(r.rings(10_000, 'c2'), '20:201');
  r.engine.close();
});

test('the first answer connects; the other agents stop ringing; statistics count wait and talk', () => {
  const r = rig({ strategy: 'ring-all', agents: ['201', '202', '203'] });
  r.engine.arrive('c1');
  r.clock.advance(4000);
  r.engine.answered('c1', '202');
  assert.deepEqual(r.log.slice(-2).map(({ at: _at, ...a }) => a), [
    { kind: 'stop-ringing', callId: 'c1', agents: ['201', '203'] },
    { kind: 'connect', callId: 'c1', agent: '202' },
  ]);
  // A late answer from another agent is ignored.
  r.engine.answered('c1', '201');
  assert.equal(r.log.filter((a) => a.kind === 'connect').length, 1);
  r.clock.advance(60_000);
  r.engine.hangUp('c1');
  const s = r.engine.stats();
  assert.deepEqual({ answered: s.answered, waiting: s.waiting, wait: s.averageWaitMs, talk: s.averageTalkMs }, { answered: 1, waiting: 0, wait: 4000, talk: 60_000 });
  assert.deepEqual(s.agents['202'], { state: 'idle', answered: 1, talkMs: 60_000 });
  r.engine.close();
});

test('callers are served in order of arrival', () => {
  const r = rig({ agents: ['201'] });
  r.engine.arrive('first');
  r.engine.arrive('second');
  assert.equal(r.rings(0), '0:201');
  assert.equal(r.log.find((a) => a.kind === 'ring')?.callId, 'first');
  r.engine.answered('first', '201');
  r.clock.advance(5000);
  r.engine.callEnded('first');
  assert.deepEqual(r.log.at(-1), { kind: 'ring', callId: 'second', agents: ['201'], seconds: 10, at: 5000 });
  r.engine.close();
});

test('agents on another call, signed out or declining are skipped', () => {
  const r = rig();
  r.engine.setBusy('202', true);
  r.engine.signOut('203');
  r.engine.arrive('c');
  r.engine.legFailed('c', '201'); // 486 from 201: the next agent at once
  r.clock.advance(10_000);
  assert.equal(r.rings(0, 'c'), '0:201 0:204');
  r.engine.setBusy('202', false);
  r.clock.advance(5000);
  assert.equal(r.rings(0, 'c'), '0:201 0:204 15:201');
  r.clock.advance(10_000);
  assert.equal(r.rings(0, 'c'), '0:201 0:204 15:201 25:202');
  r.engine.close();
});

test('signing out while ringing stops that ring and moves on', () => {
  const r = rig();
  r.engine.arrive('c');
  r.clock.advance(3000);
  assert.equal(r.engine.signOut('201'), true);
  assert.deepEqual(r.log.slice(-2).map(({ at, ...a }) => ({ at, kind: a.kind })), [{ at: 3000, kind: 'stop-ringing' }, { at: 3000, kind: 'ring' }]);
  assert.equal(r.rings(0, 'c'), '0:201 3:202');
  assert.equal(r.engine.signOut('999'), false, 'not an agent of this queue');
  r.engine.close();
});

test('arrival: intro and music, overflow beyond max callers, no agent signed in', () => {
  const r = rig({ maxCallers: 2, overflow: { kind: 'extension', number: '101' }, introPrompt: 'intro.wav', music: 'moh.wav' });
  r.engine.arrive('a');
  assert.deepEqual(r.log[0], { kind: 'hold', callId: 'a', intro: 'intro.wav', music: 'moh.wav', at: 0 });
  r.engine.arrive('b');
  r.engine.arrive('c');
  assert.deepEqual(r.log.at(-1), { kind: 'route', callId: 'c', destination: { kind: 'extension', number: '101' }, reason: 'overflow', at: 0 });
  assert.equal(r.engine.stats().overflowed, 1);
  r.engine.close();

  const none = rig({}, [0], []);
  none.engine.arrive('x');
  assert.deepEqual(none.log, [{ kind: 'route', callId: 'x', destination: VM, reason: 'no-agent', at: 0 }]);
  assert.equal(none.engine.stats().noAgent, 1);
});

test('keep waiting if no agent: the caller waits and rings the first agent to sign in', () => {
  const r = rig({ keepWaitingIfNoAgent: true }, [0], []);
  r.engine.arrive('x');
  r.clock.advance(20_000);
  assert.equal(r.rings(0), '');
  r.engine.signIn('203');
  assert.equal(r.rings(0), '20:203');
  r.engine.close();
});

test('the last agent signing out sends the waiting callers to the no-answer destination', () => {
  const r = rig({ agents: ['201'] });
  r.engine.arrive('x');
  r.engine.signOut('201');
  assert.deepEqual(r.log.at(-1), { kind: 'route', callId: 'x', destination: VM, reason: 'no-agent', at: 0 });
  assert.equal(r.engine.stats().waiting, 0);
  r.engine.close();
});

test('max wait: after maxWaitSeconds the caller goes to no-answer and nothing rings any more', () => {
  const r = rig({ maxWaitSeconds: 120 });
  r.engine.arrive('x');
  r.clock.advance(119_999);
  assert.equal(r.log.filter((a) => a.kind === 'route').length, 0);
  r.clock.advance(1);
  assert.deepEqual(r.log.slice(-2).map(({ at, ...a }) => ({ at, kind: a.kind })), [{ at: 120_000, kind: 'stop-ringing' }, { at: 120_000, kind: 'route' }]);
  assert.deepEqual(r.log.at(-1), { kind: 'route', callId: 'x', destination: VM, reason: 'max-wait', at: 120_000 });
  const count = r.log.length;
  r.clock.advance(600_000);
  assert.equal(r.log.length, count);
  assert.equal(r.engine.stats().timedOut, 1);
  r.engine.close();
});

test('a caller who hangs up while waiting is counted abandoned and stops the ring', () => {
  const r = rig();
  r.engine.arrive('x');
  r.clock.advance(2000);
  r.engine.hangUp('x');
  assert.deepEqual(r.log.at(-1), { kind: 'stop-ringing', callId: 'x', agents: ['201'], at: 2000 });
  assert.deepEqual({ abandoned: r.engine.stats().abandoned, waiting: r.engine.stats().waiting }, { abandoned: 1, waiting: 0 });
  assert.equal(r.engine.agentState('201'), 'idle');
  r.engine.close();
});

test('close() cancels every timer and is idempotent', () => {
  const r = rig({ wrapUpSeconds: 30 });
  r.engine.arrive('x');
  r.engine.answered('x', '201');
  r.engine.callEnded('x');
  r.engine.arrive('y');
  const count = r.log.length;
  r.engine.close();
  r.engine.close();
  r.clock.advance(3_600_000);
  r.engine.arrive('z');
  assert.equal(r.log.length, count);
  assert.ok(RETRY_MS > 0);
});
