import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkFingerprint,
  checkMessageIntegrity,
  decodeStun,
  encodeStun,
  MAGIC_COOKIE,
  shortTermKey,
  StunDecodeError,
  StunResponder,
  StunStreamFramer,
  type StunAttribute,
  type StunMessage,
  type TransportAddress,
} from '../../src/stun/index.js';
import { isPlainBindingRequest, PlainBindingResponder } from '../../src/stun/plain-binding.js';

const text = (max: number): fc.Arbitrary<string> =>
  fc.string({ unit: 'grapheme', maxLength: max }).filter((s) => Buffer.byteLength(s, 'utf8') <= 763);

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
const ipv6 = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':'));
const address: fc.Arbitrary<TransportAddress> = fc.oneof(
  fc.record({ family: fc.constant('IPv4' as const), address: ipv4, port: fc.nat(65535) }),
  fc.record({ family: fc.constant('IPv6' as const), address: ipv6, port: fc.nat(65535) }),
);

const attribute: fc.Arbitrary<StunAttribute> = fc.oneof(
  fc.record({ type: fc.constantFrom('MAPPED-ADDRESS', 'XOR-MAPPED-ADDRESS', 'OTHER-ADDRESS', 'RESPONSE-ORIGIN', 'ALTERNATE-SERVER') as fc.Arbitrary<'MAPPED-ADDRESS'>, value: address }),
  fc.record({ type: fc.constantFrom('USERNAME', 'REALM', 'NONCE', 'SOFTWARE') as fc.Arbitrary<'USERNAME'>, value: text(60) }),
  fc.record({ type: fc.constant('ERROR-CODE' as const), code: fc.integer({ min: 300, max: 699 }), reason: text(40) }),
  fc.record({ type: fc.constant('UNKNOWN-ATTRIBUTES' as const), types: fc.array(fc.nat(0xffff), { maxLength: 5 }) }),
  fc.record({ type: fc.constant('CHANGE-REQUEST' as const), changeIp: fc.boolean(), changePort: fc.boolean() }),
  fc.record({ type: fc.constant('RESPONSE-PORT' as const), port: fc.nat(65535) }),
  fc.record({ type: fc.constant('PADDING' as const), value: fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)) }),
  fc.record({ type: fc.constant('PRIORITY' as const), value: fc.nat(0xffffffff) }),
  fc.record({ type: fc.constantFrom('ICE-CONTROLLED', 'ICE-CONTROLLING') as fc.Arbitrary<'ICE-CONTROLLED'>, tieBreaker: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
  fc.constant({ type: 'USE-CANDIDATE' as const }),
  fc.record({
    type: fc.constant('UNKNOWN' as const),
    code: fc.nat(0xffff).filter((c) => c >= 0xc000 || (c >= 0x0040 && c < 0x7000)),
    value: fc.uint8Array({ maxLength: 30 }).map((u) => Buffer.from(u)),
  }),
);

const message: fc.Arbitrary<StunMessage> = fc.record({
  method: fc.nat(0xfff),
  messageClass: fc.constantFrom('request', 'indication', 'success', 'error') as fc.Arbitrary<StunMessage['messageClass']>,
  transactionId: fc.oneof(
    fc.uint8Array({ minLength: 12, maxLength: 12 }).map((u) => Buffer.from(u)),
    // Classic RFC 3489 ids: 16 bytes whose first four are not the cookie.
    fc.uint8Array({ minLength: 16, maxLength: 16 }).map((u) => Buffer.from(u)).filter((b) => b.readUInt32BE(0) !== MAGIC_COOKIE),
  ),
  attributes: fc.array(attribute, { maxLength: 8 }),
});

function addressHex(value: TransportAddress): string {
  return encodeStun({ method: 1, messageClass: 'request', transactionId: Buffer.alloc(12), attributes: [{ type: 'MAPPED-ADDRESS', value }] }).toString('hex');
}

/** Plain objects (fast-check's records have no prototype); addresses compare by their bytes, as IPv6 text has many spellings. */
function normalise(m: StunMessage): unknown {
  return {
    ...m,
    attributes: m.attributes.map((a) => {
      if ('value' in a && typeof a.value === 'object' && a.value !== null && 'port' in a.value) return { ...a, value: addressHex(a.value) };
      return { ...a };
    }),
  };
}

test('round trip: decode(encode(m)) equals m, and re-encoding gives the same bytes', () => {
  fc.assert(
    fc.property(message, (m) => {
      const bytes = encodeStun(m);
      const decoded = decodeStun(bytes);
      assert.deepEqual(normalise(decoded), normalise(m));
      assert.deepEqual(encodeStun(decoded), bytes);
    }),
    { numRuns: 500 },
  );
});

test('round trip with MESSAGE-INTEGRITY and FINGERPRINT: both verify, and only with the key', () => {
  fc.assert(
    fc.property(message, text(20), fc.boolean(), (m, password, sha256) => {
      const key = shortTermKey(password);
      const bytes = encodeStun(
        { ...m, attributes: [...m.attributes, sha256 ? { type: 'MESSAGE-INTEGRITY-SHA256', value: Buffer.alloc(0) } : { type: 'MESSAGE-INTEGRITY', value: Buffer.alloc(0) }, { type: 'FINGERPRINT' }] },
        { integrityKey: key },
      );
      assert.equal(checkMessageIntegrity(bytes, key, sha256 ? 'sha256' : 'sha1'), 'valid');
      assert.equal(checkMessageIntegrity(bytes, shortTermKey(`${password}x`), sha256 ? 'sha256' : 'sha1'), 'invalid');
      assert.equal(checkFingerprint(bytes), 'valid');
      assert.deepEqual(encodeStun(decodeStun(bytes)), bytes);
    }),
    { numRuns: 300 },
  );
});

function onlyDecodeErrors(bytes: Buffer): void {
  try {
    decodeStun(bytes);
  } catch (error) {
    assert.ok(error instanceof StunDecodeError, `threw ${String(error)}`);
    assert.equal(error.code, 'SBC_ERR_STUN_DECODE');
  }
  checkFingerprint(bytes);
  checkMessageIntegrity(bytes, Buffer.from('k'));
}

test('arbitrary bytes never throw anything but StunDecodeError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (u) => onlyDecodeErrors(Buffer.from(u))),
    { numRuns: 3000 },
  );
});

