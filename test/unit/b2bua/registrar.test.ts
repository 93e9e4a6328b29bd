import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_BINDINGS_PER_EXTENSION, type LocalBinding } from '../../../src/b2bua/index.js';
import {
  MODEL, PHONE_A, PHONE_B, answered, contactsOf, getHeader, incoming, last, register, registerAs, rig,
} from './fixtures.js';

const CONTACT_A = '<sip:101@192.168.1.21:5060>';

test('a REGISTER without credentials is challenged (401, MD5, the extension realm); the right password binds the flow', async () => {
  const r = rig();
  const first = incoming(register({ user: '101', contact: CONTACT_A, expires: 600 }), PHONE_A);
  await r.registrar.handle(first);
  const challenge = last(first.responses);
  assert.equal(challenge.status, 401);
  const www = getHeader(challenge, 'WWW-Authenticate') ?? '';
  assert.match(www, /realm="branch\.test"/);
  assert.match(www, /algorithm=MD5/);
  const second = incoming(answered(register({ user: '101', contact: CONTACT_A, expires: 600, userAgent: 'Yealink T46U', cseq: 99 }), challenge, '101', 'pw101'), PHONE_A);
  await r.registrar.handle(second);
  const ok = last(second.responses);
  assert.equal(ok.status, 200);
  assert.deepEqual(contactsOf(ok), ['<sip:101@192.168.1.21:5060>;expires=600']);
  const [binding] = r.registrar.contactsOf('101');
  assert.deepEqual(binding?.target, { transport: 'UDP', host: '192.168.1.21', port: 5060 });
  assert.equal(binding?.userAgent, 'Yealink T46U');
  assert.deepEqual(r.registrar.registered(), ['101']);
  assert.equal(r.registrar.failures.total, 0, 'a first challenge is no failure');
});

// Each row: what the phone does, and the final status, reason and whether a failure is counted.
const REFUSALS: { name: string; user: string; authUser?: string; password: string; status: number; reason: string }[] = [
  { name: 'wrong password', user: '101', password: 'nope', status: 401, reason: 'Unauthorized' },
  { name: 'unknown extension', user: '199', password: 'pw199', status: 403, reason: 'Forbidden' },
  { name: 'disabled extension, right password', user: '103', password: 'pw103', status: 403, reason: 'Extension Disabled' },
  { name: 'another extension\'s credentials for this AOR', user: '101', authUser: '102', password: 'pw102', status: 403, reason: 'Username Does Not Match' },
];

for (const row of REFUSALS) {
  test(`REGISTER refused: ${row.name} → ${row.status} ${row.reason}, counted for the source`, async () => {
    const r = rig();
    const first = incoming(register({ user: row.user, contact: CONTACT_A }), PHONE_A);
    await r.registrar.handle(first);
    const second = incoming(answered(register({ user: row.user, contact: CONTACT_A, cseq: 50 }), last(first.responses), row.authUser ?? row.user, row.password), PHONE_A);
    await r.registrar.handle(second);
    const response = last(second.responses);
    assert.equal(response.status, row.status);
    assert.equal(response.reason, row.reason);
    assert.equal(r.registrar.failures.of(PHONE_A.address), 1);
    assert.deepEqual(r.registrar.list(), []);
  });
}

test('expires: 423 with Min-Expires under 60 s, longer asks shortened to 3600 s, default 3600', async () => {
  const r = rig();
  const brief = await registerAs(r, { user: '101', contact: CONTACT_A, expires: 30 }, PHONE_A);
  assert.equal(brief.status, 423);
  assert.equal(getHeader(brief, 'Min-Expires'), '60');
  const long = await registerAs(r, { user: '101', contact: `${CONTACT_A};expires=86400` }, PHONE_A);
  assert.deepEqual(contactsOf(long), ['<sip:101@192.168.1.21:5060>;expires=3600']);
  const byDefault = await registerAs(r, { user: '102', contact: '<sip:102@192.168.1.22:5062>' }, PHONE_B);
  assert.deepEqual(contactsOf(byDefault), ['<sip:102@192.168.1.22:5062>;expires=3600']);
});

test('several phones on one extension; the 200 lists every binding; Expires: 0 removes one, * removes all', async () => {
  const r = rig();
  const events: string[] = [];
  r.registrar.on('register', (b) => events.push(`+${b.uri}`));
  r.registrar.on('unregister', (u) => events.push(`-${u.binding.uri}:${u.why}`));
  await registerAs(r, { user: '101', contact: CONTACT_A, expires: 600, callId: 'a' }, PHONE_A);
  const both = await registerAs(r, { user: '101', contact: '<sip:101@192.168.1.22:5062>', expires: 300, callId: 'b' }, PHONE_B);
  assert.deepEqual(contactsOf(both).sort(), ['<sip:101@192.168.1.21:5060>;expires=600', '<sip:101@192.168.1.22:5062>;expires=300']);
  const one = await registerAs(r, { user: '101', contact: '<sip:101@192.168.1.22:5062>', expires: 0, callId: 'b' }, PHONE_B);
  assert.deepEqual(contactsOf(one), ['<sip:101@192.168.1.21:5060>;expires=600']);
  const none = await registerAs(r, { user: '101', contact: '*', expires: 0, callId: 'a' }, PHONE_A);
  assert.equal(none.status, 200);
  assert.deepEqual(contactsOf(none), []);
  assert.deepEqual(r.registrar.registered(), []);
  assert.deepEqual(events, [
    '+sip:101@192.168.1.21:5060', '+sip:101@192.168.1.22:5062', '-sip:101@192.168.1.22:5062:removed', '-sip:101@192.168.1.21:5060:removed',
  ]);
});

