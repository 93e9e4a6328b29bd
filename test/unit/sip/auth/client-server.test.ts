import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../../src/core/index.js';
import { getHeaders, type SipHeader, type SipRequest, type SipResponse } from '../../../../src/sip/message.js';
import {
  AuthFailure,
  DigestClient,
  DigestServer,
  computeHA1,
  formatDigestCredentials,
  parseDigestCredentials,
  withCredentials,
  type DigestAlgorithm,
  type DigestUserStore,
  type VerifyFailure,
} from '../../../../src/sip/auth/index.js';

const SECRET = Buffer.alloc(32, 7);
const REALM = 'pbx.test';
const USERS: DigestUserStore = {
  lookup: (username) => {
    if (username === 'alice') return { password: 'secret' };
    if (username === 'bob') return { ha1: computeHA1('MD5', 'bob', REALM, 'hunter2'), algorithm: 'MD5' };
    return undefined;
  },
};

function register(headers: SipHeader[] = []): SipRequest {
  return {
    kind: 'request', method: 'REGISTER', uri: 'sip:pbx.test', version: 'SIP/2.0', body: Buffer.alloc(0),
    headers: [{ name: 'Via', value: 'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1' }, { name: 'CSeq', value: '1 REGISTER' }, ...headers],
  };
}

function challengeResponse(headers: SipHeader[], status = 401): SipResponse {
  return { kind: 'response', status, reason: 'Unauthorized', version: 'SIP/2.0', body: Buffer.alloc(0), headers };
}

function setup(options: { algorithms?: DigestAlgorithm[]; lifetime?: number } = {}) {
  const clock = new ManualClock();
  let counter = 0;
  const random = (n: number) => Buffer.alloc(n, ++counter);
  const server = new DigestServer({
    realm: REALM, secret: SECRET, clock, users: USERS, random,
    ...(options.algorithms === undefined ? {} : { algorithms: options.algorithms }),
    ...(options.lifetime === undefined ? {} : { nonceLifetimeMs: options.lifetime }),
  });
  return { clock, server };
}

async function roundTrip(server: DigestServer, client: DigestClient, proxy = false) {
  const challenge = challengeResponse(server.challenge({ proxy }), proxy ? 407 : 401);
  const header = client.answer(challenge, { method: 'REGISTER', uri: 'sip:pbx.test' });
  const request = withCredentials(register(), header);
  return { header, request, verdict: await server.verify(request, { proxy }) };
}

test('client answers a server challenge; the strongest algorithm is chosen', async () => {
  const { server } = setup();
  const client = new DigestClient({ username: 'alice', password: 'secret' });
  const { header, verdict } = await roundTrip(server, client);
  assert.equal(header.name, 'Authorization');
  const creds = parseDigestCredentials(header.value);
  assert.equal(creds.algorithm, 'SHA-256');
  assert.equal(creds.nc, '00000001');
  assert.equal(creds.qop, 'auth');
  assert.deepEqual(verdict, { ok: true, username: 'alice', realm: REALM, algorithm: 'SHA-256' });
});

test('407 is answered with Proxy-Authorization and verified as such', async () => {
  const { server } = setup({ algorithms: ['MD5'] });
  const client = new DigestClient({ username: 'bob', password: 'hunter2' });
  const { header, verdict } = await roundTrip(server, client, true);
  assert.equal(header.name, 'Proxy-Authorization');
  assert.equal(verdict.ok, true);
});

for (const algorithm of ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess', 'SHA-512-256', 'SHA-512-256-sess'] as const) {
  test(`round trip with ${algorithm}`, async () => {
    const { server } = setup({ algorithms: [algorithm] });
    const { verdict } = await roundTrip(server, new DigestClient({ username: 'alice', password: 'secret' }));
    assert.deepEqual(verdict, { ok: true, username: 'alice', realm: REALM, algorithm });
  });
}

test('nc counts up on pre-emptive reuse; a replayed nc is refused', async () => {
  const { server } = setup();
  const client = new DigestClient({ username: 'alice', password: 'secret' });
  const { request } = await roundTrip(server, client);
  client.succeeded();
  const again = client.preemptive(REALM, { method: 'REGISTER', uri: 'sip:pbx.test' });
  assert.ok(again);
  assert.equal(parseDigestCredentials(again.value).nc, '00000002');
  assert.equal((await server.verify(withCredentials(register(), again))).ok, true);
  assert.deepEqual(await server.verify(request), { ok: false, reason: 'replayed', stale: false });
});

