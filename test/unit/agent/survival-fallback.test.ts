/**
 * Survival without a routing snapshot (agent-survival.ts): the bindings relayed to the PBX as a
 * phone locator (by the AOR's user part, on the phone's flow), the registrar accepting refreshes
 * of exactly those bindings without a digest (and checking digests when the snapshot has HA1s),
 * and the registration model that rings the dialled user's phones or answers 404.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { LocalRegistrar, PhoneAuth, type PhoneContact, type PhoneLocator } from '../../../src/b2bua/index.js';
import type { RoutingModel } from '../../../src/routing/index.js';
import type { AgentSbc, Binding } from '../../../src/sbc/index.js';
import type { TransactionSource, TransportTarget } from '../../../src/sip/index.js';
import { CombinedLocator, RelayedPhones, registrationModel } from '../../../src/agent-survival.js';
import { MODEL, PHONE_A, PHONE_B, incoming, last, register } from '../b2bua/fixtures.js';
import { rig } from '../b2bua/rig.js';

const WALL0 = Date.UTC(2026, 11, 3, 12, 0);

function binding(aor: string, token: string, expiresAt: number): Binding {
  return { aor, contact: `sip:${aor.slice(4, 7)}@192.168.1.21:5060`, token, callId: `c-${token}`, userAgent: 'baresip', username: undefined, expiresAt, upstreamExpiresAt: expiresAt + 1_000_000 };
}

const flow = (s: TransactionSource): TransportTarget => ({ transport: s.transport, host: s.address, port: s.port });

/** One LAN's path toward the PBX as RelayedPhones reads it: its cache's bindings and the phones' flows. */
function lan(clock: ManualClock, rows: readonly [aor: string, token: string, source: TransactionSource, lifetimeS: number][]): AgentSbc {
  const bindings = rows.map(([aor, token, , s]) => binding(aor, token, clock.now() + s * 1000));
  const phones = rows.map(([aor, token, source]) => ({ token, uri: `sip:${aor.slice(4, 7)}@x`, target: flow(source) }));
  const fake = {
    registrations: { list: () => bindings.filter((b) => b.expiresAt > clock.now()) },
    callPath: { phones: () => phones },
  };
  return fake as unknown as AgentSbc;
}

function relayed(clock: ManualClock): RelayedPhones {
  const sbc = lan(clock, [
    ['sip:101@branch.test', 'a-1', PHONE_A, 600],
    ['sip:102@branch.test', 'a-2', PHONE_B, 60],
  ]);
  return new RelayedPhones(clock, () => [sbc]);
}

test('relayed bindings locate phones by the AOR user part on their own flow, expiry on the wall clock', () => {
  const clock = new ManualClock(0, WALL0);
  const phones = relayed(clock);
  assert.deepEqual(phones.registered(), ['101', '102']);
  const [a] = phones.contactsOf('101');
  assert.deepEqual(a?.target, flow(PHONE_A));
  assert.equal(a?.expiresAt, WALL0 + 600_000);
  assert.equal(phones.extensionAt(PHONE_A, '101'), '101');
  assert.equal(phones.extensionAt(PHONE_B, '101'), undefined, 'another flow is not 101');
  assert.equal(phones.extensionAt(PHONE_A, '102'), undefined, 'another user on this flow is not trusted');
  clock.advance(61_000);
  assert.deepEqual(phones.registered(), ['101'], "102's phone registration ran out");
});

test('learned: the same AOR from the same flow only', () => {
  const clock = new ManualClock(0, WALL0);
  const phones = relayed(clock);
  const rows: [string, TransactionSource, boolean][] = [
    ['101', PHONE_A, true],
    ['101', PHONE_B, false],
    ['102', PHONE_B, true],
    ['103', PHONE_A, false],
  ];
  for (const [user, source, expected] of rows) assert.equal(phones.learned(register({ user, contact: '<sip:x@192.168.1.21>' }), source), expected, `${user} from ${source.address}`);
});

