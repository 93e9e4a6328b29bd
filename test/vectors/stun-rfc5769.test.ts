import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkFingerprint, checkMessageIntegrity, decodeStun, encodeStun, getAttribute, longTermKey, shortTermKey } from '../../src/stun/index.js';
import { STUN_VECTORS_DIR } from '../support/paths.js';

const SHORT_TERM = shortTermKey('VOkJxbRl1RmTxUk/WvJxBt');
// RFC 5769 §2.4: the password "The<U+00AD>M<U+00AA>tr<U+2168>" after SASLprep, as the README gives it.
const LONG_TERM = longTermKey('\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9', 'example.org', 'TheMatrIX');

interface Vector {
  readonly file: string;
  readonly key: Buffer;
  readonly messageClass: string;
  readonly fingerprint: 'valid' | 'absent';
  readonly expect: Record<string, unknown>;
}

const VECTORS: readonly Vector[] = [
  {
    file: 'rfc5769-2.1-request-shortterm.bin',
    key: SHORT_TERM,
    messageClass: 'request',
    fingerprint: 'valid',
    expect: { SOFTWARE: 'STUN test client', USERNAME: 'evtj:h6vY', PRIORITY: 0x6e0001ff },
  },
  {
    file: 'rfc5769-2.2-response-ipv4.bin',
    key: SHORT_TERM,
    messageClass: 'success',
    fingerprint: 'valid',
    expect: { SOFTWARE: 'test vector', 'XOR-MAPPED-ADDRESS': { family: 'IPv4', address: '192.0.2.1', port: 32853 } },
  },
  {
    file: 'rfc5769-2.3-response-ipv6.bin',
    key: SHORT_TERM,
    messageClass: 'success',
    fingerprint: 'valid',
    expect: { SOFTWARE: 'test vector', 'XOR-MAPPED-ADDRESS': { family: 'IPv6', address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 } },
  },
  {
    file: 'rfc5769-2.4-request-longterm.bin',
    key: LONG_TERM,
    messageClass: 'request',
    fingerprint: 'absent',
    expect: { USERNAME: '\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9', NONCE: 'f//499k954d6OL34oL9FSTvy64sA', REALM: 'example.org' },
  },
];

function read(file: string): Buffer {
  return readFileSync(join(STUN_VECTORS_DIR, file));
}

for (const v of VECTORS) {
  test(`RFC 5769 ${v.file}: decodes to the RFC's values`, () => {
    const message = decodeStun(read(v.file));
    assert.equal(message.method, 0x001);
    assert.equal(message.messageClass, v.messageClass);
    assert.equal(message.transactionId.length, 12);
    for (const [name, value] of Object.entries(v.expect)) {
      const attribute = getAttribute(message, name as 'SOFTWARE');
      assert.ok(attribute, `${name} present`);
      assert.deepEqual((attribute as unknown as { value: unknown }).value, value, name);
    }
  });

  test(`RFC 5769 ${v.file}: integrity and fingerprint verify`, () => {
    const raw = read(v.file);
    assert.equal(checkMessageIntegrity(raw, v.key), 'valid');
    assert.equal(checkFingerprint(raw), v.fingerprint);
    assert.equal(checkMessageIntegrity(raw, shortTermKey('wrong password')), 'invalid');
  });

  test(`RFC 5769 ${v.file}: re-encodes byte for byte, stored and recomputed integrity`, () => {
    const raw = read(v.file);
    const message = decodeStun(raw);
    assert.deepEqual(encodeStun(message), raw);
    assert.deepEqual(encodeStun(message, { integrityKey: v.key }), raw);
  });
}

test('RFC 5769 2.1: the ICE-CONTROLLED tie-breaker decodes', () => {
  const attribute = getAttribute(decodeStun(read('rfc5769-2.1-request-shortterm.bin')), 'ICE-CONTROLLED');
  assert.equal(attribute?.tieBreaker, 0x932ff9b151263b36n);
});

// Each row flips one byte of a vector; the named check must then fail.
const TAMPERED: readonly { file: string; at: number; check: 'integrity' | 'fingerprint' | 'both'; what: string }[] = [
  { file: 'rfc5769-2.1-request-shortterm.bin', at: 9, check: 'both', what: 'transaction id' },
  { file: 'rfc5769-2.1-request-shortterm.bin', at: 26, check: 'both', what: 'SOFTWARE text' },
  { file: 'rfc5769-2.1-request-shortterm.bin', at: 64, check: 'both', what: 'USERNAME text' },
  { file: 'rfc5769-2.1-request-shortterm.bin', at: 80, check: 'both', what: 'MESSAGE-INTEGRITY value' },
  { file: 'rfc5769-2.1-request-shortterm.bin', at: 105, check: 'fingerprint', what: 'FINGERPRINT value' },
  { file: 'rfc5769-2.2-response-ipv4.bin', at: 40, check: 'both', what: 'XOR-MAPPED-ADDRESS port' },
  { file: 'rfc5769-2.2-response-ipv4.bin', at: 43, check: 'both', what: 'XOR-MAPPED-ADDRESS address' },
  { file: 'rfc5769-2.2-response-ipv4.bin', at: 4, check: 'both', what: 'magic cookie' },
  { file: 'rfc5769-2.3-response-ipv6.bin', at: 50, check: 'both', what: 'IPv6 address' },
  { file: 'rfc5769-2.3-response-ipv6.bin', at: 0, check: 'both', what: 'message type' },
  { file: 'rfc5769-2.4-request-longterm.bin', at: 30, check: 'integrity', what: 'USERNAME bytes' },
  { file: 'rfc5769-2.4-request-longterm.bin', at: 60, check: 'integrity', what: 'NONCE' },
  { file: 'rfc5769-2.4-request-longterm.bin', at: 88, check: 'integrity', what: 'REALM' },
  { file: 'rfc5769-2.4-request-longterm.bin', at: 100, check: 'integrity', what: 'MESSAGE-INTEGRITY value' },
];

for (const row of TAMPERED) {
  test(`tampered ${row.file} byte ${row.at} (${row.what}) fails verification`, () => {
    const raw = Buffer.from(read(row.file));
    raw[row.at] = (raw[row.at] ?? 0) ^ 0x01;
    const key = VECTORS.find((v) => v.file === row.file)?.key ?? SHORT_TERM;
    if (row.check !== 'fingerprint') assert.equal(checkMessageIntegrity(raw, key), 'invalid');
    if (row.check !== 'integrity') assert.equal(checkFingerprint(raw), 'invalid');
  });
}

test('padding bytes are kept: the 0x20 padding of USERNAME survives the round trip', () => {
  const message = decodeStun(read('rfc5769-2.1-request-shortterm.bin'));
  assert.deepEqual(getAttribute(message, 'USERNAME')?.padding, Buffer.from('   '));
});
