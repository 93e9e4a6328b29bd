import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { IDENTITY_POLL_MS, IdentityWatch, identityOfRecord, type ReplacedIdentity } from '../../../src/identity-watch.js';

const record = (fingerprint: string, name = 'branch-a'): Buffer => Buffer.from(JSON.stringify({ version: 1, sbc: { id: 'abc123', name }, certificateFingerprint: fingerprint }));

/** Lets the watcher's pending read settle. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function rig(initial: Buffer | undefined) {
  const clock = new ManualClock();
  const files = new Map<string, Buffer | undefined>([['/s/agent/hub.json', initial]]);
  const seen: ReplacedIdentity[] = [];
  let reads = 0;
  const watch = new IdentityWatch({
    clock,
    path: '/s/agent/hub.json',
    fingerprint: 'AA',
    onReplaced: (now) => seen.push(now),
    read: (path) => {
      reads++;
      return Promise.resolve(files.get(path));
    },
  });
  return { clock, files, seen, watch, reads: () => reads };
}

test('a changed certificate in hub.json is reported once, at the next poll, and polling stops', async () => {
  const r = rig(record('AA'));
  r.watch.start();
  r.clock.advance(IDENTITY_POLL_MS);
  await settle();
  assert.deepEqual(r.seen, []);
  r.files.set('/s/agent/hub.json', record('BB', 'branch-b'));
  r.clock.advance(IDENTITY_POLL_MS - 1);
  await settle();
  assert.deepEqual(r.seen, [], 'not before the poll');
  r.clock.advance(1);
  await settle();
  assert.deepEqual(r.seen, [{ id: 'abc123', name: 'branch-b', certificateFingerprint: 'BB' }]);
  const readsThen = r.reads();
  r.clock.advance(IDENTITY_POLL_MS * 5);
  await settle();
  assert.equal(r.seen.length, 1);
  assert.equal(r.reads(), readsThen, 'no more polling');
  assert.equal(r.clock.pending, 0, 'the timer is released');
});

test('no replacement: the same certificate, a missing, unreadable or foreign hub.json', async () => {
  const table: Array<[string, Buffer | undefined]> = [
    ['same certificate', record('AA')],
    ['hub.json removed', undefined],
    ['not JSON (torn by hand)', Buffer.from('{"certificateFing')],
    ['no certificate fingerprint', Buffer.from('{"version":1}')],
  ];
  for (const [name, content] of table) {
    const r = rig(content);
    r.watch.start();
    r.clock.advance(IDENTITY_POLL_MS * 3);
    await settle();
    assert.deepEqual(r.seen, [], name);
    assert.ok(r.reads() >= 1, `${name}: it did look`);
    r.watch.close();
    r.watch.close();
    assert.equal(r.clock.pending, 0, `${name}: close releases the timer (twice is fine)`);
  }
});

test('closed before a change: nothing is reported', async () => {
  const r = rig(record('AA'));
  r.watch.start();
  r.watch.close();
  r.files.set('/s/agent/hub.json', record('BB'));
  r.clock.advance(IDENTITY_POLL_MS * 2);
  await settle();
  assert.deepEqual(r.seen, []);
  assert.equal(identityOfRecord(Buffer.from('{"certificateFingerprint":"CC","sbc":{"id":1}}'))?.id, '?', 'a field of the wrong type is shown as ?');
});
