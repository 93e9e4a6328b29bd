/**
 * Forking: ring-all (first answer wins, the others get CANCEL with the RFC 3326 Reason), a late
 * 2xx after the winner (ACK + BYE), every leg busy, a 603 ending the fork, the caller's CANCEL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeader } from '../../../src/sip/index.js';
import { ext, model, rig, settle, until } from './rig.js';

const group = (strategy: 'ring-all' | 'prioritized-hunt', members: string[], ringSeconds = 20) => ({
  number: '600', name: 'Sales', strategy, members, ringSeconds, noAnswer: { kind: 'end-call' as const },
});

test('ring-all of three phones: the first 2xx wins, the two others get CANCEL "Call completed elsewhere"', async (t) => {
  const r = await rig({ phones: { '100': 1, '101': 1, '102': 1, '103': 1 }, model: () => model({ extensions: ['100', '101', '102', '103'].map((n) => ext(n)), ringGroups: [group('ring-all', ['101', '102', '103'])] }) });
  t.after(() => r.close());
  const calling = r.phone('100').call('600', r.port);
  await until(() => ['101', '102', '103'].every((n) => r.phone(n).pending !== undefined), 'three phones ringing');
  assert.equal(r.b2bua.calls()[0]?.legs, 3);
  r.phone('102').answer();
  assert.equal((await calling).status, 200);
  await until(() => r.phone('101').requests('CANCEL').length === 1 && r.phone('103').requests('CANCEL').length === 1, 'CANCEL to the losers');
  for (const loser of ['101', '103']) {
    assert.equal(getHeader(r.phone(loser).requests('CANCEL')[0] ?? r.phone(loser).received[0]!, 'Reason'), 'SIP;cause=200;text="Call completed elsewhere"');
  }
  assert.equal(r.phone('102').requests('CANCEL').length, 0);
  assert.equal((await r.phone('100').send('BYE')).status, 200);
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.equal(r.cdrs[0]?.finalDestination, 'extension:102');
});

test('a phone that never sent a provisional gets its CANCEL later; its late 200 is ACKed and ended with BYE (§9.1, §13.2.2.4)', async (t) => {
  const r = await rig({ phones: { '100': 1, '101': 1, '102': 1 }, model: () => model({ extensions: ['100', '101', '102'].map((n) => ext(n)), ringGroups: [group('ring-all', ['101', '102'])] }) });
  t.after(() => r.close());
  r.phone('101').mode = 'silent';
  const calling = r.phone('100').call('600', r.port);
  await until(() => r.phone('101').pending !== undefined && r.phone('102').pending !== undefined, 'both ringing');
  r.phone('102').answer();
  assert.equal((await calling).status, 200);
  await settle(100);
  assert.equal(r.phone('101').requests('CANCEL').length, 0, 'no CANCEL before a provisional response');
  r.phone('101').answer();
  await until(() => r.phone('101').requests('BYE').length === 1, 'BYE to the late answer');
  assert.equal(r.phone('101').requests('ACK').length, 1);
  assert.equal(r.phone('102').requests('BYE').length, 0, 'the winner stays up');
  assert.equal(r.b2bua.calls()[0]?.state, 'answered');
});

test('every phone of the extension busy → 486 to the caller, CDR busy by the callee', async (t) => {
  const r = await rig({ phones: { '100': 1, '102': 2 }, model: () => model({ extensions: [ext('100'), ext('102')] }) });
  t.after(() => r.close());
  for (const p of r.phones.get('102') ?? []) p.mode = 'busy';
  const final = await r.phone('100').call('102', r.port);
  assert.equal(final.status, 486);
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.endedReason, r.cdrs[0]?.endedBy, r.cdrs[0]?.status], ['busy', 'callee', 486]);
  assert.equal((r.phones.get('102') ?? []).reduce((n, p) => n + p.requests('INVITE').length, 0), 2, 'both phones were rung');
});

test('a 603 from one phone ends the whole fork: 603 to the caller, CANCEL to the other phone', async (t) => {
  const r = await rig({ phones: { '100': 1, '102': 2 }, model: () => model({ extensions: [ext('100'), ext('102')] }) });
  t.after(() => r.close());
  const [first, second] = r.phones.get('102') ?? [];
  assert.ok(first !== undefined && second !== undefined);
  const calling = r.phone('100').call('102', r.port);
  await until(() => first.pending !== undefined && second.pending !== undefined, 'both ringing');
  first.refuse(603);
  assert.equal((await calling).status, 603);
  await until(() => second.requests('CANCEL').length === 1, 'CANCEL to the other phone');
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.endedReason, r.cdrs[0]?.endedBy], ['declined', 'callee']);
});

test('the caller CANCELs while phones ring: 200 to the CANCEL, 487 to the INVITE, CANCEL to every B-leg', async (t) => {
  const r = await rig({ phones: { '100': 1, '102': 2 }, model: () => model({ extensions: [ext('100'), ext('102')] }) });
  t.after(() => r.close());
  const phones = r.phones.get('102') ?? [];
  const caller = r.phone('100');
  const free = r.pool.available;
  const calling = caller.call('102', r.port);
  await until(() => phones.every((p) => p.pending !== undefined), 'ringing');
  assert.equal((await caller.cancel(r.port)).status, 200);
  assert.equal((await calling).status, 487);
  await until(() => phones.every((p) => p.requests('CANCEL').length === 1), 'CANCEL on the B-legs');
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.endedReason, r.cdrs[0]?.endedBy, r.cdrs[0]?.status, r.cdrs[0]?.answeredAt], ['cancelled', 'caller', 487, undefined]);
  await until(() => r.pool.available === free, 'relay ports of the offer freed');
});

test('a ring-all group that holds the caller rings only the other members', async (t) => {
  const r = await rig({ phones: { '100': 1, '101': 1 }, model: () => model({ extensions: ['100', '101'].map((n) => ext(n)), ringGroups: [group('ring-all', ['100', '101'])] }) });
  t.after(() => r.close());
  r.phone('101').mode = 'answer';
  // The caller is busy in its own call, so decide() leaves it out; the B2BUA also refuses to fork to its contact.
  assert.equal((await r.phone('100').call('600', r.port)).status, 200);
  assert.equal(r.phone('100').requests('INVITE').length, 0);
  assert.equal(r.phone('101').requests('INVITE').length, 1);
});

test('the caller\'s own contact is never forked to, even when it is also bound to the called extension', async (t) => {
  const r = await rig({ phones: { '100': 1, '101': 1 }, model: () => model({ extensions: ['100', '101'].map((n) => ext(n)) }) });
  t.after(() => r.close());
  // One desk phone with two lines: its contact is bound to 100 and to 101.
  r.phones.get('101')?.push(r.phone('100'));
  const callee = r.phones.get('101')?.[0];
  assert.ok(callee !== undefined);
  callee.mode = 'answer';
  assert.equal((await r.phone('100').call('101', r.port)).status, 200);
  assert.equal(r.phone('100').requests('INVITE').length, 0);
  assert.equal(callee.requests('INVITE').length, 1);
});
