import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DIGEST_ALGORITHMS,
  DigestParseError,
  formatAuthHeader,
  formatDigestChallenge,
  formatDigestCredentials,
  parseAuthHeader,
  parseDigestChallenges,
  parseDigestCredentials,
  type DigestChallenge,
  type DigestCredentials,
} from '../../src/sip/auth/index.js';

const text = fc.string({ unit: 'binary', maxLength: 40 });
const token = fc.stringMatching(/^[A-Za-z0-9\-.!%*_+`'~]{1,12}$/);
const algorithm = fc.option(fc.constantFrom(...DIGEST_ALGORITHMS), { nil: undefined });

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

const challenge: fc.Arbitrary<DigestChallenge> = fc
  .record({
    realm: text,
    nonce: text,
    algorithm,
    qop: fc.subarray(['auth', 'auth-int']),
    stale: fc.boolean(),
    opaque: fc.option(text, { nil: undefined }),
    domain: fc.option(text, { nil: undefined }),
    userhash: fc.option(fc.boolean(), { nil: undefined }),
  })
  .map((r) => ({
    realm: r.realm, nonce: r.nonce, qop: r.qop, stale: r.stale,
    ...optional('algorithm', r.algorithm), ...optional('opaque', r.opaque), ...optional('domain', r.domain), ...optional('userhash', r.userhash),
  }));

const credentials: fc.Arbitrary<DigestCredentials> = fc
  .record({
    username: text, realm: text, nonce: text, uri: text, response: text,
    algorithm,
    qop: fc.option(fc.constantFrom('auth', 'auth-int'), { nil: undefined }),
    nc: fc.option(fc.stringMatching(/^[0-9a-f]{8}$/), { nil: undefined }),
    cnonce: fc.option(text, { nil: undefined }),
    opaque: fc.option(text, { nil: undefined }),
  })
  .map((r) => ({
    username: r.username, realm: r.realm, nonce: r.nonce, uri: r.uri, response: r.response,
    ...optional('algorithm', r.algorithm), ...optional('qop', r.qop), ...optional('nc', r.nc),
    ...optional('cnonce', r.cnonce), ...optional('opaque', r.opaque),
  }));

test('property: a Digest challenge round-trips through format → parse', () => {
  fc.assert(fc.property(challenge, (c) => {
    assert.deepEqual(parseDigestChallenges(formatDigestChallenge(c)), [c]);
  }), { numRuns: 500 });
});

test('property: several challenges joined by commas parse back in order', () => {
  fc.assert(fc.property(fc.array(challenge, { minLength: 1, maxLength: 4 }), (list) => {
    assert.deepEqual(parseDigestChallenges(list.map(formatDigestChallenge).join(', ')), list);
  }), { numRuns: 200 });
});

test('property: Digest credentials round-trip through format → parse', () => {
  fc.assert(fc.property(credentials, (c) => {
    assert.deepEqual(parseDigestCredentials(formatDigestCredentials(c)), c);
  }), { numRuns: 500 });
});

test('property: generic auth params round-trip with lower-cased names', () => {
  const params = fc.uniqueArray(fc.tuple(token, text), { selector: ([k]) => k.toLowerCase(), maxLength: 6 });
  fc.assert(fc.property(token, params, (scheme, list) => {
    const value = formatAuthHeader({ scheme, params: new Map(list) });
    const [parsed, ...rest] = parseAuthHeader(value);
    assert.equal(rest.length, 0);
    assert.equal(parsed?.scheme, scheme);
    assert.deepEqual([...(parsed?.params ?? [])], list.map(([k, v]) => [k.toLowerCase(), v]));
  }), { numRuns: 300 });
});

function onlyTypedErrors(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof DigestParseError)) throw error;
  }
}

test('property: arbitrary strings never throw anything but DigestParseError', () => {
  const noise = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.array(fc.constantFrom('Digest', ' ', ',', '=', '"', '\\', 'realm', 'nonce', 'a', '\t', '\r\n'), { maxLength: 30 }).map((a) => a.join('')),
  );
  fc.assert(fc.property(noise, (value) => {
    onlyTypedErrors(() => parseAuthHeader(value));
    onlyTypedErrors(() => parseDigestChallenges(value));
    onlyTypedErrors(() => parseDigestCredentials(value));
  }), { numRuns: 2000 });
});
