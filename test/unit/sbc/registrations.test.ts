import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { RegistrationCache, digestUsername, requestedExpires } from '../../../src/sbc/index.js';
import type { SipRequest } from '../../../src/sip/index.js';

function register(headers: Record<string, string>): SipRequest {
  return {
    kind: 'request', version: 'SIP/2.0', method: 'REGISTER', uri: 'sip:pbx.test', body: Buffer.alloc(0),
    headers: Object.entries({ To: '<sip:1001@pbx.test>', From: '<sip:1001@pbx.test>;tag=a', 'Call-ID': 'reg-1', ...headers }).map(([name, value]) => ({ name, value })),
  };
}

const EXPIRES: Array<[string, Record<string, string>, number | undefined]> = [
  ['Contact expires parameter wins', { Contact: '<sip:1001@10.0.0.5>;expires=60', Expires: '300' }, 60],
  ['Expires header', { Contact: '<sip:1001@10.0.0.5>', Expires: '300' }, 300],
  ['default 3600 (RFC 3261 §10.2.1.1)', { Contact: '<sip:1001@10.0.0.5>' }, 3600],
  ['Contact: * is a removal', { Contact: '*', Expires: '0' }, 0],
  ['no Contact: a query', {}, undefined],
];
for (const [name, headers, want] of EXPIRES) {
  test(`requestedExpires: ${name}`, () => assert.equal(requestedExpires(register(headers)), want));
}

test('digestUsername reads the Authorization username; none without credentials', () => {
  assert.equal(digestUsername(register({ Authorization: 'Digest username="1001", realm="pbx.test", nonce="n", uri="sip:pbx.test", response="00"' })), '1001');
  assert.equal(digestUsername(register({})), undefined);
});

test('a refresh is answered locally only while the upstream binding has more than half its lifetime', () => {
  const clock = new ManualClock(0);
  const cache = new RegistrationCache({ clock, upstreamExpires: 1800 });
  const first = register({ Contact: '<sip:1001@10.0.0.5>;expires=60', 'User-Agent': 'Phone/1' });
  assert.equal(cache.answerable(first, 'a-tok'), undefined, 'nothing cached yet: forward');
  cache.store(first, 'sip:1001@10.0.0.5', 'a-tok', 1800, 60);
  const [binding] = cache.list();
  assert.deepEqual({ aor: binding?.aor, contact: binding?.contact, ua: binding?.userAgent }, { aor: 'sip:1001@pbx.test', contact: 'sip:1001@10.0.0.5', ua: 'Phone/1' });
  clock.advance(60_000);
  assert.ok(cache.answerable(first, 'a-tok') !== undefined, 'refresh after 60 s: answered locally');
  assert.equal(cache.answerable(first, 'a-other'), undefined, 'another flow: forward');
  assert.equal(cache.answerable(register({ Contact: '<sip:1001@10.0.0.5>;expires=60', 'Call-ID': 'reg-2' }), 'a-tok'), undefined, 'another Call-ID: forward');
  assert.equal(cache.answerable(register({ Contact: '<sip:1001@10.0.0.5>;expires=0' }), 'a-tok'), undefined, 'a removal always goes upstream');
  clock.advance(900_000);
  assert.equal(cache.answerable(first, 'a-tok'), undefined, 'past half the upstream lifetime: forward');
  assert.deepEqual(cache.counters(), { forwarded: 1, answeredLocally: 1 });
});

test('a binding removed upstream (granted 0) is forgotten', () => {
  const clock = new ManualClock(0);
  const cache = new RegistrationCache({ clock });
  const r = register({ Contact: '<sip:1001@10.0.0.5>;expires=60' });
  cache.store(r, 'sip:1001@10.0.0.5', 'a-tok', 1800, 60);
  cache.store(r, 'sip:1001@10.0.0.5', 'a-tok', 0, 0);
  assert.deepEqual(cache.list(), []);
});
