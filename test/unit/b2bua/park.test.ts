/**
 * Call parking through the B2BUA over real UDP on 127.0.0.1: the callee parks the caller with a
 * blind transfer (REFER) to `*70`; the REFER is answered 202 and a sipfrag NOTIFY, the caller hears
 * the park tone, and a third phone dialling the orbit gets the caller by re-INVITE with RTP both
 * ways (a refused re-INVITE leaves it parked). Also: the lot's timeout rings the parker back (late offer) and connects it; an orbit taken
 * or empty is refused with a Warning; the parked party hanging up frees its orbit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeG711 } from '../../../src/media/index.js';
import { parseRtpHeader } from '../../../src/rtp/index.js';
import { getHeader, type SipRequest } from '../../../src/sip/index.js';
import { PARKER_BYE_MS, referredNumber } from '../../../src/b2bua/park-runner.js';
import { ext, model, rig, settle, until, type Rig } from './rig.js';
import { mediaTarget, type TestPhone } from './phone.js';

const parkRig = (): Promise<Rig> => rig({
  phones: { '101': 1, '102': 1, '103': 1 },
  model: () => model({ extensions: [ext('101'), ext('102'), ext('103')], parking: { orbits: ['701', '702'], timeoutSeconds: 60 } }),
});

const referTo = (number: string): { name: string; value: string }[] => [{ name: 'Refer-To', value: `<sip:${number}@127.0.0.1>` }, { name: 'Referred-By', value: '<sip:102@127.0.0.1>' }];

/** 101 calls 102, which answers. */
async function answeredCall(r: Rig): Promise<{ a: TestPhone; b: TestPhone }> {
  const a = r.phone('101');
  const b = r.phone('102');
  b.mode = 'answer';
  assert.equal((await a.call('102', r.port)).status, 200);
  return { a, b };
}

/** Moves the manual clock in 20 ms steps so players send, letting sockets deliver. */
async function play(r: Rig, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 20) {
    r.clock.advance(20);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await settle();
}

const reinvites = (phone: TestPhone): SipRequest[] => phone.requests('INVITE').filter((i) => /;tag=/.test(getHeader(i, 'To') ?? ''));

test('referredNumber: the user part of a Refer-To, without parameters or embedded headers', () => {
  const rows: [string | undefined, string | undefined][] = [
    ['<sip:*70@pbx.test>', '*70'],
    ['<sip:*70701@10.0.0.1;user=phone>', '*70701'],
    ['"Park" <sip:*70@pbx.test?Replaces=abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2>', '*70'],
    ['sip:701@pbx.test', '701'],
    ['<tel:*70>', '*70'],
    ['not a uri', undefined],
    [undefined, undefined],
  ];
  for (const [value, expected] of rows) assert.equal(referredNumber(value), expected, String(value));
});

