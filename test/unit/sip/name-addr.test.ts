import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipParseError, formatNameAddr, getTag, parseNameAddr, type NameAddr } from '../../../src/sip/index.js';

const CASES: Array<[string, string | undefined, string, Array<[string, string | undefined]>]> = [
  ['"Bob" <sip:bob@biloxi.com>;tag=a6c85cf', 'Bob', 'sip:bob@biloxi.com', [['tag', 'a6c85cf']]],
  ['Anonymous <sip:c8oqz84zk7z@privacy.org>;tag=hyh8', 'Anonymous', 'sip:c8oqz84zk7z@privacy.org', [['tag', 'hyh8']]],
  ['sip:+12125551212@server.phone2net.com;tag=887s', undefined, 'sip:+12125551212@server.phone2net.com', [['tag', '887s']]],
  ['caller<sip:caller@example.com>;tag=323', 'caller', 'sip:caller@example.com', [['tag', '323']]],
  ['"J Rosenberg \\\\\\"" <sip:jdrosen@example.com> ; tag = 98asjd8', 'J Rosenberg \\"', 'sip:jdrosen@example.com', [['tag', '98asjd8']]],
  ['Bell, Alexander <sip:a.g.bell@example.com>;tag=43', 'Bell, Alexander', 'sip:a.g.bell@example.com', [['tag', '43']]],
  ['"Watson, Thomas" < sip:t.watson@example.org >', 'Watson, Thomas', 'sip:t.watson@example.org', []],
  ['<sip:user@example.com?Route=%3Csip:sip.example.com%3E>', undefined, 'sip:user@example.com?Route=%3Csip:sip.example.com%3E', []],
  ['sip:+19725552222@gw1.example.net;unknownparam', undefined, 'sip:+19725552222@gw1.example.net', [['unknownparam', undefined]]],
  ['<sip:a@b>;+sip.instance="<urn:uuid:1>";reg-id=1;Expires=60', undefined, 'sip:a@b', [['+sip.instance', '"<urn:uuid:1>"'], ['reg-id', '1'], ['expires', '60']]],
  ['isbn:2983792873', undefined, 'isbn:2983792873', []],
  ['"日本" <sip:a@b>', '日本', 'sip:a@b', []],
  ['*', undefined, '*', []],
];

for (const [value, displayName, uri, params] of CASES) {
  test(`parseNameAddr ${value}`, () => {
    const na = parseNameAddr(value);
    assert.equal(na.displayName, displayName);
    assert.equal(na.uri, uri);
    assert.deepEqual([...na.params], params);
    assert.deepEqual(parseNameAddr(formatNameAddr(na)), na, 'format → parse gives the same value');
  });
}

test('formatNameAddr quotes display names that are not tokens and always uses <>', () => {
  const na = (displayName: string | undefined): NameAddr => ({ displayName, uri: 'sip:a@b', params: new Map([['tag', 'x']]) });
  assert.equal(formatNameAddr(na('Alice Smith')), 'Alice Smith <sip:a@b>;tag=x');
  assert.equal(formatNameAddr(na('Smith, Alice')), '"Smith, Alice" <sip:a@b>;tag=x');
  assert.equal(formatNameAddr(na('say "hi"\\')), '"say \\"hi\\"\\\\" <sip:a@b>;tag=x');
  assert.equal(formatNameAddr(na('')), '"" <sip:a@b>;tag=x');
  assert.equal(formatNameAddr(na(undefined)), '<sip:a@b>;tag=x');
  assert.equal(getTag(parseNameAddr('<sip:a@b>;TAG=abc')), 'abc');
  assert.equal(getTag(parseNameAddr('<sip:a@b>')), undefined);
});

const BAD: Array<[string, string]> = [
  ['unterminated quote (RFC 4475 quotbal)', '"Mr. J. User <sip:j.user@example.com>'],
  ['empty params (badinv01)', '"Joe" <sip:joe@example.org>;;;;'],
  ['addr-spec with ? outside <> (regbadct)', 'sip:user@example.com?Route=%3Csip:sip.example.com%3E'],
  ['unterminated <', '<sip:a@b'],
  ['no URI scheme', '<alice@b>'],
  ['quoted name without <>', '"Alice" sip:a@b'],
  ['garbage after >', '<sip:a@b> junk'],
  ['empty value', ''],
];

for (const [name, value] of BAD) {
  test(`parseNameAddr rejects ${name}`, () => {
    assert.throws(() => parseNameAddr(value), (e: unknown) => e instanceof SipParseError && e.status === 400);
  });
}
