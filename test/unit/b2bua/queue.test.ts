/**
 * A `queue:N` destination run by the B2BUA: the queue engine (src/routing/queue-engine.ts) picks
 * the agents by strategy on the manual clock, the B2BUA forks to their phones, CANCELs them when
 * their ring time is over, connects the first to answer, and sends the caller to the queue's
 * no-answer destination after the maximum wait.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallQueue } from '../../../src/routing/index.js';
import { ext, model, rig, until } from './rig.js';

const QUEUE: CallQueue = {
  number: '8000', name: 'Support', agents: ['102', '101', '103'], strategy: 'prioritized-hunt', ringSeconds: 5, maxWaitSeconds: 60,
  wrapUpSeconds: 0, keepWaitingIfNoAgent: false, noAnswer: { kind: 'end-call' },
};

test('queue, prioritized hunt: 102 then 101 ring 5 s each on the clock; 103 answers; the CDR names it', async (t) => {
  const r = await rig({ phones: { '100': 1, '101': 1, '102': 1, '103': 1 }, model: () => model({ extensions: ['100', '101', '102', '103'].map((n) => ext(n)), queues: [QUEUE] }) });
  t.after(() => r.close());
  const calling = r.phone('100').call('8000', r.port);
  const order: Array<[string, number]> = [];
  for (const agent of ['102', '101']) {
    await until(() => r.phone(agent).pending !== undefined, `${agent} ringing`);
    order.push([agent, r.clock.now()]);
    for (const other of ['101', '102', '103']) if (other !== agent) assert.equal(r.phone(other).pending, undefined, `${other} not ringing with ${agent}`);
    r.clock.advance(4999);
    assert.equal(r.phone(agent).requests('CANCEL').length, 0, 'still ringing at 4.999 s');
    r.clock.advance(1);
    await until(() => r.phone(agent).requests('CANCEL').length === 1, `CANCEL to ${agent} at 5 s`);
  }
  await until(() => r.phone('103').pending !== undefined, '103 ringing');
  order.push(['103', r.clock.now()]);
  assert.deepEqual(order, [['102', 0], ['101', 5000], ['103', 10000]]);
  r.phone('103').answer();
  assert.equal((await calling).status, 200);
  assert.equal((await r.phone('103').send('BYE')).status, 200);
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.finalDestination, r.cdrs[0]?.endedReason], ['extension:103', 'completed']);
});

test('queue, ring all with a decline: the others keep ringing; after the maximum wait the no-answer destination (480 end-call)', async (t) => {
  const r = await rig({
    phones: { '100': 1, '101': 1, '102': 1 },
    model: () => model({ extensions: ['100', '101', '102'].map((n) => ext(n)), queues: [{ ...QUEUE, agents: ['101', '102'], strategy: 'ring-all', ringSeconds: 20, maxWaitSeconds: 30 }] }),
  });
  t.after(() => r.close());
  r.phone('101').mode = 'busy';
  const calling = r.phone('100').call('8000', r.port);
  await until(() => r.phone('102').pending !== undefined, '102 ringing');
  await until(() => r.phone('101').requests('INVITE').length === 1, '101 rung (and busy)');
  r.clock.advance(30_000);
  assert.equal((await calling).status, 480);
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.endedReason, r.cdrs[0]?.finalDestination], ['end-call', 'queue:8000']);
  await until(() => r.phone('102').requests('CANCEL').length >= 1, 'CANCEL to 102');
});

test('queue: the caller hanging up while agents ring cancels them', async (t) => {
  const r = await rig({ phones: { '100': 1, '101': 1 }, model: () => model({ extensions: ['100', '101'].map((n) => ext(n)), queues: [{ ...QUEUE, agents: ['101'] }] }) });
  t.after(() => r.close());
  const calling = r.phone('100').call('8000', r.port);
  await until(() => r.phone('101').pending !== undefined, '101 ringing');
  await r.phone('100').cancel(r.port);
  assert.equal((await calling).status, 487);
  await until(() => r.phone('101').requests('CANCEL').length === 1, 'CANCEL to 101');
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.equal(r.cdrs[0]?.endedReason, 'cancelled');
});

test('*52 signs the agent out (confirmed, BYE after 1 s): the queue then has no agent and sends callers on at once; *51*8000 signs back in', async (t) => {
  const r = await rig({
    phones: { '100': 1, '101': 1 },
    model: () => model({ extensions: ['100', '101'].map((n) => ext(n)), queues: [{ ...QUEUE, agents: ['101'] }] }),
  });
  t.after(() => r.close());
  const agent = r.phone('101');
  assert.equal((await agent.call('*52', r.port)).status, 200);
  r.clock.advance(1000);
  await until(() => agent.requests('BYE').length === 1, 'BYE after 1 s');
  await until(() => r.cdrs.length === 1, 'CDR of *52');
  assert.equal(r.cdrs[0]?.finalDestination, 'queue-sign-out:8000');

  // No agent signed in: the queue's no-answer destination (end-call) at once, without waiting.
  const refused = await r.phone('100').call('8000', r.port);
  assert.equal(refused.status, 480);
  assert.equal(r.clock.now(), 1000);
  assert.equal(agent.requests('INVITE').length, 0, 'the signed-out agent is not rung');
  await until(() => r.cdrs.length === 2, 'CDR of the queue call');
  assert.equal(r.cdrs[1]?.endedReason, 'end-call');

  assert.equal((await agent.call('*51*8000', r.port)).status, 200);
  r.clock.advance(1000);
  await until(() => r.cdrs.length === 3, 'CDR of *51*8000');
  assert.equal(r.cdrs[2]?.finalDestination, 'queue-sign-in:8000');
  const calling = r.phone('100').call('8000', r.port);
  await until(() => agent.pending !== undefined, '101 ringing again');
  agent.answer();
  assert.equal((await calling).status, 200);
});

test('*51*9000 from an extension that is no agent there: 404 / 403', async (t) => {
  const r = await rig({ phones: { '100': 1 }, model: () => model({ extensions: [ext('100'), ext('101')], queues: [{ ...QUEUE, agents: ['101'] }] }) });
  t.after(() => r.close());
  assert.equal((await r.phone('100').call('*51*9000', r.port)).status, 404);
  assert.equal((await r.phone('100').call('*51*8000', r.port)).status, 403);
  await until(() => r.cdrs.length === 2, 'CDRs');
  assert.deepEqual(r.cdrs.map((c) => c.endedReason), ['no-such-queue', 'not-an-agent']);
});

test('queue: an agent already on a call is skipped; the next one rings at once', async (t) => {
  const r = await rig({
    phones: { '100': 1, '101': 1, '102': 1, '103': 1 },
    model: () => model({ extensions: ['100', '101', '102', '103'].map((n) => ext(n)), queues: [{ ...QUEUE, agents: ['101', '103'] }] }),
  });
  t.after(() => r.close());
  r.phone('101').mode = 'answer';
  assert.equal((await r.phone('100').call('101', r.port)).status, 200);
  const calling = r.phone('102').call('8000', r.port);
  await until(() => r.phone('103').pending !== undefined, '103 ringing');
  assert.equal(r.clock.now(), 0);
  assert.equal(r.phone('101').requests('INVITE').length, 1, '101 got only its own call');
  r.phone('103').answer();
  assert.equal((await calling).status, 200);
});