test('valid messages with bytes flipped, or cut, never throw anything but StunDecodeError', () => {
  fc.assert(
    fc.property(message, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 6 }), fc.nat(), (m, flips, cut) => {
      const bytes = Buffer.from(encodeStun(m));
      for (const [at, value] of flips) bytes.writeUInt8(value, at % bytes.length);
      onlyDecodeErrors(bytes);
      onlyDecodeErrors(bytes.subarray(0, cut % (bytes.length + 1)));
    }),
    { numRuns: 2000 },
  );
});

test('TCP framer: the same messages however the stream is chunked', () => {
  fc.assert(
    fc.property(fc.array(message, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 10 }), (messages, cuts) => {
      const frames = messages.map((m) => encodeStun(m));
      const stream = Buffer.concat(frames);
      const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
      const framer = new StunStreamFramer();
      const out: Buffer[] = [];
      let from = 0;
      for (const p of [...points, stream.length]) {
        out.push(...framer.push(stream.subarray(from, p)));
        from = p;
      }
      assert.deepEqual(out, frames);
      assert.equal(framer.buffered, 0);
    }),
    { numRuns: 300 },
  );
});

test('property: the plain Binding fast path answers byte for byte what decode → decide → encode answers', () => {
  fc.assert(
    fc.property(address, fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.option(text(40), { nil: undefined }), fc.array(address, { minLength: 1, maxLength: 3 }), (source, tid, software, others) => {
      const raw = encodeStun({ method: 0x001, messageClass: 'request', transactionId: Buffer.from(tid), attributes: [] });
      assert.equal(isPlainBindingRequest(raw), true);
      const general = new StunResponder({ software }).decide({ raw, source, transport: 'udp', ip: 0, port: 0, grid: [[{ family: 'IPv4', address: '127.0.0.1', port: 3478 }, undefined], [undefined, undefined]], now: 0 });
      assert.equal(general.kind, 'respond');
      const plain = new PlainBindingResponder(software);
      // Several sources in a row: the cached address of the last one must not leak into the next.
      for (const from of [...others, source]) {
        const expected = new StunResponder({ software }).decide({ raw, source: from, transport: 'udp', ip: 0, port: 0, grid: [[{ family: 'IPv4', address: '127.0.0.1', port: 3478 }, undefined], [undefined, undefined]], now: 0 });
        if (expected.kind !== 'respond') throw new Error('no answer');
        assert.deepEqual(plain.respond(raw, from), encodeStun(expected.message));
      }
    }),
  );
});
