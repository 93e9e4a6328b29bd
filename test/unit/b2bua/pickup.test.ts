/**
 * Directed call pickup through the B2BUA over real UDP on 127.0.0.1: 104 calls 105, which rings
 * on two phones; 106 dials `**105`: both of 105's phones get CANCEL ("Call completed elsewhere"),
 * 104 is answered and then re-INVITEd toward 106, and 104 and 106 have RTP both ways. Refusals:
 * nothing ringing, the dialler's own extension, a held call (not run), `*70` dialled outside a call, a late offer,
 * a call answered meanwhile.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeader } from '../../../src/sip/index.js';
import { ext, model, rig, until, type Rig } from './rig.js';

const pickupRig = (): Promise<Rig> => rig({
  phones: { '104': 1, '105': 2, '106': 1 },
  model: () => model({ extensions: [ext('104'), ext('105'), ext('106')], parking: { orbits: ['701'], timeoutSeconds: 60 } }),
});

test('106 dials **105 while 104 rings 105: 105 stops ringing, 104 and 106 talk, one CDR each', async (t) => {
  const r = await pickupRig();
  t.after(() => r.close());
  const d = r.phone('104');
  const [e1, e2] = r.phones.get('105') ?? [];
  const f = r.phone('106');
  assert.ok(e1 !== undefined && e2 !== undefined);
  const calling = d.call('105', r.port);
  await until(() => e1.pending !== undefined && e2.pending !== undefined, '105 rings on both phones');

  const picked = await f.call('**105', r.port);
  assert.equal(picked.status, 200);
  for (const phone of [e1, e2]) {
    const cancel = phone.requests('CANCEL')[0];
    assert.ok(cancel !== undefined, 'CANCEL to each of 105\'s phones');
    assert.equal(getHeader(cancel, 'Reason'), 'SIP;cause=200;text="Call completed elsewhere"');
  }
  assert.equal((await calling).status, 200, 'the caller is answered');
  const reinvite = d.requests('INVITE').find((i) => /;tag=/.test(getHeader(i, 'To') ?? ''));
  assert.ok(reinvite !== undefined, 'the caller is re-INVITEd toward the picker');
  d.remoteSdp = reinvite.body;

  d.sendRtp(5, 0xd);
  f.sendRtp(5, 0xf);
  await until(() => d.rtpReceived.length >= 5 && f.rtpReceived.length >= 5, 'RTP both ways between 104 and 106');
  assert.ok(d.rtpReceived.every((p) => p.readUInt32BE(8) === 0xf));
  assert.ok(f.rtpReceived.every((p) => p.readUInt32BE(8) === 0xd));
  assert.deepEqual(r.b2bua.busyExtensions().slice().sort(), ['104', '106']);

  await until(() => r.cdrs.length === 1, 'the picked-up call\'s CDR');
  assert.deepEqual([r.cdrs[0]?.caller, r.cdrs[0]?.callee, r.cdrs[0]?.endedReason, r.cdrs[0]?.finalDestination], ['104', '105', 'picked-up', 'pickup:106']);
  assert.equal((await d.send('BYE')).status, 200);
  await until(() => f.requests('BYE').length === 1, 'BYE to the picker');
  await until(() => r.cdrs.length === 2, 'the picking call\'s CDR');
  assert.deepEqual([r.cdrs[1]?.caller, r.cdrs[1]?.callee, r.cdrs[1]?.endedReason, r.cdrs[1]?.endedBy, r.cdrs[1]?.finalDestination], ['106', '**105', 'completed', 'callee', 'pickup:105']);
  assert.deepEqual(r.b2bua.calls(), []);
});

test('refused with a Warning: nothing ringing, the own extension, a held call, *70 outside a call, a late offer', async (t) => {
  const r = await pickupRig();
  t.after(() => r.close());
  const f = r.phone('106');
  const rows: [string, number, string][] = [
    ['**105', 480, 'no call ringing there'],
    ['**106', 480, 'that is your own extension'],
    ['##105', 480, 'pickup of held calls not available on this agent'],
    ['*70', 480, 'transfer a call to the park code to park it'],
  ];
  for (const [dialled, status, warning] of rows) {
    const response = await f.call(dialled, r.port);
    assert.equal(response.status, status, dialled);
    assert.equal(getHeader(response, 'Warning'), `399 branch-1 "${warning}"`, dialled);
  }
  const lateOffer = await f.call('701', r.port, [], [], false);
  assert.equal(lateOffer.status, 488, 'an INVITE without SDP cannot take a call over');
  assert.equal(getHeader(lateOffer, 'Warning'), '399 branch-1 "an INVITE with an SDP offer is needed here"');
});

test('a call answered meanwhile is not picked up: 480', async (t) => {
  const r = await pickupRig();
  t.after(() => r.close());
  const d = r.phone('104');
  const [e1] = r.phones.get('105') ?? [];
  assert.ok(e1 !== undefined);
  const calling = d.call('105', r.port);
  await until(() => e1.pending !== undefined, '105 rings');
  e1.answer();
  assert.equal((await calling).status, 200);
  const late = await r.phone('106').call('**105', r.port);
  assert.equal(late.status, 480);
  assert.equal(getHeader(late, 'Warning'), '399 branch-1 "no call ringing there"');
  assert.equal(d.requests('INVITE').length, 0, 'the answered caller is left alone');
});
