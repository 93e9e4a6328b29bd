import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MAX_FETCH_REQUEST_BYTES,
  ProvisioningFetchError,
  checkFetchRequest,
  decodeFetchHeader,
  decodeFetchRequest,
  encodeFetchHeader,
  encodeFetchRequest,
  type FetchHeader,
  type FetchRequest,
} from '../../../src/pnp/index.js';

const isProtocolError = (e: unknown): boolean => e instanceof ProvisioningFetchError && e.code === 'SBC_ERR_PROVISIONING_FETCH' && e.reason === 'protocol';

test('request and header: the wire form is the documented JSON', () => {
  assert.equal(encodeFetchRequest({ path: 'y000000000044.cfg', query: '', mac: '001565f4f9e1' }).toString(), '{"path":"y000000000044.cfg","query":"","mac":"001565f4f9e1"}');
  assert.equal(encodeFetchRequest({ path: 'fw/T21P v1.rom', query: '?a=1' }).toString(), '{"path":"fw/T21P v1.rom","query":"?a=1"}');
  assert.equal(encodeFetchHeader({ status: 200, contentType: 'text/plain', length: 1187 }).toString(), '{"status":200,"contentType":"text/plain","length":1187}');
  assert.equal(encodeFetchHeader({ status: 404, length: 0 }).toString(), '{"status":404,"length":0}');
  // Unknown members are ignored: a later agent may send more.
  assert.deepEqual(decodeFetchRequest(Buffer.from('{"path":"a.cfg","query":"","agentVersion":"2.0"}')), { path: 'a.cfg', query: '' });
});

test('request and header round-trip', () => {
  const request: fc.Arbitrary<FetchRequest> = fc.record(
    {
      path: fc.string({ minLength: 1, maxLength: 512, unit: 'grapheme' }),
      query: fc.oneof(fc.constant(''), fc.string({ maxLength: 200 }).map((q) => `?${q}`)),
      mac: fc.stringMatching(/^[0-9a-f]{12}$/),
    },
    { requiredKeys: ['path', 'query'] },
  ).filter((r) => r.path.length <= 512 && encodeFetchRequest(r).length <= MAX_FETCH_REQUEST_BYTES);
  fc.assert(fc.property(request, (r) => assert.deepEqual(decodeFetchRequest(encodeFetchRequest(r)), { ...r })));
  const header: fc.Arbitrary<FetchHeader> = fc.record(
    { status: fc.integer({ min: 100, max: 599 }), contentType: fc.string({ maxLength: 256 }), length: fc.nat() },
    { requiredKeys: ['status', 'length'] },
  );
  fc.assert(fc.property(header, (h) => assert.deepEqual(decodeFetchHeader(encodeFetchHeader(h)), { ...h })));
});

test('decoding any bytes gives a value or a ProvisioningFetchError, nothing else', () => {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    fc.json().map((j) => Buffer.from(j)),
    fc.record({ path: fc.anything(), query: fc.anything(), mac: fc.anything(), status: fc.anything(), length: fc.anything(), contentType: fc.anything() }).map((o) => Buffer.from(JSON.stringify(o) ?? 'null')),
  );
  fc.assert(
    fc.property(bytes, (b) => {
      for (const decode of [decodeFetchRequest, decodeFetchHeader]) {
        try {
          decode(b);
        } catch (error) {
          assert.ok(isProtocolError(error), String(error));
        }
      }
    }),
  );
});