test('102 parks 101 with a REFER to *70: 202, NOTIFY sipfrag 200, 102 hung up, 101 hears the park tone; 103 dials 701 and talks to 101', async (t) => {
  const r = await parkRig();
  t.after(() => r.close());
  const { a, b } = await answeredCall(r);
  const c = r.phone('103');

  const refer = await b.send('REFER', undefined, referTo('*70'));
  assert.equal(refer.status, 202);
  await until(() => b.requests('NOTIFY').length === 1, 'NOTIFY to the parker');
  const notify = b.requests('NOTIFY')[0];
  assert.ok(notify !== undefined);
  assert.equal(getHeader(notify, 'Event'), 'refer');
  assert.match(getHeader(notify, 'Subscription-State') ?? '', /^terminated/);
  assert.match(getHeader(notify, 'Content-Type') ?? '', /^message\/sipfrag/);
  assert.equal(notify.body.toString(), 'SIP/2.0 200 Parked at 701\r\n');
  assert.equal(a.requests('REFER').length, 0, 'the REFER is not relayed to the parked party');
  assert.deepEqual(r.b2bua.busyExtensions(), ['101'], 'the parker is free');
  assert.deepEqual(r.b2bua.extensionDialogs().map((d) => [d.extension, d.direction, d.state, d.peer]), [['101', 'initiator', 'confirmed', '102'], ['701', 'recipient', 'confirmed', '101']], 'the parker\'s BLF idle, the orbit\'s busy');

  // The parker does not hang up by itself: the agent ends its dialog after PARKER_BYE_MS.
  await play(r, PARKER_BYE_MS + 100);
  await until(() => b.requests('BYE').length === 1, 'BYE to the parker');
  assert.equal(a.requests('BYE').length, 0, 'the parked party stays');
  const tone = a.rtpReceived.map((p) => ({ header: parseRtpHeader(p), samples: decodeG711(p.subarray(12), 'ulaw') }));
  assert.ok(tone.length >= 100, `the parked party hears the park tone (${tone.length} packets)`);
  assert.ok(tone.every((p) => p.header.payloadType === 0), 'in the PCMU it negotiated');
  assert.ok((tone[1]?.samples ?? new Int16Array()).some((s) => Math.abs(s) > 1000), 'a tone, not silence, at the start');

  const empty = await c.call('702', r.port);
  assert.equal(empty.status, 404);
  assert.match(getHeader(empty, 'Warning') ?? '', /^399 branch-1 "no call parked in orbit 702"$/);

  // The parked party refuses the first retrieval's offer: the retriever gets 480, the call stays in 701.
  a.reinviteStatus = 488;
  assert.equal((await c.call('701', r.port)).status, 480);
  assert.equal(a.requests('BYE').length, 0);
  a.reinviteStatus = 200;

  a.rtpReceived.length = 0;
  const retrieved = await c.call('701', r.port);
  assert.equal(retrieved.status, 200);
  assert.equal(reinvites(a).length, 2, 'the parked party got a re-INVITE');
  assert.notEqual(mediaTarget(reinvites(a)[1]?.body ?? '').port, c.rtp.local.port, 'anchored on the agent');
  await until(() => r.cdrs.length === 3, 'the parked call handed over');
  assert.deepEqual(r.b2bua.extensionDialogs().map((d) => [d.extension, d.state]), [['103', 'confirmed'], ['101', 'confirmed']], 'orbit 701 idle again');
  await play(r, 100);
  a.rtpReceived.length = 0;
  a.sendRtp(5, 0xa);
  c.sendRtp(5, 0xc);
  await until(() => a.rtpReceived.length >= 5 && c.rtpReceived.length >= 5, 'RTP both ways between 101 and 103');
  assert.ok(c.rtpReceived.slice(0, 5).every((p) => p.readUInt32BE(8) === 0xa));
  assert.ok(a.rtpReceived.every((p) => p.readUInt32BE(8) === 0xc), 'no more park tone');

  // The empty orbit's refusal, then the parked call handed over.
  await until(() => r.cdrs.length === 3, 'the parked call\'s CDR');
  assert.deepEqual(r.cdrs.map((cdr) => [cdr.caller, cdr.callee, cdr.endedReason, cdr.finalDestination]), [
    ['103', '702', 'empty-orbit', 'feature:retrieve'], ['103', '701', 'failed', 'park:701'], ['101', '102', 'retrieved', 'park:701'],
  ]);
  assert.equal((await c.send('BYE')).status, 200);
  await until(() => a.requests('BYE').length === 1, 'BYE to 101');
  await until(() => r.cdrs.length === 4, 'the retrieving call\'s CDR');
  assert.deepEqual([r.cdrs[3]?.caller, r.cdrs[3]?.callee, r.cdrs[3]?.endedReason, r.cdrs[3]?.finalDestination], ['103', '701', 'completed', 'park:701']);
  assert.deepEqual(r.b2bua.calls(), []);
});

