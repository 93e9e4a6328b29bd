/**
 * The life of calls around the B2BUA: early media (183 with SDP) relayed once and anchored, the
 * relay ports given back when a call ends, close() ending an answered call with BYE and a ringing
 * one with CANCEL and 503 (CDRs `shutdown`), idempotent, and new calls refused after it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipResponse } from '../../../src/sip/index.js';
import { ext, model, rig, until } from './rig.js';
import { mediaTarget } from './phone.js';

test('183 with SDP from the phone reaches the caller once, anchored on the agent; early RTP flows to the caller', async (t) => {
  const r = await rig({ phones: { '100': 1, '101': 1 }, model: () => model({ extensions: [ext('100'), ext('101')] }) });
  t.after(() => r.close());
  const callee = r.phone('101');
  callee.mode = 'early-media';
  const provisionals: SipResponse[] = [];
  const calling = r.phone('100').call('101', r.port, provisionals);
  await until(() => provisionals.some((p) => p.status === 183), '183 at the caller');
  const early = provisionals.find((p) => p.status === 183);
  assert.ok(early !== undefined);
  assert.equal(mediaTarget(early.body).address, '127.0.0.1');
  assert.notEqual(mediaTarget(early.body).port, callee.rtp.local.port);
  callee.sendRtp(3, 0xe);
  await until(() => r.phone('100').rtpReceived.length === 3, 'early media at the caller');
  callee.answer();
  assert.equal((await calling).status, 200);
  assert.equal(provisionals.filter((p) => p.status === 183).length, 1);
});

test('the relay ports are back in the pool when the call ends', async (t) => {
  const r = await rig({ phones: { '100': 1, '101': 1 }, model: () => model({ extensions: [ext('100'), ext('101')] }) });
  t.after(() => r.close());
  const free = r.pool.available;
  r.phone('101').mode = 'answer';
  assert.equal((await r.phone('100').call('101', r.port)).status, 200);
  assert.equal(r.pool.available, free - 2, 'one pair toward each side');
  assert.equal((await r.phone('100').send('BYE')).status, 200);
  await until(() => r.pool.available === free, 'ports freed');
});

test('close(): BYE to both sides of an answered call, CANCEL and 503 for a ringing one, CDRs shutdown; idempotent; then 503', async (t) => {
  const r = await rig({ phones: { '100': 1, '101': 1, '102': 1, '103': 1 }, model: () => model({ extensions: ['100', '101', '102', '103'].map((n) => ext(n)) }) });
  t.after(() => r.close());
  r.phone('101').mode = 'answer';
  assert.equal((await r.phone('100').call('101', r.port)).status, 200);
  const ringing = r.phone('102').call('103', r.port);
  await until(() => r.phone('103').pending !== undefined, '103 ringing');
  const closing = r.b2bua.close();
  assert.equal(r.b2bua.close(), closing, 'the same promise');
  assert.equal((await ringing).status, 503);
  await closing;
  await until(() => r.phone('100').requests('BYE').length === 1 && r.phone('101').requests('BYE').length === 1, 'BYE both sides');
  await until(() => r.phone('103').requests('CANCEL').length === 1, 'CANCEL to the ringing phone');
  assert.deepEqual(r.cdrs.map((c) => [c.caller, c.endedReason, c.endedBy]).sort(), [['100', 'shutdown', 'system'], ['102', 'shutdown', 'system']]);
  assert.deepEqual(r.b2bua.calls(), []);
  assert.equal((await r.phone('100').call('101', r.port)).status, 503);
});

test('no ACK from the caller: after 64·T1 both sides get BYE and the CDR says failed (§13.3.1.4)', async (t) => {
  const r = await rig({ phones: { '100': 1, '101': 1 }, model: () => model({ extensions: [ext('100'), ext('101')] }) });
  t.after(() => r.close());
  const caller = r.phone('100');
  caller.skipAck = true;
  r.phone('101').mode = 'answer';
  assert.equal((await caller.call('101', r.port)).status, 200);
  r.clock.advance(31_999);
  assert.equal(r.phone('101').requests('BYE').length, 0);
  r.clock.advance(1);
  await until(() => r.phone('101').requests('BYE').length === 1 && caller.requests('BYE').length === 1, 'BYE both sides');
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.endedReason, r.cdrs[0]?.endedBy], ['failed', 'system']);
});