const BAD_REGISTERS: { name: string; contact: string; expires?: number; status: number; reason: string }[] = [
  { name: 'wildcard without Expires: 0', contact: '*', expires: 60, status: 400, reason: 'Invalid Wildcard Contact' },
  { name: 'wildcard beside a contact', contact: `*, ${CONTACT_A}`, expires: 0, status: 400, reason: 'Invalid Wildcard Contact' },
  { name: 'contact that is not a URI', contact: '<not a uri>', status: 400, reason: 'Invalid Contact' },
  { name: 'expires parameter not a number', contact: `${CONTACT_A};expires=soon`, status: 400, reason: 'Invalid Contact Expires' },
];

for (const row of BAD_REGISTERS) {
  test(`REGISTER with a ${row.name} → ${row.status} ${row.reason}`, async () => {
    const r = rig();
    const response = await registerAs(r, { user: '101', contact: row.contact, expires: row.expires }, PHONE_A);
    assert.equal(response.status, row.status);
    assert.equal(response.reason, row.reason);
  });
}

test('a refresh keeps one binding and moves it to the new flow; an older CSeq of the same Call-ID is refused', async () => {
  const r = rig();
  await registerAs(r, { user: '101', contact: CONTACT_A, expires: 600, callId: 'x', cseq: 10 }, PHONE_A);
  r.clock.advance(100_000);
  const moved: typeof PHONE_A = { ...PHONE_A, port: 40000 };
  await registerAs(r, { user: '101', contact: CONTACT_A, expires: 600, callId: 'x', cseq: 20 }, moved);
  const list = r.registrar.contactsOf('101');
  assert.equal(list.length, 1);
  assert.equal(list[0]?.target.port, 40000);
  const stale = await registerAs(r, { user: '101', contact: CONTACT_A, expires: 600, callId: 'x', cseq: 5 }, moved);
  assert.equal(stale.status, 500);
});

test('bindings expire on the clock, with an event, and the store sees the removal', async () => {
  const r = rig();
  const expired: string[] = [];
  r.registrar.on('unregister', (u) => expired.push(u.why));
  await registerAs(r, { user: '101', contact: CONTACT_A, expires: 60 }, PHONE_A);
  r.clock.advance(59_999);
  assert.deepEqual(r.registrar.registered(), ['101']);
  r.clock.advance(1);
  assert.deepEqual(r.registrar.registered(), []);
  assert.deepEqual(expired, ['expired']);
  await r.registrar.close();
  assert.deepEqual(r.store.saved.at(-1), []);
  assert.equal(r.store.saved.at(-2)?.length, 1);
});

test(`at most ${MAX_BINDINGS_PER_EXTENSION} phones per extension: the one that expires first is replaced`, async () => {
  const r = rig();
  for (let i = 0; i <= MAX_BINDINGS_PER_EXTENSION; i++) {
    await registerAs(r, { user: '101', contact: `<sip:101@192.168.1.${100 + i}>`, expires: 600 + i, callId: `c${i}` }, { ...PHONE_A, address: `192.168.1.${100 + i}` });
  }
  const uris = r.registrar.contactsOf('101').map((b) => b.uri);
  assert.equal(uris.length, MAX_BINDINGS_PER_EXTENSION);
  assert.ok(!uris.includes('sip:101@192.168.1.100'), 'the shortest-lived binding went');
});

test('extensionAt: only the flow a live binding came from, with that user', async () => {
  const r = rig();
  await registerAs(r, { user: '101', contact: CONTACT_A, expires: 600 }, PHONE_A);
  assert.equal(r.registrar.extensionAt(PHONE_A, '101'), '101');
  assert.equal(r.registrar.extensionAt(PHONE_A, '102'), undefined);
  assert.equal(r.registrar.extensionAt({ ...PHONE_A, port: 5061 }, '101'), undefined);
  assert.equal(r.registrar.extensionAt({ ...PHONE_A, transport: 'TCP' }, '101'), undefined);
  r.clock.advance(600_000);
  assert.equal(r.registrar.extensionAt(PHONE_A, '101'), undefined);
});

test('stored bindings are taken back at start, expired ones dropped', () => {
  const r0 = rig();
  const now = r0.clock.wallNow();
  const stored = (uri: string, expiresAt: number): LocalBinding => ({ extension: '102', uri, target: { transport: 'UDP', host: '192.168.1.22', port: 5062 }, expiresAt, callId: 'c', cseq: 1 });
  const r = rig([stored('sip:102@live', now + 60_000), stored('sip:102@gone', now - 1)]);
  assert.deepEqual(r.registrar.contactsOf('102').map((b) => b.uri), ['sip:102@live']);
  r.clock.advance(60_000);
  assert.deepEqual(r.registrar.registered(), []);
});

test('no routing model yet: 503 with Retry-After', async () => {
  const r = rig();
  r.model = undefined;
  const response = await registerAs(r, { user: '101', contact: CONTACT_A }, PHONE_A);
  assert.equal(response.status, 503);
  assert.equal(getHeader(response, 'Retry-After'), '30');
  assert.ok(MODEL.extensions.length > 0);
});

test('registrations at the same time: at most one write each, and the last write holds every binding', async () => {
  const r = rig();
  await Promise.all(['101', '102'].map((user, i) => registerAs(r, { user, contact: `<sip:${user}@192.168.1.${30 + i}>`, expires: 600 }, { ...PHONE_A, address: `192.168.1.${30 + i}` })));
  await r.registrar.close();
  assert.ok(r.store.saved.length <= 2, `${r.store.saved.length} writes`);
  assert.deepEqual(r.store.saved.at(-1)?.map((b) => b.extension), ['101', '102']);
});
