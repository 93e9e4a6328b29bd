import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DigestParseError,
  computeDigestResponse,
  computeHA1,
  formatDigestChallenge,
  parseAuthHeader,
  parseDigestChallenges,
  parseDigestCredentials,
  type DigestAlgorithm,
} from '../../../../src/sip/auth/index.js';

interface Vector {
  name: string;
  algorithm: DigestAlgorithm;
  username: string;
  password: string;
  realm: string;
  nonce: string;
  cnonce: string;
  expected: string;
}

// RFC 2617 §3.5 and RFC 7616 §3.9.1 (GET /dir/index.html, qop=auth, nc=00000001).
const VECTORS: Vector[] = [
  {
    name: 'RFC 2617 §3.5 MD5',
    algorithm: 'MD5',
    username: 'Mufasa',
    password: 'Circle Of Life',
    realm: 'testrealm@host.com',
    nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
    cnonce: '0a4f113b',
    expected: '6629fae49393a05397450978507c4ef1',
  },
  {
    name: 'RFC 7616 §3.9.1 MD5',
    algorithm: 'MD5',
    username: 'Mufasa',
    password: 'Circle of Life',
    realm: 'http-auth@example.org',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    expected: '8ca523f5e9506fed4657c9700eebdbec',
  },
  {
    name: 'RFC 7616 §3.9.1 SHA-256',
    algorithm: 'SHA-256',
    username: 'Mufasa',
    password: 'Circle of Life',
    realm: 'http-auth@example.org',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    expected: '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
  },
];

for (const v of VECTORS) {
  test(`digest vector: ${v.name}`, () => {
    const ha1 = computeHA1(v.algorithm, v.username, v.realm, v.password);
    const response = computeDigestResponse({
      algorithm: v.algorithm, ha1, nonce: v.nonce, method: 'GET', uri: '/dir/index.html', qop: 'auth', nc: '00000001', cnonce: v.cnonce,
    });
    assert.equal(response, v.expected);
  });
}

test('RFC 2617 §3.5 credentials header parses to the fields of the example', () => {
  const value = `Digest username="Mufasa",
                 realm="testrealm@host.com",
                 nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
                 uri="/dir/index.html",
                 qop=auth,
                 nc=00000001,
                 cnonce="0a4f113b",
                 response="6629fae49393a05397450978507c4ef1",
                 opaque="5ccc069c403ebaf9f0171e9517f40e41"`;
  const c = parseDigestCredentials(value);
  assert.deepEqual(c, {
    username: 'Mufasa',
    realm: 'testrealm@host.com',
    nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
    uri: '/dir/index.html',
    response: '6629fae49393a05397450978507c4ef1',
    qop: 'auth',
    nc: '00000001',
    cnonce: '0a4f113b',
    opaque: '5ccc069c403ebaf9f0171e9517f40e41',
  });
});

test('several challenges in one value, case-insensitive names, escapes, other schemes skipped', () => {
  const value = 'Digest REALM="a\\"b\\\\c", Nonce=abc, qop="auth,auth-int", algorithm=sha-256, stale=TRUE, '
    + 'Basic realm="x", Digest realm="r2", nonce="n2"';
  const all = parseAuthHeader(value);
  assert.deepEqual(all.map((c) => c.scheme), ['Digest', 'Basic', 'Digest']);
  const digest = parseDigestChallenges(value);
  assert.deepEqual(digest, [
    { realm: 'a"b\\c', nonce: 'abc', algorithm: 'SHA-256', qop: ['auth', 'auth-int'], stale: true },
    { realm: 'r2', nonce: 'n2', qop: [], stale: false },
  ]);
  assert.equal(formatDigestChallenge(digest[0]!), 'Digest realm="a\\"b\\\\c", nonce="abc", stale=true, algorithm=SHA-256, qop="auth,auth-int"');
});

const MALFORMED: Array<[string, string]> = [
  ['empty', ''],
  ['blank', '   '],
  ['unterminated quote', 'Digest realm="abc'],
  ['dangling escape', 'Digest realm="abc\\'],
  ['missing value', 'Digest realm='],
  ['no equals on first param', 'Digest realm'],
  ['garbage after value', 'Digest realm="a" nonce="b"'],
  ['duplicate parameter', 'Digest realm="a", REALM="b", nonce="n"'],
  ['scheme is not a token', '"Digest" realm="a"'],
];

for (const [name, value] of MALFORMED) {
  test(`malformed auth header is a DigestParseError: ${name}`, () => {
    assert.throws(() => parseAuthHeader(value), DigestParseError);
  });
}

const INCOMPLETE: Array<[string, () => unknown]> = [
  ['challenge without nonce', () => parseDigestChallenges('Digest realm="a"')],
  ['challenge without realm', () => parseDigestChallenges('Digest nonce="a"')],
  ['credentials without response', () => parseDigestCredentials('Digest username="u", realm="r", nonce="n", uri="sip:a"')],
  ['credentials of another scheme', () => parseDigestCredentials('Basic user="x"')],
  ['two credentials in one value', () => parseDigestCredentials('Digest username="u", realm="r", nonce="n", uri="u", response="x", Digest username="v"')],
];

for (const [name, run] of INCOMPLETE) {
  test(`incomplete digest header is a DigestParseError: ${name}`, () => {
    assert.throws(run, (e: unknown) => e instanceof DigestParseError && e.code === 'SBC_ERR_SIP_AUTH');
  });
}
