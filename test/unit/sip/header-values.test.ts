import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalHeaderName, mediaType, optionTags, parseDeltaSeconds, parseMaxForwards, splitHeaderValues } from '../../../src/sip/index.js';

const SPLITS: Array<[string, string, string[]]> = [
  ['Via', 'SIP/2.0/UDP a;branch=1, SIP/2.0/TCP b', ['SIP/2.0/UDP a;branch=1', 'SIP/2.0/TCP b']],
  ['v', 'SIP/2.0/UDP a,SIP/2.0/UDP b', ['SIP/2.0/UDP a', 'SIP/2.0/UDP b']],
  ['Contact', '"Doe, John" <sip:j@d>;q=0.5, <sip:x@y;a=b,c>', ['"Doe, John" <sip:j@d>;q=0.5', '<sip:x@y;a=b,c>']],
  ['Contact', '"a \\", b" <sip:a@b>, <sip:c@d>', ['"a \\", b" <sip:a@b>', '<sip:c@d>']],
  ['Route', '<sip:p1;lr>,<sip:p2;lr>', ['<sip:p1;lr>', '<sip:p2;lr>']],
  ['Accept', 'application/sdp, , text/plain,', ['application/sdp', 'text/plain']],
  ['Supported', '', ['']],
  ['Via', ';;,;,,', [';;', ';']],
  ['Date', 'Sat, 13 Nov 2010 23:29:00 GMT', ['Sat, 13 Nov 2010 23:29:00 GMT']],
  ['WWW-Authenticate', 'Digest realm="a", nonce="b"', ['Digest realm="a", nonce="b"']],
  ['X-Unknown', 'a, b', ['a, b']],
  ['Warning', '301 isi.edu "Incompatible, network"', ['301 isi.edu "Incompatible, network"']],
];

for (const [name, value, expected] of SPLITS) {
  test(`splitHeaderValues ${name}: ${value}`, () => {
    assert.deepEqual(splitHeaderValues(name, value), expected);
  });
}

test('canonical header names: compact forms, any case, unknown names kept', () => {
  assert.equal(canonicalHeaderName('i'), 'Call-ID');
  assert.equal(canonicalHeaderName('CALL-id'), 'Call-ID');
  assert.equal(canonicalHeaderName('cseq'), 'CSeq');
  assert.equal(canonicalHeaderName('www-authenticate'), 'WWW-Authenticate');
  assert.equal(canonicalHeaderName('C%6Fntact'), 'C%6Fntact');
});

const SCALARS: Array<[string, (v: string) => number | undefined, string, number | undefined]> = [
  ['Max-Forwards', parseMaxForwards, '70', 70],
  ['Max-Forwards', parseMaxForwards, ' 0068 ', 68],
  ['Max-Forwards', parseMaxForwards, '255', 255],
  ['Max-Forwards', parseMaxForwards, '256', undefined],
  ['Max-Forwards', parseMaxForwards, '300', undefined],
  ['Max-Forwards', parseMaxForwards, '-1', undefined],
  ['Max-Forwards', parseMaxForwards, '', undefined],
  ['Expires', parseDeltaSeconds, '3600', 3600],
  ['Expires', parseDeltaSeconds, '4294967295', 4294967295],
  ['Expires', parseDeltaSeconds, '4294967296', undefined],
  ['Expires', parseDeltaSeconds, '1'.padEnd(100, '0'), undefined],
  ['Expires', parseDeltaSeconds, 'Sat, 01 Jan', undefined],
];

for (const [name, parse, value, expected] of SCALARS) {
  test(`${name} ${JSON.stringify(value)} → ${String(expected)}`, () => {
    assert.equal(parse(value), expected);
  });
}

test('mediaType and optionTags', () => {
  assert.equal(mediaType('Application/SDP ; charset=utf-8'), 'application/sdp');
  assert.equal(mediaType('multipart/mixed;boundary=7a9cbec02ceef655'), 'multipart/mixed');
  assert.deepEqual(optionTags(['100rel, timer', 'replaces']), ['100rel', 'timer', 'replaces']);
});
