/**
 * The digest client answering from a stored HA1 instead of a password (trunk credentials of the
 * routing model): the RFC 2617 §3.5 example gives the exact response, and challenges that an MD5
 * HA1 cannot answer are refused or skipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipResponse } from '../../../../src/sip/message.js';
import { DigestClient, parseDigestCredentials } from '../../../../src/sip/auth/index.js';

// RFC 2617 §3.5: Mufasa / testrealm@host.com / "Circle Of Life".
const HA1 = '939e7578ed9e3c518a452acee763bce9';
const CHALLENGE = 'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"';

function challenge(values: string[], status = 401): SipResponse {
  const name = status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate';
  return { kind: 'response', status, reason: 'Unauthorized', version: 'SIP/2.0', body: Buffer.alloc(0), headers: values.map((value) => ({ name, value })) };
}

test('an MD5 HA1 answers the RFC 2617 §3.5 challenge with the published response', () => {
  const client = new DigestClient({ username: 'Mufasa', ha1: HA1, random: () => Buffer.from('0a4f113b', 'hex') });
  const header = client.answer(challenge([CHALLENGE]), { method: 'GET', uri: '/dir/index.html' });
  assert.equal(header.name, 'Authorization');
  const credentials = parseDigestCredentials(header.value);
  assert.equal(credentials.response, '6629fae49393a05397450978507c4ef1');
  assert.equal(credentials.nc, '00000001');
  assert.equal(credentials.cnonce, '0a4f113b');
});

test('the same HA1 in upper case gives the same answer, and a 407 is answered with Proxy-Authorization', () => {
  const client = new DigestClient({ username: 'Mufasa', ha1: HA1.toUpperCase(), random: () => Buffer.from('0a4f113b', 'hex') });
  const header = client.answer(challenge([CHALLENGE], 407), { method: 'GET', uri: '/dir/index.html' });
  assert.equal(header.name, 'Proxy-Authorization');
  assert.equal(parseDigestCredentials(header.value).response, '6629fae49393a05397450978507c4ef1');
});

test('with an HA1 the MD5 challenge is chosen over a stronger one it cannot answer', () => {
  const client = new DigestClient({ username: 'Mufasa', ha1: HA1, random: () => Buffer.from('0a4f113b', 'hex') });
  const sha = CHALLENGE.replace('Digest ', 'Digest algorithm=SHA-256, ');
  const header = client.answer(challenge([sha, CHALLENGE]), { method: 'GET', uri: '/dir/index.html' });
  assert.equal(parseDigestCredentials(header.value).response, '6629fae49393a05397450978507c4ef1');
});

test('HA1 refusals: table of challenge → AuthFailure reason', () => {
  const rows: Array<[string, string]> = [
    ['only SHA-256 offered', CHALLENGE.replace('Digest ', 'Digest algorithm=SHA-256, ')],
    ['only SHA-512-256 offered', CHALLENGE.replace('Digest ', 'Digest algorithm=SHA-512-256, ')],
  ];
  for (const [name, value] of rows) {
    const client = new DigestClient({ username: 'Mufasa', ha1: HA1 });
    assert.throws(() => client.answer(challenge([value]), { method: 'GET', uri: '/' }), { code: 'SBC_ERR_SIP_AUTH', reason: 'unsupported-challenge' }, name);
  }
});

test('exactly one of password and ha1', () => {
  assert.throws(() => new DigestClient({ username: 'a' }), TypeError);
  assert.throws(() => new DigestClient({ username: 'a', password: 'p', ha1: HA1 }), TypeError);
});
