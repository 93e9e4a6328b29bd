/**
 * The B2BUA's parking desk on a manual clock: parked parties by orbit, retrieval, the lot's
 * timeout telling the party to ring its parker, a party leaving, and a change of the model's
 * `parking:` taking effect once the lot is empty (a parked call keeps its orbit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import type { RingStep } from '../../../src/routing/index.js';
import { ParkingDesk, type ParkedParty } from '../../../src/b2bua/parking-desk.js';
import type { HandOver } from '../../../src/b2bua/hand-over.js';
import { model } from './rig.js';

function party(name: string, returns: RingStep[] = []): ParkedParty {
  return {
    returnToParker: (plan) => returns.push(plan),
    handOver: () => ({ party: name } as unknown as HandOver),
  };
}

const lot7 = model({ parking: { orbits: ['701', '702'], timeoutSeconds: 60 } });
const lot8 = model({ parking: { orbits: ['801'], timeoutSeconds: 30 } });

test('park, retrieve, empty and unknown orbits, a party leaving frees its orbit', () => {
  const desk = new ParkingDesk(new ManualClock());
  assert.deepEqual(desk.park(lot7, 'c1', party('a'), '102', '101'), { ok: true, orbit: '701' });
  assert.deepEqual(desk.park(lot7, 'c2', party('b'), '102', '103'), { ok: true, orbit: '702' });
  assert.deepEqual(desk.park(lot7, 'c3', party('c'), '102', '104'), { ok: false, reason: 'no-free-orbit' });
  assert.deepEqual(desk.park(lot7, 'c3', party('c'), '102', '104', '799'), { ok: false, reason: 'not-an-orbit' });
  const taken = desk.retrieve(lot7, '701');
  assert.ok(taken.ok);
  assert.equal(taken.party.handOver()?.party, 'a');
  assert.deepEqual(desk.retrieve(lot7, '701'), { ok: false, reason: 'empty-orbit' });
  assert.deepEqual(desk.retrieve(lot7, '799'), { ok: false, reason: 'not-an-orbit' });
  desk.left('c2');
  assert.deepEqual([...desk.occupied()], []);
  assert.deepEqual(desk.retrieve(model(), '701'), { ok: false, reason: 'not-an-orbit' }, 'a model without parking');
  desk.close();
  desk.close();
  assert.deepEqual(desk.park(lot7, 'c4', party('d'), '102', '101'), { ok: false, reason: 'not-an-orbit' }, 'closed');
});

test('the timeout tells the party to ring its parker, once, and frees the orbit', () => {
  const clock = new ManualClock();
  const desk = new ParkingDesk(clock);
  const returns: RingStep[] = [];
  desk.park(lot7, 'c1', party('a', returns), '102', '101');
  clock.advance(59_999);
  assert.equal(returns.length, 0);
  clock.advance(1);
  assert.deepEqual(returns.map((p) => [p.extensions, p.callerId]), [[['102'], '101']]);
  assert.deepEqual([...desk.occupied()], []);
  assert.deepEqual(desk.retrieve(lot7, '701'), { ok: false, reason: 'empty-orbit' });
  clock.advance(120_000);
  assert.equal(returns.length, 1);
});

test('a new parking: section applies once the lot is empty; the call parked before keeps its orbit', () => {
  const desk = new ParkingDesk(new ManualClock());
  desk.park(lot7, 'c1', party('a'), '102', '101');
  assert.deepEqual(desk.park(lot8, 'c2', party('b'), '102', '103'), { ok: true, orbit: '702' }, 'the old lot while occupied');
  assert.ok(desk.retrieve(lot8, '701').ok);
  assert.ok(desk.retrieve(lot8, '702').ok);
  assert.deepEqual(desk.park(lot8, 'c3', party('c'), '102', '104'), { ok: true, orbit: '801' });
});