test('the combined locator lists the registrar first and adds relayed flows it lacks', () => {
  const contact = (extension: string, source: TransactionSource): PhoneContact => ({ extension, uri: `sip:${extension}@h`, target: flow(source), expiresAt: WALL0 + 1000 });
  const fake = (list: PhoneContact[]): PhoneLocator => ({
    contactsOf: (e) => list.filter((c) => c.extension === e),
    extensionAt: (s, u) => (list.some((c) => c.extension === u && c.target.host === s.address) ? u : undefined),
    registered: () => [...new Set(list.map((c) => c.extension))],
  });
  const both = new CombinedLocator(fake([contact('101', PHONE_A)]), fake([contact('101', PHONE_A), contact('101', PHONE_B), contact('102', PHONE_B)]));
  assert.deepEqual(both.contactsOf('101').map((c) => c.target.host), [PHONE_A.address, PHONE_B.address], 'one contact per flow');
  assert.deepEqual([...both.registered()].sort(), ['101', '102']);
  assert.equal(both.extensionAt(PHONE_B, '102'), '102');
});

function registrar(clock: ManualClock, model: () => RoutingModel | undefined, phones: RelayedPhones): LocalRegistrar {
  const auth = new PhoneAuth({ clock, routing: model, secret: Buffer.alloc(32, 7) });
  return new LocalRegistrar({ clock, routing: model, auth, learnedThroughPbx: (request, source) => phones.learned(request, source) });
}

// Each row: the snapshot, who registers from where, and the answer.
const REFRESHES: { name: string; snapshot: 'none' | 'with HA1s'; user: string; source: TransactionSource; status: number }[] = [
  { name: 'no snapshot, a relayed binding refreshed from its flow', snapshot: 'none', user: '101', source: PHONE_A, status: 200 },
  { name: 'no snapshot, a relayed AOR from another flow', snapshot: 'none', user: '101', source: PHONE_B, status: 401 },
  { name: 'no snapshot, a user never relayed (challenged: no HA1 can ever match)', snapshot: 'none', user: '103', source: PHONE_A, status: 401 },
  { name: 'a snapshot with its HA1: the digest is asked even for a relayed binding', snapshot: 'with HA1s', user: '101', source: PHONE_A, status: 401 },
];

for (const row of REFRESHES) {
  test(`survival REGISTER: ${row.name} → ${row.status}`, async () => {
    const clock = new ManualClock(0, WALL0);
    const phones = relayed(clock);
    const model = (): RoutingModel => (row.snapshot === 'none' ? registrationModel(phones.registered()) : MODEL);
    const r = registrar(clock, model, phones);
    const request = incoming(register({ user: row.user, contact: `<sip:${row.user}@${row.source.address}:${row.source.port}>`, expires: 600 }), row.source);
    await r.handle(request);
    assert.equal(last(request.responses).status, row.status);
    assert.deepEqual(r.registered(), row.status === 200 ? [row.user] : []);
    await r.close();
  });
}

test('the registration model: every registered user an enabled extension without credentials, nothing else', () => {
  const m = registrationModel(['102', '101']);
  assert.deepEqual(m.extensions.map((e) => [e.number, e.enabled, e.ha1]), [['101', true, ''], ['102', true, '']]);
  assert.deepEqual([m.ringGroups, m.inbound, m.outbound, m.trunks, m.emergencyNumbers], [[], [], [], [], []]);
});

test('no snapshot: 101 calls 102 by the registration model (102 answers), 555 gets 404', async (t) => {
  const r = await rig({ phones: { '101': 1, '102': 1 }, model: () => registrationModel(['101', '102']) });
  t.after(() => r.close());
  r.phone('102').mode = 'answer';
  const answered = await r.phone('101').call('102', r.port);
  assert.equal(answered.status, 200);
  const unknown = await r.phone('101').call('555', r.port);
  assert.equal(unknown.status, 404);
});
