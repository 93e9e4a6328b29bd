/** Voicemail boxes on disk: deposit, counts, heard, delete, greetings per status, PIN, crash leftovers, uploads. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/core/index.js';
import { encodeWav } from '../../../src/media/index.js';
import { VoicemailStore, VoicemailUploadQueue, type BoxId } from '../../../src/voicemail/index.js';

const box: BoxId = { kind: 'extension', number: '201' };
const wav = (n: number): Buffer => encodeWav(new Int16Array(n).fill(100));

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-vm-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function openStore(dir: string, clock = new ManualClock(), extra: { maxMessages?: number } = {}) {
  const uploads = await VoicemailUploadQueue.open({ dir: join(dir, 'voicemail', 'upload'), durable: false });
  let id = 0;
  const store = await VoicemailStore.open({ dir: join(dir, 'voicemail'), clock, uploads, durable: false, newId: () => `m${++id}`, ...extra });
  return { store, uploads };
}

test('deposit: the message is listed as new with its WAV, the box announces its counts, the upload queue keeps a copy', async () => {
  await withDir(async (dir) => {
    const { store, uploads } = await openStore(dir);
    const changes: unknown[] = [];
    store.events.on('changed', (c) => changes.push(c));
    const m = await store.deposit(box, { caller: '0612345678', wav: wav(8000), seconds: 1 });
    assert.deepEqual(m, { id: 'm1', caller: '0612345678', receivedAt: Date.UTC(2026, 0, 1), seconds: 1, status: 'new' });
    assert.deepEqual(await store.counts(box), { new: 1, old: 0 });
    assert.deepEqual(changes, [{ box, new: 1, old: 0 }]);
    assert.deepEqual(await store.readMessage(box, 'm1'), wav(8000));
    assert.equal(uploads.stats().pending, 1);
    const [entry] = uploads.peek();
    assert.ok(entry);
    assert.deepEqual(await uploads.readWav(entry), wav(8000));
    assert.deepEqual(entry.box, box);
    await store.close();
    await store.close();
  });
});

test('heard and deleted: counts follow, the WAV goes, and a reopened store reads the same box', async () => {
  await withDir(async (dir) => {
    const { store } = await openStore(dir);
    await store.deposit(box, { caller: 'a', wav: wav(160), seconds: 0.02 });
    await store.deposit(box, { caller: 'b', wav: wav(160), seconds: 0.02 });
    await store.markOld(box, 'm1');
    assert.deepEqual(await store.counts(box), { new: 1, old: 1 });
    await store.remove(box, 'm2');
    assert.deepEqual(await store.counts(box), { new: 0, old: 1 });
    assert.deepEqual((await readdir(join(dir, 'voicemail', 'ext-201'))).sort(), ['index.json', 'm-m1.wav']);
    await assert.rejects(store.markOld(box, 'm9'), { code: 'SBC_ERR_VOICEMAIL' });
    await assert.rejects(store.remove(box, 'm2'), { code: 'SBC_ERR_VOICEMAIL' });
    await store.close();
    const again = await openStore(dir);
    assert.deepEqual((await again.store.index(box)).messages.map((m) => [m.id, m.status, m.caller]), [['m1', 'old', 'a']]);
  });
});

test('a WAV left without its index entry (a cut between the two writes) is removed at the box\'s first use', async () => {
  await withDir(async (dir) => {
    const { store } = await openStore(dir);
    await store.deposit(box, { caller: 'a', wav: wav(160), seconds: 0.02 });
    await store.close();
    await writeFile(join(dir, 'voicemail', 'ext-201', 'm-lost.wav'), wav(160));
    await writeFile(join(dir, 'voicemail', 'ext-201', '.index.json.1.abc.tmp'), '{');
    const again = await openStore(dir);
    assert.deepEqual(await again.store.counts(box), { new: 1, old: 0 });
    assert.equal(again.store.orphansRemoved, 2);
    assert.deepEqual((await readdir(join(dir, 'voicemail', 'ext-201'))).sort(), ['index.json', 'm-m1.wav']);
  });
});

test('greetings per status fall back to the default one; a greeting that is not a playable prompt is refused', async () => {
  await withDir(async (dir) => {
    const { store } = await openStore(dir);
    const queueBox: BoxId = { kind: 'queue', number: '800' };
    assert.equal(await store.greeting(queueBox, 'away'), undefined);
    await store.setGreeting(queueBox, 'default', wav(800));
    await store.setGreeting(queueBox, 'dnd', wav(1600));
    assert.deepEqual(await store.greeting(queueBox, 'dnd'), wav(1600));
    assert.deepEqual(await store.greeting(queueBox, 'away'), wav(800));
    await assert.rejects(store.setGreeting(queueBox, 'away', Buffer.from('RIFF....WAVE')), { code: 'SBC_ERR_WAV_FORMAT' });
    await assert.rejects(store.setGreeting(queueBox, '../x', wav(8)), { code: 'SBC_ERR_VOICEMAIL' });
  });
});

test('PIN: none set refuses every PIN; a set PIN is stored hashed and checked', async () => {
  await withDir(async (dir) => {
    const { store } = await openStore(dir);
    assert.equal(await store.checkPin(box, '1234'), false);
    await store.setPin(box, '4321');
    assert.equal(await store.checkPin(box, '4321'), true);
    assert.equal(await store.checkPin(box, '1234'), false);
    assert.ok(!JSON.stringify(await store.index(box)).includes('4321'), 'never the digits');
    await assert.rejects(store.setPin(box, '12'), { code: 'SBC_ERR_VOICEMAIL' });
  });
});

test('refusals: a full box, a box number that is not dial characters, a damaged index', async () => {
  await withDir(async (dir) => {
    const { store } = await openStore(dir, new ManualClock(), { maxMessages: 1 });
    await store.deposit(box, { caller: 'a', wav: wav(8), seconds: 0 });
    await assert.rejects(store.deposit(box, { caller: 'b', wav: wav(8), seconds: 0 }), { code: 'SBC_ERR_VOICEMAIL', message: /full/ });
    await assert.rejects(store.deposit({ kind: 'extension', number: '../etc' }, { caller: 'b', wav: wav(8), seconds: 0 }), { code: 'SBC_ERR_VOICEMAIL' });
    await mkdir(join(dir, 'voicemail', 'ext-202'));
    await writeFile(join(dir, 'voicemail', 'ext-202', 'index.json'), '{"version":1,"messages":[{"id":"x"}]}');
    await assert.rejects(store.counts({ kind: 'extension', number: '202' }), { code: 'SBC_ERR_VOICEMAIL', message: /messages\[0\]/ });
  });
});

test('upload queue: kept across a restart in order, gone from disk once acknowledged, bounded, a WAV without its entry removed', async () => {
  await withDir(async (dir) => {
    const qdir = join(dir, 'upload');
    const q = await VoicemailUploadQueue.open({ dir: qdir, durable: false, maxEntries: 2 });
    const message = (id: string) => ({ id, caller: 'c', receivedAt: 0, seconds: 1, status: 'new' as const });
    await q.enqueue(box, message('a'), wav(8));
    await q.enqueue(box, message('b'), wav(16));
    await q.enqueue(box, message('c'), wav(24));
    assert.deepEqual(q.stats(), { pending: 2, dropped: 1, unreadable: 0 });
    await q.close();
    await writeFile(join(qdir, 'u-000000000099.wav'), wav(8));
    const again = await VoicemailUploadQueue.open({ dir: qdir, durable: false });
    assert.deepEqual(again.peek().map((e) => e.message.id), ['b', 'c']);
    const first = again.peek()[0];
    assert.ok(first);
    assert.equal(await again.ack(first.seq), true);
    assert.equal(await again.ack(first.seq), false);
    assert.deepEqual((await readdir(qdir)).sort(), ['u-000000000003.json', 'u-000000000003.wav']);
    const next = await again.enqueue(box, message('d'), wav(8));
    assert.equal(next.seq, 4);
  });
});
