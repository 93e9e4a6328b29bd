/** The relayed registrations kept across restarts: the stored form round-trips, bad files name the field, times survive a new clock. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../../src/core/index.js';
import { parseMessage, type SipRequest, type TransportTarget } from '../../../src/sip/index.js';
import { RegistrationCache, decodeRelayed, encodeRelayed, relayedState, restoreRelayed, type RelayedOwner, type RelayedRegistration } from '../../../src/sbc/index.js';

const WALL = Date.UTC(2026, 11, 3, 9, 0, 0);

function register(callId: string, extra = ''): SipRequest {
  const text = [
    'REGISTER sip:pbx.test SIP/2.0', 'Via: SIP/2.0/UDP 10.1.1.10:5060;branch=z9hG4bK1', 'Max-Forwards: 70',
    'From: <sip:1001@pbx.test>;tag=a1', 'To: <sip:1001@pbx.test>', `Call-ID: ${callId}`, 'CSeq: 2 REGISTER',
    'Contact: <sip:1001@10.1.1.10:5060>', 'Authorization: Digest username="1001", realm="pbx.test", nonce="n", uri="sip:pbx.test", response="00112233445566778899aabbccddeeff"',
    ...(extra === '' ? [] : [extra]), 'Content-Length: 0', '', '',
  ].join('\r\n');
  const m = parseMessage(Buffer.from(text));
  assert.equal(m.kind, 'request');
  return m as SipRequest;
}

const ONE: RelayedRegistration = {
  aor: 'sip:1001@pbx.test', contact: 'sip:1001@10.1.1.10:5060', token: 'a-tok1', callId: 'c1', userAgent: 'baresip', username: '1001',
  expiresAt: WALL + 3_600_000, upstreamExpiresAt: WALL + 3_600_000, flow: { transport: 'UDP', host: '10.1.1.10', port: 5060 },
  last: { fromPhone: register('c1'), sent: register('tunnel-c1'), source: { transport: 'UDP', address: '10.1.1.10', port: 5060 } },
};

test('relayed registrations: encode then decode gives them back, per LAN, with their last REGISTERs', () => {
  const two: RelayedRegistration = { ...ONE, token: 'a-tok2', userAgent: undefined, username: undefined, last: undefined };
  const back = decodeRelayed(Buffer.from(encodeRelayed(new Map([['10.1.1.1', [ONE, two]], ['10.2.1.1', []]]))));
  assert.deepEqual([...back.keys()], ['10.1.1.1', '10.2.1.1']);
  const [a, b] = back.get('10.1.1.1') ?? [];
  assert.equal(a?.last?.fromPhone.method, 'REGISTER');
  assert.equal(a?.last?.sent.headers.find((h) => h.name === 'Call-ID')?.value, 'tunnel-c1');
  assert.match(a?.last?.fromPhone.headers.find((h) => h.name === 'Authorization')?.value ?? '', /response="00112233/);
  assert.deepEqual({ ...a, last: undefined }, { ...ONE, last: undefined });
  assert.deepEqual(b, two);
});

const good = JSON.parse(encodeRelayed(new Map([['10.1.1.1', [ONE]]]))) as { lans: Record<string, Record<string, unknown>[]> };
const entry = (change: Record<string, unknown>): string => JSON.stringify({ format: 1, lans: { '10.1.1.1': [{ ...good.lans['10.1.1.1']?.[0], ...change }] } });
const invite = 'INVITE sip:1002@pbx.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.1.1.10;branch=z9hG4bK2\r\nFrom: <sip:1001@pbx.test>;tag=x\r\nTo: <sip:1002@pbx.test>\r\nCall-ID: i\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n';

const BAD: readonly (readonly [string, string, string])[] = [
  ['not JSON', '{"format":1,', 'relayed-registrations'],
  ['another format', '{"format":2,"lans":{}}', 'format'],
  ['lans not an object', '{"format":1,"lans":[]}', 'lans'],
  ['a LAN not a list', '{"format":1,"lans":{"10.1.1.1":{}}}', 'lans.10.1.1.1'],
  ['an entry not an object', '{"format":1,"lans":{"10.1.1.1":[3]}}', 'lans.10.1.1.1[0]'],
  ['no aor', entry({ aor: undefined }), 'lans.10.1.1.1[0].aor'],
  ['expiry as text', entry({ expiresAt: 'soon' }), 'lans.10.1.1.1[0].expiresAt'],
  ['a flow over SCTP', entry({ flow: { transport: 'SCTP', host: 'h', port: 1 } }), 'lans.10.1.1.1[0].flow.transport'],
  ['a flow on port 0', entry({ flow: { transport: 'UDP', host: 'h', port: 0 } }), 'lans.10.1.1.1[0].flow.port'],
  ['a last REGISTER that is an INVITE', entry({ last: { fromPhone: invite, sent: invite, source: { transport: 'UDP', address: 'h', port: 1 } } }), 'lans.10.1.1.1[0].last.fromPhone'],
  ['a last REGISTER too long', entry({ last: { fromPhone: 'x'.repeat(20_000), sent: '', source: { transport: 'UDP', address: 'h', port: 1 } } }), 'lans.10.1.1.1[0].last.fromPhone'],
];

for (const [name, text, path] of BAD) {
  test(`relayed registrations refused: ${name}`, () => {
    assert.throws(() => decodeRelayed(Buffer.from(text)), { code: 'SBC_ERR_CONFIG', path });
  });
}

/** A call path's phone flows and last REGISTERs, as the store sees them. */
function fakeCallPath(): RelayedOwner['callPath'] & { flows: Map<string, { uri: string; target: TransportTarget }> } {
  const flows = new Map<string, { uri: string; target: TransportTarget }>();
  const last = new Map<string, NonNullable<RelayedRegistration['last']>>();
  return {
    flows,
    phones: () => [...flows].map(([token, f]) => ({ token, ...f })),
    lastRegisterOf: (token) => last.get(token),
    restorePhone: (token, flow, l) => {
      flows.set(token, flow);
      if (l !== undefined) last.set(token, l);
    },
  };
}

