/**
 * Calls through trunks: dial-out with strip/prepend, caller ID in From and P-Asserted-Identity,
 * the trunk's 407 answered from its HA1; three routes with the first two failing; the status the
 * caller gets when every route failed; an emergency number through the local trunk while the
 * outbound rule blocks everything; a call in from a trunk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OutboundRule, Trunk } from '../../../src/routing/index.js';
import { computeDigestResponse, computeHA1, getHeader, getHeaders, parseDigestCredentials } from '../../../src/sip/index.js';
import { ext, model, rig, until } from './rig.js';

const HA1 = computeHA1('MD5', 'branch1', 'itsp.test', 's3cret');
const ipTrunk = (name: string, port: number): Trunk => ({ name, kind: 'ip', host: '127.0.0.1', port });
const rule = (name: string, prefixes: string[], routes: OutboundRule['routes']): OutboundRule => ({ name, prefixes, lengths: [], extensions: [], departments: [], routes });

test('002345 → strip 2, prepend +44 → INVITE sip:+442345 to the register trunk; its 407 answered from the HA1; outbound CDR', async (t) => {
  const r = await rig({
    phones: { '100': 1 }, trunks: ['itsp'],
    model: (ports) => model({
      extensions: [ext('100', { outboundCallerId: '+33140000100' })],
      trunks: [{ name: 'itsp', kind: 'register', host: '127.0.0.1', port: ports.itsp ?? 0, username: 'branch1', ha1: HA1, realm: 'itsp.test', reregisterSeconds: 600 }],
      outbound: [rule('international', ['00'], [{ trunk: 'itsp', strip: 2, prepend: '+44' }])],
    }),
  });
  t.after(() => r.close());
  const itsp = r.trunks.get('itsp');
  assert.ok(itsp !== undefined);
  itsp.mode = 'challenge';
  itsp.challenge = [{ name: 'Proxy-Authenticate', value: 'Digest realm="itsp.test", nonce="n0nce", qop="auth", algorithm=MD5' }];
  const final = await r.phone('100').call('002345', r.port);
  assert.equal(final.status, 200);
  const [first, second] = itsp.requests('INVITE');
  assert.ok(first !== undefined && second !== undefined, 'two INVITEs: challenged, then with credentials');
  assert.equal(second.uri, `sip:+442345@127.0.0.1:${itsp.port}`);
  assert.match(getHeader(second, 'From') ?? '', /^<sip:\+33140000100@/);
  assert.match(getHeader(second, 'P-Asserted-Identity') ?? '', /^<sip:\+33140000100@/);
  assert.equal(getHeader(second, 'Call-ID'), getHeader(first, 'Call-ID'));
  assert.notEqual(getHeader(second, 'CSeq'), getHeader(first, 'CSeq'));
  const credentials = parseDigestCredentials(getHeaders(second, 'Proxy-Authorization')[0] ?? '');
  assert.equal(credentials.username, 'branch1');
  const expected = computeDigestResponse({ algorithm: 'MD5', ha1: HA1, nonce: 'n0nce', method: 'INVITE', uri: credentials.uri, qop: 'auth', nc: credentials.nc, cnonce: credentials.cnonce });
  assert.equal(credentials.response, expected);
  assert.equal((await r.phone('100').send('BYE')).status, 200);
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.direction, r.cdrs[0]?.finalDestination, r.cdrs[0]?.endedReason], ['outbound', 'trunk:itsp/+442345', 'completed']);
});

test('three routes, the first busy, the second 503, the third answers', async (t) => {
  const r = await rig({
    phones: { '100': 1 }, trunks: ['gw1', 'gw2', 'gw3'],
    model: (ports) => model({
      extensions: [ext('100')],
      trunks: ['gw1', 'gw2', 'gw3'].map((n) => ipTrunk(n, ports[n] ?? 0)),
      outbound: [rule('local', ['9'], [{ trunk: 'gw1', strip: 1, prepend: '' }, { trunk: 'gw2', strip: 1, prepend: '0' }, { trunk: 'gw3', strip: 1, prepend: '00' }])],
    }),
  });
  t.after(() => r.close());
  const [gw1, gw2, gw3] = ['gw1', 'gw2', 'gw3'].map((n) => r.trunks.get(n));
  assert.ok(gw1 !== undefined && gw2 !== undefined && gw3 !== undefined);
  gw1.mode = 'busy';
  gw2.mode = 'refuse';
  gw3.mode = 'answer';
  assert.equal((await r.phone('100').call('9123', r.port)).status, 200);
  assert.deepEqual([gw1, gw2, gw3].map((g) => g.requests('INVITE')[0]?.uri.split('@')[0]), ['sip:123', 'sip:0123', 'sip:00123']);
  assert.equal((await r.phone('100').send('BYE')).status, 200);
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.equal(r.cdrs[0]?.finalDestination, 'trunk:gw3/00123');
});

test('every route failed: the caller gets the last trunk status as the PBXs map it', async (t) => {
  const rows: Array<[number, number]> = [[404, 404], [500, 503], [503, 503], [486, 486], [403, 480]];
  const r = await rig({
    phones: { '100': 1 }, trunks: ['gw1', 'gw2'],
    model: (ports) => model({
      extensions: [ext('100')],
      trunks: ['gw1', 'gw2'].map((n) => ipTrunk(n, ports[n] ?? 0)),
      outbound: [rule('two', ['8'], [{ trunk: 'gw1', strip: 0, prepend: '' }, { trunk: 'gw2', strip: 0, prepend: '' }])],
    }),
  });
  t.after(() => r.close());
  const gw1 = r.trunks.get('gw1');
  const gw2 = r.trunks.get('gw2');
  assert.ok(gw1 !== undefined && gw2 !== undefined);
  gw1.mode = 'refuse';
  gw1.refuseWith = 500;
  gw2.mode = 'refuse';
  for (const [last, expected] of rows) {
    gw2.refuseWith = last;
    assert.equal((await r.phone('100').call('8555', r.port)).status, expected, `last trunk ${last}`);
  }
  await until(() => r.cdrs.length === rows.length, 'CDRs');
  assert.ok(r.cdrs.every((c) => c.endedReason === 'failed' && c.direction === 'outbound'));
});

test('112 while the outbound rule blocks everything: out by the local trunk with the emergency caller ID, event raised', async (t) => {
  const r = await rig({
    phones: { '100': 1 }, trunks: ['local'],
    model: (ports) => model({
      extensions: [ext('100', { emergencyCallerId: '+33140000999', outboundCallerId: '+33140000100' })],
      trunks: [ipTrunk('local', ports.local ?? 0)],
      outbound: [rule('nothing', [], 'block')],
      emergencyNumbers: ['112'],
      localTrunks: { 'branch-1': 'local' },
    }),
  });
  t.after(() => r.close());
  const local = r.trunks.get('local');
  assert.ok(local !== undefined);
  local.mode = 'answer';
  assert.equal((await r.phone('100').call('112', r.port)).status, 200);
  assert.match(getHeader(local.requests('INVITE')[0] ?? local.received[0]!, 'P-Asserted-Identity') ?? '', /^<sip:\+33140000999@/);
  const emergency = r.events.filter((e) => e.kind === 'emergency');
  assert.equal(emergency.length, 1);
  assert.deepEqual(emergency[0] === undefined || emergency[0].kind !== 'emergency' ? undefined : { caller: emergency[0].caller, number: emergency[0].number, trunk: emergency[0].trunk }, { caller: '100', number: '112', trunk: 'local' });
  assert.equal((await r.phone('100').call('0033999', r.port)).status, 403, 'an ordinary number stays blocked');
  assert.equal((await r.phone('100').send('BYE')).status, 200);
  await until(() => r.cdrs.length === 2, 'CDRs');
  assert.deepEqual(r.cdrs.map((c) => [c.direction, c.endedReason]).sort(), [['emergency', 'completed'], ['internal', 'blocked']]);
});

test('an emergency call with the PBX reachable: the rule\'s trunk fails, the local trunk answers; one event for the call', async (t) => {
  const r = await rig({
    phones: { '100': 1 }, trunks: ['gw1', 'local'], pbxReachable: true,
    model: (ports) => model({
      extensions: [ext('100')],
      trunks: [ipTrunk('gw1', ports.gw1 ?? 0), ipTrunk('local', ports.local ?? 0)],
      outbound: [rule('emergency', ['11'], [{ trunk: 'gw1', strip: 0, prepend: '' }])],
      emergencyNumbers: ['112'],
      localTrunks: { 'branch-1': 'local' },
    }),
  });
  t.after(() => r.close());
  const gw1 = r.trunks.get('gw1');
  const local = r.trunks.get('local');
  assert.ok(gw1 !== undefined && local !== undefined);
  gw1.mode = 'refuse';
  gw1.refuseWith = 503;
  local.mode = 'answer';
  assert.equal((await r.phone('100').call('112', r.port)).status, 200);
  assert.deepEqual([gw1.requests('INVITE').length, local.requests('INVITE').length], [1, 1]);
  assert.equal(r.events.filter((e) => e.kind === 'emergency').length, 1);
  assert.equal((await r.phone('100').send('BYE')).status, 200);
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.direction, r.cdrs[0]?.finalDestination], ['emergency', 'trunk:local/112']);
});

test('a call in from a trunk to a DID reaches the extension of the inbound rule; inbound CDR', async (t) => {
  const r = await rig({
    phones: { '101': 1 }, trunks: ['itsp'],
    model: (ports) => model({
      extensions: [ext('101')],
      trunks: [ipTrunk('itsp', ports.itsp ?? 0)],
      inbound: [{ name: 'main', did: '442070000', callerMasks: [], destinations: { open: { kind: 'extension', number: '101' }, closed: { kind: 'extension', number: '101' } } }],
    }),
  });
  t.after(() => r.close());
  r.phone('101').mode = 'answer';
  const itsp = r.trunks.get('itsp');
  assert.ok(itsp !== undefined);
  assert.equal((await itsp.call('442070000', r.port)).status, 200);
  assert.equal((await itsp.send('BYE')).status, 200);
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.direction, r.cdrs[0]?.caller, r.cdrs[0]?.callee, r.cdrs[0]?.finalDestination], ['inbound', 'trunk-itsp', '442070000', 'extension:101']);
});
