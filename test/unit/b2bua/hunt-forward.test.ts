/**
 * Serial steps on the injected clock: a prioritized hunt rings its members one after another for
 * the group's ring time (order and times checked on the ManualClock), then the group's no-answer
 * destination; an extension forwards on no answer after its noAnswerSeconds; a cyclic hunt starts
 * after the member rung last.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ext, model, rig, until } from './rig.js';

test('prioritized hunt 101 → 102 → 103, 5 s each on the clock, then the no-answer destination (480 end-call)', async (t) => {
  const r = await rig({
    phones: { '100': 1, '101': 1, '102': 1, '103': 1 },
    model: () => model({
      extensions: ['100', '101', '102', '103'].map((n) => ext(n)),
      ringGroups: [{ number: '600', name: 'Support', strategy: 'prioritized-hunt', members: ['102', '101', '103'], ringSeconds: 5, noAnswer: { kind: 'end-call' } }],
    }),
  });
  t.after(() => r.close());
  const calling = r.phone('100').call('600', r.port);
  const order: Array<[string, number]> = [];
  for (const member of ['102', '101', '103']) {
    await until(() => r.phone(member).pending !== undefined, `${member} ringing`);
    order.push([member, r.clock.now()]);
    for (const other of ['101', '102', '103']) if (other !== member) assert.equal(r.phone(other).pending, undefined, `${other} not ringing with ${member}`);
    r.clock.advance(4999);
    assert.equal(r.phone(member).requests('CANCEL').length, 0, 'still ringing at 4.999 s');
    r.clock.advance(1);
    await until(() => r.phone(member).requests('CANCEL').length === 1, `CANCEL to ${member} at 5 s`);
  }
  assert.deepEqual(order, [['102', 0], ['101', 5000], ['103', 10000]]);
  const final = await calling;
  assert.equal(final.status, 480);
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.endedReason, r.cdrs[0]?.finalDestination], ['end-call', 'ring-group:600']);
});

test('forward on no answer: 102 rings 3 s, then 103 rings and answers; CDR ends at extension:103', async (t) => {
  const r = await rig({
    phones: { '100': 1, '102': 1, '103': 1 },
    model: () => model({
      extensions: [ext('100'), ext('102', { forwarding: { available: { noAnswerSeconds: 3, internal: { kind: 'extension', number: '103' }, external: { kind: 'extension', number: '103' } } } }), ext('103')],
    }),
  });
  t.after(() => r.close());
  const calling = r.phone('100').call('102', r.port);
  await until(() => r.phone('102').pending !== undefined, '102 ringing');
  r.clock.advance(3000);
  await until(() => r.phone('103').pending !== undefined, '103 ringing');
  // The CANCEL to 102 and the INVITE to 103 travel on different sockets: either may land first.
  await until(() => r.phone('102').requests('CANCEL').length === 1, 'CANCEL to 102');
  r.phone('103').answer();
  assert.equal((await calling).status, 200);
  assert.equal((await r.phone('103').send('BYE')).status, 200);
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.finalDestination, r.cdrs[0]?.endedBy, r.cdrs[0]?.endedReason], ['extension:103', 'callee', 'completed']);
});

test('a forwarding chain back to the first extension ends with 480 forward-loop, each extension rung once', async (t) => {
  const fw = (to: string) => ({ available: { noAnswerSeconds: 2, internal: { kind: 'extension' as const, number: to }, external: { kind: 'extension' as const, number: to } } });
  const r = await rig({ phones: { '100': 1, '102': 1, '103': 1 }, model: () => model({ extensions: [ext('100'), ext('102', { forwarding: fw('103') }), ext('103', { forwarding: fw('102') })] }) });
  t.after(() => r.close());
  const calling = r.phone('100').call('102', r.port);
  await until(() => r.phone('102').pending !== undefined, '102 ringing');
  r.clock.advance(2000);
  await until(() => r.phone('103').pending !== undefined, '103 ringing');
  r.clock.advance(2000);
  assert.equal((await calling).status, 480);
  assert.deepEqual([r.phone('102').requests('INVITE').length, r.phone('103').requests('INVITE').length], [1, 1]);
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.equal(r.cdrs[0]?.endedReason, 'forward-loop');
});

test('cyclic hunt: the next call starts after the member rung last', async (t) => {
  const r = await rig({
    phones: { '100': 1, '101': 1, '102': 1 },
    model: () => model({ extensions: ['100', '101', '102'].map((n) => ext(n)), ringGroups: [{ number: '600', name: 'Desk', strategy: 'cyclic-hunt', members: ['101', '102'], ringSeconds: 5, noAnswer: { kind: 'end-call' } }] }),
  });
  t.after(() => r.close());
  r.phone('101').mode = 'answer';
  const first = await r.phone('100').call('600', r.port);
  assert.equal(first.status, 200);
  assert.equal((await r.phone('100').send('BYE')).status, 200);
  await until(() => r.cdrs.length === 1, 'first CDR');
  r.phone('102').mode = 'answer';
  assert.equal((await r.phone('100').call('600', r.port)).status, 200);
  assert.equal(r.phone('102').requests('INVITE').length, 1, 'the second call starts at 102');
  assert.equal(r.phone('101').requests('INVITE').length, 1, '101 was not rung again first');
});
