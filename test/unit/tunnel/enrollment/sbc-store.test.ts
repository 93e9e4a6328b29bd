import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../../src/core/index.js';
import { SbcListError, SbcStore, StoreFormatError, hashAuthKey, generateAuthKey, parseStoreDocument, type IssuedIdentity, type SbcRecord } from '../../../../src/tunnel/index.js';
import { FAST_SCRYPT, MemoryBackend } from './fixtures.js';

const DAY = 86_400_000;
const CERT: IssuedIdentity = { serial: '1A', fingerprint: 'AA:01', notAfter: '2028-01-01T00:00:00.000Z' };

async function fresh() {
  const clock = new ManualClock(0, Date.UTC(2026, 0, 1));
  const backend = new MemoryBackend();
  const store = await SbcStore.open(backend, clock);
  return { clock, backend, store };
}

test('add: a pending SBC with its key hash and expiry; names are unique and checked', async () => {
  const { store, backend } = await fresh();
  const keyHash = await hashAuthKey(generateAuthKey(), FAST_SCRYPT);
  const record = await store.add('branch-paris', 'id1', keyHash, 7 * DAY);
  assert.equal(record.state, 'pending');
  assert.equal(record.key?.expiresAt, '2026-01-08T00:00:00.000Z');
  assert.deepEqual(store.byName('branch-paris'), record);
  assert.deepEqual(parseStoreDocument(backend.text ?? '').sbcs, [record]);
  await assert.rejects(store.add('branch-paris', 'id2', keyHash, DAY), (e: unknown) => e instanceof SbcListError && e.problem === 'name_taken');
  for (const bad of ['', '-x', 'a b', 'x'.repeat(64), 'é']) {
    await assert.rejects(store.add(bad, 'id3', keyHash, DAY), (e: unknown) => e instanceof SbcListError && e.problem === 'invalid_name', bad);
  }
  assert.equal(store.list().length, 1);
});

test('completeEnrollment uses the key once; rekey keeps the certificate until re-enrollment, which retires it', async () => {
  const { store } = await fresh();
  const first = await hashAuthKey(generateAuthKey(), FAST_SCRYPT);
  await store.add('b1', 'id1', first, DAY);
  assert.equal(await store.completeEnrollment('id1', first, CERT), true);
  assert.equal(await store.completeEnrollment('id1', first, CERT), false, 'a used key cannot enroll twice');
  let r = store.byId('id1');
  assert.equal(r?.state, 'enrolled');
  assert.ok(r?.key?.usedAt !== undefined);
  assert.deepEqual(store.byCertificateFingerprint('AA:01'), { record: r, current: true });

  const second = await hashAuthKey(generateAuthKey(), FAST_SCRYPT);
  await store.rekey('b1', second, DAY);
  assert.equal(await store.completeEnrollment('id1', first, CERT), false, 'the replaced key is void');
  assert.equal(store.byId('id1')?.state, 'enrolled');
  assert.equal(store.byCertificateFingerprint('AA:01')?.current, true, 'the old certificate stays valid until the new enrollment');
  assert.equal(await store.completeEnrollment('id1', second, { ...CERT, fingerprint: 'AA:02' }), true);
  r = store.byId('id1');
  assert.equal(store.byCertificateFingerprint('AA:01')?.current, false);
  assert.equal(store.byCertificateFingerprint('AA:02')?.current, true);
  assert.deepEqual(r?.retired, ['AA:01']);
});