const BAD_REQUESTS: ReadonlyArray<readonly [string, Buffer]> = [
  ['empty', Buffer.alloc(0)],
  ['not JSON', Buffer.from('GET /x.cfg')],
  ['not UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d])],
  ['a JSON array', Buffer.from('["x.cfg",""]')],
  ['JSON null', Buffer.from('null')],
  ['no path', Buffer.from('{"query":""}')],
  ['path not a string', Buffer.from('{"path":7,"query":""}')],
  ['path above 512 characters', Buffer.from(JSON.stringify({ path: 'a'.repeat(513), query: '' }))],
  ['no query', Buffer.from('{"path":"x.cfg"}')],
  ['query without ?', Buffer.from('{"path":"x.cfg","query":"a=1"}')],
  ['query above 2048 characters', Buffer.from(JSON.stringify({ path: 'x.cfg', query: `?${'a'.repeat(2048)}` }))],
  ['mac upper case', Buffer.from('{"path":"x.cfg","query":"","mac":"001565F4F9E1"}')],
  ['mac with colons', Buffer.from('{"path":"x.cfg","query":"","mac":"00:15:65:f4:f9:e1"}')],
  ['mac a number', Buffer.from('{"path":"x.cfg","query":"","mac":1565}')],
  ['above 4096 bytes', Buffer.from(JSON.stringify({ path: 'x.cfg', query: '', pad: 'a'.repeat(4100) }))],
];

for (const [name, payload] of BAD_REQUESTS) {
  test(`request refused: ${name}`, () => {
    assert.throws(() => decodeFetchRequest(payload), isProtocolError);
  });
}

const BAD_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['not JSON', 'HTTP/1.1 200 OK'],
  ['an array', '[200,0]'],
  ['no status', '{"length":0}'],
  ['status as text', '{"status":"200","length":0}'],
  ['status 99', '{"status":99,"length":0}'],
  ['status 600', '{"status":600,"length":0}'],
  ['status fraction', '{"status":200.5,"length":0}'],
  ['no length', '{"status":200}'],
  ['negative length', '{"status":200,"length":-1}'],
  ['fractional length', '{"status":200,"length":1.5}'],
  ['unsafe length', '{"status":200,"length":1e300}'],
  ['content type not a string', '{"status":200,"contentType":5,"length":0}'],
  ['content type above 256 characters', JSON.stringify({ status: 200, contentType: 'x'.repeat(257), length: 0 })],
];

for (const [name, text] of BAD_HEADERS) {
  test(`header refused: ${name}`, () => {
    assert.throws(() => decodeFetchHeader(Buffer.from(text)), isProtocolError);
  });
}

test('the hub path check: ordinary paths pass unchanged, traversal and absolute forms fail', () => {
  const good: ReadonlyArray<FetchRequest> = [
    { path: 'y000000000044.cfg', query: '' },
    { path: '001565f4f9e1.cfg', query: '?mac=001565f4f9e1' },
    { path: 'fw/T21P v1.rom', query: '' },
    { path: 'a?b#c.xml', query: '' },
    { path: 'dir/..cfg', query: '' },
    { path: 'a%2f..%2fb', query: '' },
  ];
  for (const r of good) assert.deepEqual(checkFetchRequest(r), { ok: true, path: r.path, query: r.query }, JSON.stringify(r));
  const bad: ReadonlyArray<readonly [string, string, string]> = [
    ['..', '', 'path traversal'],
    ['../etc/passwd', '', 'path traversal'],
    ['a/../../etc/passwd', '', 'path traversal'],
    ['a/..', '', 'path traversal'],
    ['./x.cfg', '', 'path traversal'],
    ['/etc/passwd', '', 'not a relative path'],
    ['', '', 'not a relative path'],
    ['http://evil.example/x.cfg', '', 'absolute URL'],
    ['HTTPS:x', '', 'absolute URL'],
    ['file:/etc/passwd', '', 'absolute URL'],
    ['a//b.cfg', '', 'empty segment'],
    ['dir/', '', 'empty segment'],
    ['a\\..\\b', '', 'encoded separator'],
    ['x\0.cfg', '', 'encoded separator'],
    ['x\u0001.cfg', '', 'control or backslash'],
    ['x.cfg', '?a b', 'bad query'],
    ['x.cfg', '?a#b', 'bad query'],
    [`${'a'.repeat(600)}.cfg`, '', 'path too long'],
  ];
  for (const [path, query, reason] of bad) assert.deepEqual(checkFetchRequest({ path, query }), { ok: false, reason }, JSON.stringify(path));
});
