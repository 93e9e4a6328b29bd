/**
 * Failback into a registrar that challenges the replayed credentials (issue 12): the challenge is
 * answered from the routing model's HA1, and the digest server of this code base, knowing only the
 * same HA1, accepts the answer. Inputs that cannot be answered give undefined (a table).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { computeHA1, DigestServer, parseDigestCredentials } from '../../../src/sip/auth/index.js';
import { buildResponse, getHeader, getHeaders, getViaBranch, parseMessage, topVia, type SipRequest, type SipResponse } from '../../../src/sip/index.js';
import { answerFailbackChallenge, type Ha1Lookup } from '../../../src/sbc/index.js';
import type { LastRegister } from '../../../src/sbc/re-register.js';

const REALM = 'pbx.test';
const HA1 = computeHA1('MD5', '1001', REALM, 'secret');
const ha1For: Ha1Lookup = (user, realm) => (user === '1001' && realm === REALM ? HA1 : undefined);

function register(extra: string): SipRequest {
  const text = `REGISTER sip:${REALM} SIP/2.0
Via: SIP/2.0/TCP tunnel.invalid;branch=z9hG4bKfirst
Max-Forwards: 70
From: <sip:1001@${REALM}>;tag=a1
To: <sip:1001@${REALM}>
Call-ID: rr-1@tunnel.invalid
CSeq: 1 REGISTER
Contact: <sip:a-token@tunnel.invalid>
${extra}Expires: 600
Content-Length: 0

`;
  return parseMessage(Buffer.from(text.replace(/\n/g, '\r\n'))) as SipRequest;
}

const STALE = 'Authorization: Digest username="1001", realm="pbx.test", nonce="from-before-the-restart", uri="sip:pbx.test", response="00000000000000000000000000000000"\n';

function last(extra = STALE): LastRegister {
  const sent = register(extra);
  return { sent, fromPhone: sent, source: { transport: 'UDP', address: '10.0.0.5', port: 5062 } };
}

function server(algorithms: readonly ('MD5' | 'SHA-256')[] = ['MD5']): DigestServer {
  return new DigestServer({ realm: REALM, secret: Buffer.alloc(32, 7), clock: new ManualClock(0), algorithms, users: { lookup: (u, r) => (u === '1001' && r === REALM ? { ha1: HA1, algorithm: 'MD5' } : undefined) } });
}

function challenged(request: SipRequest, s: DigestServer, proxy = false): SipResponse {
  const response = buildResponse(request, proxy ? 407 : 401);
  return { ...response, headers: [...response.headers, ...s.challenge({ proxy })] };
}

test('a 401 to the replayed REGISTER is answered from the HA1: the digest server accepts it; CSeq one higher, a new branch, the stale credentials replaced', async () => {
  const s = server();
  const before = last();
  const again = answerFailbackChallenge(before, challenged(before.sent, s), 'z9hG4bKsecond', ha1For);
  assert.ok(again !== undefined);
  const verdict = await s.verify(again.sent);
  assert.deepEqual(verdict, { ok: true, username: '1001', realm: REALM, algorithm: 'MD5' });
  assert.equal(getHeader(again.sent, 'CSeq'), '2 REGISTER');
  assert.equal(getHeader(again.fromPhone, 'CSeq'), '2 REGISTER', 'both views stay one request');
  assert.equal(getViaBranch(topVia(again.sent)), 'z9hG4bKsecond');
  assert.equal(getHeaders(again.sent, 'Authorization').length, 1, 'one credentials header for the realm');
  assert.equal(getHeader(again.sent, 'Call-ID'), 'rr-1@tunnel.invalid', 'the same registration');
  assert.deepEqual(getHeaders(again.sent, 'Contact'), ['<sip:a-token@tunnel.invalid>']);
  assert.equal(again.source, before.source);
});

test('a 407 is answered with Proxy-Authorization; with no credentials of the phone the user is To\'s', async () => {
  const s = server();
  const before = last('');
  const again = answerFailbackChallenge(before, challenged(before.sent, s, true), 'z9hG4bKthird', ha1For);
  assert.ok(again !== undefined);
  assert.equal(parseDigestCredentials(getHeader(again.sent, 'Proxy-Authorization') ?? '').username, '1001');
  assert.equal((await s.verify(again.sent, { proxy: true })).ok, true);
});

test('what cannot be answered from the model gives undefined (the binding waits for its phone)', () => {
  const md5 = server();
  const base = last();
  const other = (mutate: (r: SipResponse) => SipResponse): SipResponse => mutate(challenged(base.sent, md5));
  const cases: [string, SipResponse, Ha1Lookup][] = [
    ['a 200 is no challenge', buildResponse(base.sent, 200), ha1For],
    ['a 403 is a refusal, not a challenge', buildResponse(base.sent, 403), ha1For],
    ['no extension of that user in the model', challenged(base.sent, md5), () => undefined],
    ['the challenge is for a realm the model does not have', other((r) => ({ ...r, headers: r.headers.map((h) => ({ ...h, value: h.value.replace('realm="pbx.test"', 'realm="elsewhere"') })) })), ha1For],
    ['a 401 without any challenge header', other((r) => ({ ...r, headers: r.headers.filter((h) => h.name !== 'WWW-Authenticate') })), ha1For],
    ['only SHA-256 offered: an MD5 HA1 cannot answer it', challenged(base.sent, server(['SHA-256'])), ha1For],
    ['a malformed challenge', other((r) => ({ ...r, headers: r.headers.map((h) => (h.name === 'WWW-Authenticate' ? { ...h, value: 'Digest realm=' } : h)) })), ha1For],
  ];
  for (const [what, response, lookup] of cases) {
    assert.equal(answerFailbackChallenge(base, response, 'z9hG4bKx', lookup), undefined, what);
  }
});