test('stale=true: the client retries once with the new nonce, then a second challenge is a failure', async () => {
  const { server, clock } = setup({ lifetime: 1000 });
  const client = new DigestClient({ username: 'alice', password: 'secret' });
  const { request } = await roundTrip(server, client);
  clock.advance(2000);
  // The nonce expired but the password was right: stale.
  const late = await server.verify(request);
  assert.deepEqual(late, { ok: false, reason: 'expired-nonce', stale: true });
  const header = client.answer(challengeResponse(server.challenge({ stale: true })), { method: 'REGISTER', uri: 'sip:pbx.test' });
  assert.equal((await server.verify(withCredentials(register(), header))).ok, true);
  assert.throws(
    () => client.answer(challengeResponse(server.challenge({ stale: true })), { method: 'REGISTER', uri: 'sip:pbx.test' }),
    (e: unknown) => e instanceof AuthFailure && e.reason === 'rejected' && e.realm === REALM,
  );
});

test('wrong password: the second challenge is reported as an AuthFailure, not answered', async () => {
  const { server } = setup();
  const client = new DigestClient({ username: 'alice', password: 'wrong' });
  const { verdict } = await roundTrip(server, client);
  assert.deepEqual(verdict, { ok: false, reason: 'wrong-response', stale: false });
  assert.throws(
    () => client.answer(challengeResponse(server.challenge()), { method: 'REGISTER', uri: 'sip:pbx.test' }),
    (e: unknown) => e instanceof AuthFailure && e.reason === 'rejected',
  );
});

const CLIENT_FAILURES: Array<[string, SipResponse, string]> = [
  ['no challenge header', challengeResponse([]), 'no-challenge'],
  ['only Basic', challengeResponse([{ name: 'WWW-Authenticate', value: 'Basic realm="x"' }]), 'no-challenge'],
  ['malformed challenge', challengeResponse([{ name: 'WWW-Authenticate', value: 'Digest realm="x' }]), 'no-challenge'],
  ['unknown algorithm', challengeResponse([{ name: 'WWW-Authenticate', value: 'Digest realm="x", nonce="n", algorithm=SHA-1' }]), 'unsupported-challenge'],
  ['only unknown qop', challengeResponse([{ name: 'WWW-Authenticate', value: 'Digest realm="x", nonce="n", qop="auth-conf"' }]), 'unsupported-challenge'],
  ['407 asks for Proxy-Authenticate', challengeResponse([{ name: 'WWW-Authenticate', value: 'Digest realm="x", nonce="n"' }], 407), 'no-challenge'],
  ['not a challenge status', challengeResponse([{ name: 'WWW-Authenticate', value: 'Digest realm="x", nonce="n"' }], 403), 'no-challenge'],
];

for (const [name, response, reason] of CLIENT_FAILURES) {
  test(`client failure: ${name}`, () => {
    const client = new DigestClient({ username: 'alice', password: 'secret' });
    assert.throws(() => client.answer(response, { method: 'REGISTER', uri: 'sip:pbx.test' }), (e: unknown) => e instanceof AuthFailure && e.reason === reason);
  });
}

test('RFC 2069 style challenge (no qop) is answered without nc and cnonce and verified', async () => {
  const { server } = setup({ algorithms: ['MD5'] });
  const nonce = /nonce="([^"]+)"/.exec(server.challenge()[0]!.value)![1]!;
  const client = new DigestClient({ username: 'alice', password: 'secret' });
  const header = client.answer(challengeResponse([{ name: 'WWW-Authenticate', value: `Digest realm="${REALM}", nonce="${nonce}"` }]), { method: 'REGISTER', uri: 'sip:pbx.test' });
  const creds = parseDigestCredentials(header.value);
  assert.equal(creds.nc, undefined);
  assert.equal(creds.cnonce, undefined);
  assert.equal((await server.verify(withCredentials(register(), header))).ok, true);
});

/** Credentials for alice made by a good client, then altered by `edit`. */
async function tampered(edit: (fields: Record<string, string>) => void, setupOptions: { lifetime?: number } = {}, before?: (s: ReturnType<typeof setup>) => void) {
  const s = setup(setupOptions);
  const client = new DigestClient({ username: 'alice', password: 'secret' });
  const header = client.answer(challengeResponse(s.server.challenge()), { method: 'REGISTER', uri: 'sip:pbx.test' });
  const fields: Record<string, string> = { ...parseDigestCredentials(header.value) } as unknown as Record<string, string>;
  edit(fields);
  before?.(s);
  const value = formatDigestCredentials(fields as unknown as Parameters<typeof formatDigestCredentials>[0]);
  return s.server.verify(register([{ name: 'Authorization', value }]));
}