test('the caller parks the callee in orbit 702; another park there is refused 486; the parked party hangs up and 702 is free again', async (t) => {
  const r = await parkRig();
  t.after(() => r.close());
  const { a, b } = await answeredCall(r);
  assert.equal((await a.send('REFER', undefined, referTo('*70702'))).status, 202);
  await until(() => a.requests('NOTIFY').length === 1, 'NOTIFY to the parker');
  assert.equal(a.requests('NOTIFY')[0]?.body.toString(), 'SIP/2.0 200 Parked at 702\r\n');
  assert.equal((await a.send('BYE')).status, 200, 'the parker hangs up itself');
  assert.equal(b.requests('BYE').length, 0);

  const c = r.phone('103');
  a.mode = 'answer';
  assert.equal((await c.call('101', r.port)).status, 200);
  const taken = await c.send('REFER', undefined, referTo('*70702'));
  assert.equal(taken.status, 486);
  assert.match(getHeader(taken, 'Warning') ?? '', /^399 branch-1 "parking orbit taken"$/);

  assert.equal((await b.send('BYE')).status, 200, 'the parked party hangs up');
  await until(() => r.cdrs.some((cdr) => cdr.finalDestination === 'park:702'), 'the parked call ended');
  const cdr = r.cdrs.find((x) => x.finalDestination === 'park:702');
  assert.deepEqual([cdr?.endedReason, cdr?.endedBy], ['completed', 'callee']);
  assert.equal((await c.send('REFER', undefined, referTo('*70702'))).status, 202, '702 is free again');
});

test('nobody retrieves: after the timeout the parker rings (late offer), answers, and talks to the parked party', async (t) => {
  const r = await parkRig();
  t.after(() => r.close());
  const { a, b } = await answeredCall(r);
  assert.equal((await b.send('REFER', undefined, referTo('*70'))).status, 202);
  await until(() => b.requests('NOTIFY').length === 1, 'NOTIFY');
  assert.equal((await b.send('BYE')).status, 200);
  b.mode = 'ring';
  await play(r, 59_000);
  assert.equal(b.pending, undefined, 'not before the timeout');
  await play(r, 1_100);
  await until(() => b.pending !== undefined, 'the parker rings again');
  const ringBack = (b.pending as { request: SipRequest } | undefined)?.request;
  assert.ok(ringBack !== undefined);
  assert.equal(ringBack.body.length, 0, 'a late offer: the parker offers, the parked party answers');
  assert.match(getHeader(ringBack, 'From') ?? '', /^"101" <sip:101@/, 'the parked party\'s number is shown');
  b.answer();
  await until(() => reinvites(a).length === 1, 're-INVITE to the parked party');
  await until(() => b.requests('ACK').some((ack) => ack.body.length > 0), 'the answer in the ACK');
  b.remoteSdp = b.requests('ACK').find((ack) => ack.body.length > 0)?.body;
  await play(r, 100);
  a.rtpReceived.length = 0;
  a.sendRtp(5, 0xa);
  b.sendRtp(5, 0xb);
  await until(() => a.rtpReceived.length >= 5 && b.rtpReceived.length >= 5, 'RTP both ways');
  assert.ok(a.rtpReceived.every((p) => p.readUInt32BE(8) === 0xb));
  assert.equal((await a.send('BYE')).status, 200);
  await until(() => b.requests('BYE').length === 1, 'BYE to the parker\'s phone');
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.endedReason, r.cdrs[0]?.endedBy, r.cdrs[0]?.finalDestination], ['completed', 'caller', 'park-return:102']);
});

test('nobody retrieves and the parker does not answer: the parked party is hung up with a Reason', async (t) => {
  const r = await parkRig();
  t.after(() => r.close());
  const { a, b } = await answeredCall(r);
  assert.equal((await b.send('REFER', undefined, referTo('*70'))).status, 202);
  assert.equal((await b.send('BYE')).status, 200);
  b.mode = 'silent';
  await play(r, 60_100);
  await until(() => b.pending !== undefined, 'the parker rings again');
  await play(r, 20_100);
  await until(() => a.requests('BYE').length === 1, 'BYE to the parked party');
  assert.match(getHeader(a.requests('BYE')[0] ?? b.received[0]!, 'Reason') ?? '', /cause=480/);
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.equal(r.cdrs[0]?.endedReason, 'park-timeout');
});
