/** The hub's OPTIONS probe of the PBX, and the `pbx-health` report it pushes to agents. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../../src/core/index.js';
import { buildResponse, type SipResponse } from '../../../src/sip/index.js';
import { PbxProbe, type PbxState } from '../../../src/survival/pbx-probe.js';
import { configKind, decodePbxHealth, encodePbxHealth } from '../../../src/survival/pbx-health-message.js';
import { encodeSnapshot } from '../../../src/routing/index.js';
import { FakeEndpoint } from '../sip/fake-endpoint.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

type Answer = number | 'silent';

/** Runs the probe over a script of answers, one per interval (then silence); returns the state changes. */
async function probeScript(script: readonly Answer[], failures = 3): Promise<{ changes: PbxState[]; endpoint: FakeEndpoint }> {
  const endpoint = new FakeEndpoint();
  let i = 0;
  endpoint.answer = (request) => {
    const a = script[i++] ?? 'silent';
    if (a === 'silent') return new Promise<SipResponse>(() => {});
    return buildResponse(request, a);
  };
  const probe = new PbxProbe({ endpoint, clock: endpoint.clock, target: { transport: 'UDP', host: '127.0.0.1', port: 5060 }, intervalMs: 1000, failures });
  const changes: PbxState[] = [];
  probe.on('change', (s) => changes.push(s));
  probe.start();
  for (let n = 0; n < script.length; n++) {
    await flush();
    endpoint.clock.advance(1000);
    await flush();
  }
  probe.close();
  return { changes, endpoint };
}

const TABLE: readonly [string, readonly Answer[], readonly boolean[]][] = [
  ['a 200 makes it reachable', [200], [true]],
  ['404, 405 and 501 also prove a live SIP stack', [404, 200, 405, 501], [true]],
  ['three missing answers in a row make it unreachable', [200, 'silent', 'silent', 'silent'], [true, false]],
  ['two misses are not enough', [200, 'silent', 'silent', 200, 'silent'], [true]],
  ['503 counts as failing', [200, 503, 503, 503], [true, false]],
  ['back after failing: one answer is enough', [200, 'silent', 'silent', 'silent', 200], [true, false, true]],
  ['408, 500 and 504 count as failing', [408, 500, 504], [false]],
];

for (const [name, script, expected] of TABLE) {
  test(`PBX probe: ${name}`, async () => {
    const { changes } = await probeScript(script);
    assert.deepEqual(changes.map((c) => c.reachable), expected);
  });
}

test('the probe sends well-formed OPTIONS one after the other, CSeq increasing, one Call-ID', async () => {
  const { endpoint, changes } = await probeScript([200, 'silent', 'silent', 'silent']);
  assert.ok(endpoint.requests.length >= 4);
  const cseqs = endpoint.requests.map((r) => r.request.headers.find((h) => h.name === 'CSeq')?.value);
  assert.deepEqual(cseqs.slice(0, 4), ['1 OPTIONS', '2 OPTIONS', '3 OPTIONS', '4 OPTIONS']);
  assert.equal(new Set(endpoint.requests.map((r) => r.request.headers.find((h) => h.name === 'Call-ID')?.value)).size, 1);
  assert.equal(endpoint.requests[0]?.request.uri, 'sip:127.0.0.1:5060');
  assert.match(changes[1]?.reason ?? '', /no answer within 1000 ms \(3 OPTIONS in a row\)/);
});

test('pbx-health reports round-trip, are told apart from routing snapshots, and bad ones name the field', () => {
  const state: PbxState = { reachable: false, at: 1764756000000, reason: 'no answer' };
  const data = encodePbxHealth(state);
  assert.deepEqual(decodePbxHealth(data), state);
  assert.equal(configKind(data), 'pbx-health');
  assert.equal(configKind(Buffer.from('not json')), undefined);
  const snapshot = encodeSnapshot({ version: 1, schedule: { timeZone: 'UTC', open: [], breaks: [], holidays: [] }, departments: {}, extensions: [], ringGroups: [], inbound: [], outbound: [], trunks: [], emergencyNumbers: [], localTrunks: {}, blacklist: [] }, 'paris', 1);
  assert.equal(configKind(snapshot), 'routing-snapshot');
  const bad: readonly [string, string][] = [
    ['{"kind":"routing-snapshot"}', 'kind'],
    ['{"kind":"pbx-health","reachable":"yes","at":1,"reason":""}', 'reachable'],
    ['{"kind":"pbx-health","reachable":true,"at":"now","reason":""}', 'at'],
    ['{"kind":"pbx-health","reachable":true,"at":1}', 'reason'],
    ['[1,2', 'pbx-health'],
  ];
  for (const [text, field] of bad) {
    assert.throws(() => decodePbxHealth(Buffer.from(text)), (e: unknown) => e instanceof ConfigError && e.path === field, text);
  }
});