const SERVER_NEGATIVE: Array<[string, () => Promise<unknown>, VerifyFailure, boolean]> = [
  ['no Authorization', () => setup().server.verify(register()), 'missing', false],
  ['malformed header', () => setup().server.verify(register([{ name: 'Authorization', value: 'Digest username="alice' }])), 'malformed', false],
  ['credentials without response', () => setup().server.verify(register([{ name: 'Authorization', value: `Digest username="alice", realm="${REALM}", nonce="n", uri="sip:pbx.test"` }])), 'malformed', false],
  ['wrong realm', () => tampered((f) => { f['realm'] = 'other.test'; }), 'wrong-realm', false],
  ['wrong uri', () => tampered((f) => { f['uri'] = 'sip:other.test'; }), 'wrong-uri', false],
  ['wrong response', () => tampered((f) => { f['response'] = '0'.repeat(64); }), 'wrong-response', false],
  ['unknown user', () => tampered((f) => { f['username'] = 'mallory'; }), 'unknown-user', false],
  ['unknown algorithm', () => tampered((f) => { f['algorithm'] = 'SHA-1'; }), 'unknown-algorithm', false],
  ['algorithm not offered', () => tampered((f) => { f['algorithm'] = 'SHA-512-256'; }), 'unknown-algorithm', false],
  ['qop auth-int not offered', () => tampered((f) => { f['qop'] = 'auth-int'; }), 'bad-qop', false],
  ['nc missing with qop', () => tampered((f) => { delete f['nc']; }), 'malformed', false],
  ['forged nonce', () => tampered((f) => { f['nonce'] = `${f['nonce']!.slice(0, -2)}AA`; }), 'forged-nonce', false],
  ['expired nonce, right password', () => tampered(() => {}, { lifetime: 1000 }, (s) => s.clock.advance(1001)), 'expired-nonce', true],
  ['expired nonce, wrong password', () => tampered((f) => { f['response'] = 'f'.repeat(64); }, { lifetime: 1000 }, (s) => s.clock.advance(1001)), 'wrong-response', false],
];

for (const [name, run, reason, stale] of SERVER_NEGATIVE) {
  test(`server refuses: ${name}`, async () => {
    assert.deepEqual(await run(), { ok: false, reason, stale });
  });
}

test('a nonce this server never issued (restart, eviction) is stale when the password is right', async () => {
  const a = setup();
  const client = new DigestClient({ username: 'alice', password: 'secret' });
  const { request } = await roundTrip(a.server, client);
  const b = new DigestServer({ realm: REALM, secret: SECRET, clock: a.clock, users: USERS });
  assert.deepEqual(await b.verify(request), { ok: false, reason: 'unknown-nonce', stale: true });
});

test('the nonce cache is bounded: evicted nonces become stale, not accepted', async () => {
  const clock = new ManualClock();
  const server = new DigestServer({ realm: REALM, secret: SECRET, clock, users: USERS, maxNonces: 2, algorithms: ['MD5'] });
  const client = new DigestClient({ username: 'alice', password: 'secret' });
  const header = client.answer(challengeResponse(server.challenge()), { method: 'REGISTER', uri: 'sip:pbx.test' });
  server.challenge();
  server.challenge();
  const verdict = await server.verify(withCredentials(register(), header));
  assert.deepEqual(verdict, { ok: false, reason: 'unknown-nonce', stale: true });
});

test('a server challenge offers one header per algorithm, each with its own nonce', () => {
  const { server } = setup();
  const headers = server.challenge({ stale: true });
  assert.deepEqual(headers.map((h) => h.name), ['WWW-Authenticate', 'WWW-Authenticate']);
  assert.match(headers[0]!.value, /algorithm=SHA-256/);
  assert.match(headers[1]!.value, /algorithm=MD5/);
  assert.match(headers[0]!.value, /stale=true/);
  const nonces = headers.map((h) => /nonce="([^"]+)"/.exec(h.value)?.[1]);
  assert.notEqual(nonces[0], nonces[1]);
});

test('withCredentials replaces the credentials of the same realm and keeps others', () => {
  const request = register([{ name: 'Authorization', value: 'Digest realm="other", username="x"' }, { name: 'Authorization', value: `Digest realm="${REALM}", username="old"` }]);
  const out = withCredentials(request, { name: 'Authorization', value: `Digest realm="${REALM}", username="new"` });
  assert.deepEqual(getHeaders(out, 'Authorization'), ['Digest realm="other", username="x"', `Digest realm="${REALM}", username="new"`]);
});