test('relayed registrations survive a restart: times move to the new clock, expired ones are left out, the flow and last REGISTER come back', () => {
  const before = new ManualClock(5_000, WALL);
  const owner: RelayedOwner = { callPath: fakeCallPath(), registrations: new RegistrationCache({ clock: before }) };
  const req = register('c1');
  owner.registrations.store(req, 'sip:1001@10.1.1.10:5060', 'a-tok1', 1800, 3600);
  owner.registrations.store({ ...req, headers: req.headers.map((h) => (h.name === 'To' ? { ...h, value: '<sip:1002@pbx.test>' } : h)) }, 'sip:1002@10.1.1.11:5060', 'a-tok2', 1800, 60);
  owner.callPath.restorePhone('a-tok1', { uri: 'sip:1001@10.1.1.10:5060', target: ONE.flow }, ONE.last);
  owner.callPath.restorePhone('a-tok2', { uri: 'sip:1002@10.1.1.11:5060', target: { transport: 'UDP', host: '10.1.1.11', port: 5060 } }, undefined);
  assert.equal(owner.registrations.changes, 2);
  const stored = decodeRelayed(Buffer.from(encodeRelayed(new Map([['lan', relayedState(owner, before)]])))).get('lan') ?? [];
  assert.deepEqual(stored.map((r) => [r.aor, r.expiresAt - WALL, r.upstreamExpiresAt - WALL]), [['sip:1001@pbx.test', 3_600_000, 1_800_000], ['sip:1002@pbx.test', 60_000, 1_800_000]]);

  // Two minutes later, a new process whose monotonic clock starts again.
  const after = new ManualClock(0, WALL + 120_000);
  const again: RelayedOwner = { callPath: fakeCallPath(), registrations: new RegistrationCache({ clock: after }) };
  assert.equal(restoreRelayed(again, after, stored), 1, '1002 had 60 s left: not restored');
  const [b] = again.registrations.list();
  assert.equal(b?.aor, 'sip:1001@pbx.test');
  assert.equal(b?.expiresAt, 3_600_000 - 120_000, 'its expiry on the new clock');
  assert.equal(b?.upstreamExpiresAt, 1_800_000 - 120_000);
  assert.deepEqual(again.callPath.phones(), [{ token: 'a-tok1', uri: 'sip:1001@10.1.1.10:5060', target: ONE.flow }]);
  assert.equal(again.callPath.lastRegisterOf('a-tok1')?.sent.method, 'REGISTER');
  after.advance(3_600_000);
  assert.deepEqual(again.registrations.list(), [], 'and it runs out as it would have');
});
