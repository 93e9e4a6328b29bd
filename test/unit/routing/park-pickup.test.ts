import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { ParkingLot, RETURN_RING_SECONDS, pickupOutcome, queueSignOutcome, validateRoutingModel, type FeatureOutcome, type LiveCall, type ParkReturn } from '../../../src/routing/index.js';

function lot(orbits = ['701', '702', '703'], timeoutSeconds = 60) {
  const clock = new ManualClock(0);
  const returns: Array<ParkReturn & { at: number }> = [];
  const parking = new ParkingLot({ orbits, timeoutSeconds }, { clock, onReturn: (r) => returns.push({ ...r, at: clock.now() }) });
  return { clock, returns, parking };
}

test('park: the first free orbit, a chosen orbit, and the refusals', () => {
  const { parking } = lot();
  const rows: Array<[string, () => unknown, unknown]> = [
    ['first free orbit', () => parking.park('a', '101', '0612'), { ok: true, orbit: '701' }],
    ['a chosen orbit', () => parking.park('b', '101', '0612', '703'), { ok: true, orbit: '703' }],
    ['the next free one skips 703', () => parking.park('c', '102', '0613'), { ok: true, orbit: '702' }],
    ['the same call twice', () => parking.park('c', '102', '0613'), { ok: false, reason: 'already-parked' }],
    ['lot full', () => parking.park('d', '102', '0614'), { ok: false, reason: 'no-free-orbit' }],
    ['a taken orbit', () => parking.park('d', '102', '0614', '701'), { ok: false, reason: 'orbit-taken' }],
    ['not an orbit', () => parking.park('d', '102', '0614', '799'), { ok: false, reason: 'not-an-orbit' }],
  ];
  for (const [name, act, expected] of rows) assert.deepEqual(act(), expected, name);
  assert.deepEqual([...parking.occupied()], [['701', 'a'], ['703', 'b'], ['702', 'c']]);
  parking.close();
});

test('retrieve: another phone dials the orbit and gets the call; the orbit is free again', () => {
  const { parking, clock, returns } = lot();
  parking.park('a', '101', '0612', '702');
  clock.advance(30_000);
  assert.deepEqual(parking.retrieve('702'), { ok: true, callId: 'a', parker: '101' });
  assert.deepEqual(parking.retrieve('702'), { ok: false, reason: 'empty-orbit' });
  assert.deepEqual(parking.retrieve('799'), { ok: false, reason: 'not-an-orbit' });
  clock.advance(60_000);
  assert.deepEqual(returns, [], 'a retrieved call does not come back');
  parking.close();
});

test('timeout: the call rings its parker after timeoutSeconds, with the parked caller’s ID', () => {
  const { parking, clock, returns } = lot(['701'], 90);
  parking.park('a', '101', '0612345678');
  clock.advance(89_999);
  assert.equal(returns.length, 0);
  clock.advance(1);
  assert.deepEqual(returns, [{
    at: 90_000, callId: 'a', orbit: '701',
    plan: { kind: 'ring', extensions: ['101'], seconds: RETURN_RING_SECONDS, callerId: '0612345678', onNoAnswer: { kind: 'reject', status: 480, reason: 'no-answer' }, onBusy: { kind: 'reject', status: 486, reason: 'busy' } },
  }]);
  // The orbit is free for the next call.
  assert.deepEqual(parking.park('b', '102', '0613'), { ok: true, orbit: '701' });
  parking.close();
});

test('a parked caller hanging up frees the orbit and cancels the return; close() cancels the rest', () => {
  const { parking, clock, returns } = lot();
  parking.park('a', '101', '0612');
  parking.park('b', '101', '0613');
  parking.hangUp('a');
  assert.deepEqual([...parking.occupied().keys()], ['702']);
  parking.close();
  parking.close();
  clock.advance(600_000);
  assert.deepEqual(returns, []);
  assert.deepEqual(parking.park('c', '101', '0614'), { ok: false, reason: 'no-free-orbit' }, 'a closed lot parks nothing');
});

const CALLS: readonly LiveCall[] = [
  { callId: 'late', state: 'ringing', ringing: ['101', '102'], since: 5000 },
  { callId: 'early', state: 'ringing', ringing: ['101'], since: 1000 },
  { callId: 'from-103', caller: '103', state: 'ringing', ringing: ['104'], since: 0 },
  { callId: 'talking', state: 'answered', ringing: [], since: 0 },
  { callId: 'on-hold', state: 'held', ringing: [], heldBy: '105', since: 0 },
];

test('pickup: **ext takes the oldest call ringing there; ##ext the call ext holds', () => {
  const rows: Array<[string, 'ringing' | 'held', string, string, FeatureOutcome]> = [
    ['oldest ringing at 101', 'ringing', '101', '103', { kind: 'pickup', callId: 'early', from: '101' }],
    ['the one ringing at 102', 'ringing', '102', '103', { kind: 'pickup', callId: 'late', from: '102' }],
    ['nothing ringing at 106', 'ringing', '106', '103', { kind: 'refuse', status: 480, reason: 'nothing-to-pick-up' }],
    ['not one’s own outgoing call', 'ringing', '104', '103', { kind: 'refuse', status: 480, reason: 'nothing-to-pick-up' }],
    ['someone else may pick that one up', 'ringing', '104', '101', { kind: 'pickup', callId: 'from-103', from: '104' }],
    ['not one’s own extension', 'ringing', '101', '101', { kind: 'refuse', status: 480, reason: 'own-call' }],
    ['the call 105 holds', 'held', '105', '101', { kind: 'take-over', callId: 'on-hold', from: '105' }],
    ['101 holds nothing (its calls ring)', 'held', '101', '102', { kind: 'refuse', status: 480, reason: 'nothing-to-pick-up' }],
  ];
  for (const [name, mode, extension, by, expected] of rows) assert.deepEqual(pickupOutcome({ kind: 'pickup', mode, extension }, by, CALLS), expected, name);
});

test('queue sign-in and sign-out: all the caller’s queues, or one', () => {
  const H = '0123456789abcdef0123456789abcdef';
  const model = validateRoutingModel({
    realm: 'r',
    extensions: ['101', '102', '103'].map((number) => ({ number, name: number, ha1: H })),
    queues: [{ number: '8000', name: 'A', agents: ['101', '102'] }, { number: '8001', name: 'B', agents: ['101'] }],
  });
  const rows: Array<[string, boolean, string | undefined, string, FeatureOutcome]> = [
    ['*51 from 101: both queues', true, undefined, '101', { kind: 'queue-sign', signedIn: true, queues: ['8000', '8001'] }],
    ['*52 from 102: its one queue', false, undefined, '102', { kind: 'queue-sign', signedIn: false, queues: ['8000'] }],
    ['*51*8001 from 101', true, '8001', '101', { kind: 'queue-sign', signedIn: true, queues: ['8001'] }],
    ['*51*8001 from 102: not an agent there', true, '8001', '102', { kind: 'refuse', status: 403, reason: 'not-an-agent' }],
    ['*51 from 103: no queue at all', true, undefined, '103', { kind: 'refuse', status: 403, reason: 'not-an-agent' }],
    ['*52*9999: no such queue', false, '9999', '101', { kind: 'refuse', status: 404, reason: 'no-such-queue' }],
  ];
  for (const [name, signedIn, queue, by, expected] of rows) {
    assert.deepEqual(queueSignOutcome(model, { kind: 'queue-sign', signedIn, ...(queue === undefined ? {} : { queue }) }, by), expected, name);
  }
});
