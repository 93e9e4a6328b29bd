import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/core/index.js';
import { STALE_AFTER_MS, StatusPublisher, readStatusFile, type StatusDocument } from '../../../src/platform/index.js';

test('the publisher rewrites the status file every second from its snapshot and removes it on close', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-status-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const clock = new ManualClock(0, Date.UTC(2026, 0, 1));
  const path = join(dir, 'status.json');
  let frames = 0;
  const snapshot = (): StatusDocument => ({
    version: 1,
    role: 'agent',
    pid: process.pid,
    startedAt: '2026-01-01T00:00:00.000Z',
    updatedAt: new Date(clock.wallNow()).toISOString(),
    listeners: [],
    tunnels: [{ state: 'up', peer: 'hub.test:5090', sent: { bytes: frames * 10, frames }, received: { bytes: 0, frames: 0 } }],
  });
  const errors: unknown[] = [];
  const publisher = new StatusPublisher(clock, path, snapshot, (e) => errors.push(e));
  await publisher.start();
  let reading = await readStatusFile(path, clock.wallNow());
  assert.equal(reading.running, true);
  frames = 7;
  clock.advance(1000);
  await publisher.publish();
  reading = await readStatusFile(path, clock.wallNow());
  assert.ok(reading.running);
  assert.deepEqual(reading.status.tunnels[0]?.sent, { bytes: 70, frames: 7 });
  assert.equal(reading.status.updatedAt, '2026-01-01T00:00:01.000Z');
  assert.equal((await readStatusFile(path, clock.wallNow() + STALE_AFTER_MS + 1)).running, false, 'an old file is stale');
  await publisher.close();
  await publisher.close();
  assert.deepEqual(await readStatusFile(path, clock.wallNow()), { running: false, reason: 'absent' });
  assert.equal(clock.pending, 0, 'the timer is cancelled');
  assert.deepEqual(errors, []);
});

test('readStatusFile: unreadable and foreign content', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-status-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'status.json');
  for (const text of ['{', '{"version":2}', '[]', '{"version":1,"role":"x","pid":1,"updatedAt":"","listeners":[],"tunnels":[]}']) {
    await writeFile(path, text);
    assert.deepEqual(await readStatusFile(path, 0), { running: false, reason: 'unreadable' }, text);
  }
  assert.match(await readFile(path, 'utf8'), /version/);
});