test('revoke retires the certificate and blocks the key; rekey re-admits; rename keeps id and certificate', async () => {
  const { store, clock } = await fresh();
  const keyHash = await hashAuthKey(generateAuthKey(), FAST_SCRYPT);
  await store.add('b1', 'id1', keyHash, DAY);
  await store.completeEnrollment('id1', keyHash, CERT);
  clock.advance(1000);
  const revoked = await store.revoke('b1');
  assert.equal(revoked.state, 'revoked');
  assert.equal(revoked.revokedAt, '2026-01-01T00:00:01.000Z');
  assert.equal(revoked.certificate, undefined);
  assert.deepEqual(store.byCertificateFingerprint('AA:01'), { record: revoked, current: false });
  const again = await hashAuthKey(generateAuthKey(), FAST_SCRYPT);
  assert.equal(await store.completeEnrollment('id1', keyHash, CERT), false);
  const rekeyed = await store.rekey('b1', again, DAY);
  assert.equal(rekeyed.state, 'pending');
  assert.equal(rekeyed.revokedAt, undefined);
  const renamed = await store.rename('b1', 'b2');
  assert.equal(renamed.id, 'id1');
  assert.equal(store.byName('b1'), undefined);
  await assert.rejects(store.rename('nope', 'b3'), (e: unknown) => e instanceof SbcListError && e.problem === 'unknown_name');
  await assert.rejects(store.revoke('nope'), (e: unknown) => e instanceof SbcListError && e.problem === 'unknown_name');
  await store.add('b3', 'id3', again, DAY);
  await assert.rejects(store.rename('b2', 'b3'), (e: unknown) => e instanceof SbcListError && e.problem === 'name_taken');
});

test('reload picks up a change written by another process and announces it; markSeen stamps lastSeen', async () => {
  const { store, backend, clock } = await fresh();
  const other = await SbcStore.open(backend, clock);
  const changes: Array<readonly SbcRecord[]> = [];
  store.events.on('changed', (list) => changes.push(list));
  const keyHash = await hashAuthKey(generateAuthKey(), FAST_SCRYPT);
  await other.add('b1', 'id1', keyHash, DAY);
  assert.equal(store.byName('b1'), undefined);
  await store.reload();
  assert.equal(store.byName('b1')?.id, 'id1');
  await store.reload();
  assert.equal(changes.length, 1, 'an unchanged file is not announced again');
  await store.completeEnrollment('id1', keyHash, CERT);
  clock.advance(5000);
  await store.markSeen('AA:01');
  assert.equal(store.byId('id1')?.lastSeen, '2026-01-01T00:00:05.000Z');
  const writes = backend.writes;
  await store.markSeen('FF:FF');
  assert.equal(backend.writes, writes, 'an unknown certificate writes nothing');
});

test('concurrent updates are serialized: none is lost', async () => {
  const { store } = await fresh();
  const keyHash = await hashAuthKey(generateAuthKey(), FAST_SCRYPT);
  await Promise.all(Array.from({ length: 20 }, (_, i) => store.add(`b${i}`, `id${i}`, keyHash, DAY)));
  assert.equal(store.list().length, 20);
});

test('a damaged SBC list is refused with the bad field named', () => {
  const good = { id: 'id1', name: 'b1', state: 'pending', createdAt: 't', retired: [] };
  const table: Array<[string, string]> = [
    ['nope', '(file)'],
    ['[]', '(file)'],
    [JSON.stringify({ version: 2, sbcs: [] }), 'version'],
    [JSON.stringify({ version: 1 }), 'sbcs'],
    [JSON.stringify({ version: 1, sbcs: [{ ...good, state: 'odd' }] }), 'sbcs[0].state'],
    [JSON.stringify({ version: 1, sbcs: [{ ...good, name: 'a b' }] }), 'sbcs[0].name'],
    [JSON.stringify({ version: 1, sbcs: [{ ...good, id: 7 }] }), 'sbcs[0].id'],
    [JSON.stringify({ version: 1, sbcs: [{ ...good, retired: [1] }] }), 'sbcs[0].retired'],
    [JSON.stringify({ version: 1, sbcs: [{ ...good, key: { keyHash: { algorithm: 'md5' }, createdAt: 't', expiresAt: 't' } }] }), 'sbcs[0].key.keyHash.algorithm'],
    [JSON.stringify({ version: 1, sbcs: [{ ...good, certificate: { serial: '1' } }] }), 'sbcs[0].certificate.fingerprint'],
    [JSON.stringify({ version: 1, sbcs: [good, { ...good, id: 'id2' }] }), 'sbcs[1].name'],
  ];
  for (const [text, field] of table) {
    assert.throws(() => parseStoreDocument(text), (e: unknown) => e instanceof StoreFormatError && e.field === field, text);
  }
  assert.equal(parseStoreDocument(JSON.stringify({ version: 1, sbcs: [good] })).sbcs.length, 1);
});
