/**
 * What the caller gets without a phone answering: the reject table of the plan (status, Reason
 * header, CDR reason), dial codes setting a status (answered, then BYE after 1 s), features that
 * wait for the media engine (480 with a Warning), Max-Forwards 0 → 483, no snapshot → 503.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeader } from '../../../src/sip/index.js';
import { ext, model, rig, until } from './rig.js';
import { mediaTarget } from './phone.js';

test('reject table: dialled number → status, Reason text and CDR reason', async (t) => {
  const r = await rig({
    phones: { '100': 1, '104': 1 },
    model: () => model({
      extensions: [ext('100'), ext('101', { enabled: false }), ext('102'), ext('103'), ext('104')],
      blacklist: [],
    }),
  });
  t.after(() => r.close());
  r.statuses.set('103', 'dnd');
  r.statuses.set('104', 'away');
  // 102 has no phone: not registered (the rig's locator registers only extensions with phones).
  const rows: Array<[string, number, string]> = [
    ['101', 480, 'disabled'],
    ['102', 480, 'not-registered'],
    ['103', 486, 'dnd'],
    ['104', 480, 'unavailable'],
    ['555', 404, 'no-outbound-rule'],
  ];
  for (const [dialled, status, reason] of rows) {
    const final = await r.phone('100').call(dialled, r.port);
    assert.equal(final.status, status, dialled);
    assert.equal(getHeader(final, 'Reason'), `SIP;cause=${status};text="${reason}"`, dialled);
  }
  await until(() => r.cdrs.length === rows.length, 'CDRs');
  assert.deepEqual(r.cdrs.map((c) => [c.callee, c.status, c.endedReason, c.endedBy]), rows.map(([d, s, reason]) => [d, s, reason, 'system']));
});

test('a blacklisted trunk caller gets 603 blacklisted', async (t) => {
  const r = await rig({
    phones: { '101': 1 }, trunks: ['itsp'],
    model: (ports) => model({
      extensions: [ext('101')],
      trunks: [{ name: 'itsp', kind: 'ip', host: '127.0.0.1', port: ports.itsp ?? 0 }],
      inbound: [{ name: 'any', did: '*', callerMasks: [], destinations: { open: { kind: 'extension', number: '101' }, closed: { kind: 'extension', number: '101' } } }],
      blacklist: ['trunk-*'],
    }),
  });
  t.after(() => r.close());
  const final = await (r.trunks.get('itsp')?.call('442070000', r.port) ?? Promise.reject(new Error('no trunk')));
  assert.equal(final.status, 603);
  assert.equal(r.phone('101').received.length, 0);
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.endedReason, r.cdrs[0]?.direction], ['blacklisted', 'inbound']);
});

test('*32 sets DND: answered with an SDP on the agent, BYE after 1 s on the clock; the status is stored', async (t) => {
  const r = await rig({ phones: { '100': 1 }, model: () => model({ extensions: [ext('100')] }) });
  t.after(() => r.close());
  const phone = r.phone('100');
  const final = await phone.call('*32', r.port);
  assert.equal(final.status, 200);
  assert.equal(mediaTarget(final.body).address, '127.0.0.1');
  assert.notEqual(mediaTarget(final.body).port, phone.rtp.local.port);
  assert.equal(r.statuses.all()['100'], 'dnd');
  r.clock.advance(999);
  assert.equal(phone.requests('BYE').length, 0);
  r.clock.advance(1);
  await until(() => phone.requests('BYE').length === 1, 'BYE after 1 s');
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.finalDestination, r.cdrs[0]?.endedBy], ['status:dnd', 'system']);
});

test('voicemail, queue and IVR wait for the media engine: 480 with a Warning, CDR feature-unavailable', async (t) => {
  const forwardTo = (destination: { kind: 'voicemail' | 'queue' | 'ivr'; number: string }) => ({ forwarding: { available: { noAnswerSeconds: 5, internal: destination, external: destination } } });
  const r = await rig({
    phones: { '100': 1 },
    model: () => model({
      extensions: [ext('100'), ext('101', forwardTo({ kind: 'voicemail', number: '101' })), ext('102', forwardTo({ kind: 'queue', number: '8000' })), ext('103', forwardTo({ kind: 'ivr', number: '7000' }))],
    }),
  });
  t.after(() => r.close());
  // 101 to 103 have no phone: not registered, so their forwarding applies at once.
  const rows: Array<[string, string, string]> = [['101', 'voicemail', 'voicemail:101'], ['102', 'queue', 'queue:8000'], ['103', 'ivr', 'ivr:7000']];
  for (const [dialled, feature] of rows) {
    const final = await r.phone('100').call(dialled, r.port);
    assert.equal(final.status, 480, dialled);
    assert.equal(getHeader(final, 'Warning'), `399 branch-1 "${feature} not available on this agent"`);
  }
  await until(() => r.cdrs.length === rows.length, 'CDRs');
  assert.deepEqual(r.cdrs.map((c) => [c.endedReason, c.finalDestination]), rows.map(([, , destination]) => ['feature-unavailable', destination]));
});

test('Max-Forwards 0 → 483, nothing rung and no CDR', async (t) => {
  const r = await rig({ phones: { '100': 1, '101': 1 }, model: () => model({ extensions: [ext('100'), ext('101')] }) });
  t.after(() => r.close());
  const final = await r.phone('100').call('101', r.port, [], [{ name: 'Max-Forwards', value: '0' }]);
  assert.equal(final.status, 483);
  assert.equal(r.phone('101').received.length, 0);
  assert.equal(r.cdrs.length, 0);
});

test('no routing snapshot yet → 503 with Retry-After, nothing rung', async (t) => {
  const r = await rig({ phones: { '100': 1, '101': 1 }, noSnapshot: true, model: () => model({ extensions: [ext('100'), ext('101')] }) });
  t.after(() => r.close());
  const final = await r.phone('100').call('101', r.port);
  assert.equal(final.status, 503);
  assert.equal(getHeader(final, 'Retry-After'), '30');
  assert.equal(r.phone('101').received.length, 0);
});

test('an offer that is not SDP → 488, nothing rung, CDR failed; a broken 200 from the callee → BYE to it and 500 to the caller', async (t) => {
  const r = await rig({ phones: { '100': 1, '101': 1 }, model: () => model({ extensions: [ext('100'), ext('101')] }) });
  t.after(() => r.close());
  r.phone('100').sdpOverride = 'this is not a session description\r\n';
  assert.equal((await r.phone('100').call('101', r.port)).status, 488);
  assert.equal(r.phone('101').received.length, 0);
  r.phone('100').sdpOverride = undefined;
  r.phone('101').sdpOverride = 'v=0\r\nbroken\r\n';
  r.phone('101').mode = 'answer';
  assert.equal((await r.phone('100').call('101', r.port)).status, 500);
  await until(() => r.phone('101').requests('BYE').length === 1, 'BYE to the broken answer');
  await until(() => r.cdrs.length === 2, 'CDRs');
  assert.deepEqual(r.cdrs.map((c) => [c.status, c.endedReason]), [[488, 'failed'], [500, 'failed']]);
});
