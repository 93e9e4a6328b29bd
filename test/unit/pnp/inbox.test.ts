import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, SbcError, silentLogger } from '../../../src/core/index.js';
import { InboxFile, PhoneInbox, decide, mergeSightings, type InboxData, type PhoneRecord } from '../../../src/pnp/index.js';

const IDENTITY = { mac: '001565f4f9e1', brand: 'yealink' as const, model: 'W52P', firmware: '25.81.0.10', userAgent: 'Yealink W52P 25.81.0.10' };

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'pnp-inbox-'));
}

test('the inbox file is written atomically with mode 0600 and survives a restart', async () => {
  const dir = tempDir();
  try {
    const clock = new ManualClock();
    const inbox = new PhoneInbox(new InboxFile(dir, clock), 'inbox', clock, silentLogger);
    assert.equal(inbox.observe(IDENTITY, '10.1.3.239'), 'pending');
    await inbox.close();
    assert.equal(statSync(join(dir, 'phones.json')).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ['phones.json']);
    const again = new PhoneInbox(new InboxFile(dir, clock), 'inbox', clock, silentLogger);
    again.reload();
    const p = again.get('001565f4f9e1');
    assert.deepEqual([p?.state, p?.brand, p?.model, p?.ip, p?.firstSeen], ['pending', 'yealink', 'W52P', '10.1.3.239', '2026-01-01T00:00:00.000Z']);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('policy auto approves on sight; an admin decision on disk wins over a later sighting', async () => {
  const dir = tempDir();
  try {
    const clock = new ManualClock();
    const file = new InboxFile(dir, clock);
    const inbox = new PhoneInbox(file, 'auto', clock, silentLogger);
    assert.equal(inbox.observe(IDENTITY, '10.1.3.239'), 'answer');
    await inbox.flush();
    await file.update((d) => decide(d, '001565f4f9e1', 'rejected'));
    clock.advance(10_000);
    inbox.observe(IDENTITY, '10.1.3.239');
    await inbox.flush();
    assert.equal(file.read().phones[0]?.state, 'rejected');
    inbox.reload();
    assert.equal(inbox.observe(IDENTITY, '10.1.3.239'), 'rejected');
    await inbox.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('decide: approve with an extension creates a record for a phone not seen yet; reject clears the extension', () => {
  const empty: InboxData = { version: 1, phones: [] };
  const approved = decide(empty, 'c074ad112233', 'approved', '201');
  assert.deepEqual(approved.phones.map((p) => [p.id, p.mac, p.state, p.extension]), [['c074ad112233', 'c074ad112233', 'approved', '201']]);
  const rejected = decide(approved, 'c074ad112233', 'rejected');
  assert.deepEqual(rejected.phones.map((p) => [p.state, p.extension]), [['rejected', undefined]]);
  const byIp = decide(empty, 'ip:10.13.2.37', 'approved');
  assert.equal(byIp.phones[0]?.ip, '10.13.2.37');
});

test('mergeSightings keeps the first sighting time and the decision from disk', () => {
  const disk: PhoneRecord = { id: 'a', mac: undefined, brand: 'x', model: undefined, firmware: undefined, userAgent: undefined, ip: '1.1.1.1', firstSeen: 't0', lastSeen: 't0', state: 'approved', extension: '7' };
  const seen: PhoneRecord = { ...disk, ip: '1.1.1.2', firstSeen: 't5', lastSeen: 't5', state: 'pending', extension: undefined };
  const merged = mergeSightings({ version: 1, phones: [disk] }, [seen]).phones[0];
  assert.deepEqual([merged?.ip, merged?.firstSeen, merged?.lastSeen, merged?.state, merged?.extension], ['1.1.1.2', 't0', 't5', 'approved', '7']);
});

test('a damaged inbox file is a typed error, and the running inbox keeps its view', () => {
  const dir = tempDir();
  try {
    const clock = new ManualClock();
    const file = new InboxFile(dir, clock);
    for (const bad of ['not json', '{"phones": 3}', '{"phones": [{"id": "x", "state": "maybe"}]}']) {
      writeFileSync(file.path, bad);
      assert.throws(() => file.read(), (e: unknown) => e instanceof SbcError && e.code === 'SBC_ERR_STATE', bad);
    }
    const inbox = new PhoneInbox(file, 'inbox', clock, silentLogger);
    inbox.reload();
    assert.deepEqual(inbox.list(), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
