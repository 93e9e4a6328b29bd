/**
 * Extension to extension through the B2BUA over real UDP on 127.0.0.1: answered, SDP anchored on
 * the agent, RTP relayed both ways (telephone-event and a=crypto unchanged), hold by re-INVITE and
 * INFO passed through with the SDP rewritten, BYE from either side, one CDR per call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeader, type SipResponse } from '../../../src/sip/index.js';
import { ext, model, rig, settle, until } from './rig.js';
import { mediaTarget, phoneSdp } from './phone.js';

const twoPhones = () => rig({ phones: { '101': 1, '102': 1 }, model: () => model({ extensions: [ext('101'), ext('102')] }) });

test('101 calls 102: ringing relayed, answered, both SDPs point at the agent, RTP both ways, BYE from the caller, one CDR', async (t) => {
  const r = await twoPhones();
  t.after(() => r.close());
  const a = r.phone('101');
  const b = r.phone('102');
  b.mode = 'ring';
  const provisionals: SipResponse[] = [];
  const calling = a.call('102', r.port, provisionals);
  await until(() => b.pending !== undefined, '102 ringing');
  await until(() => provisionals.some((p) => p.status === 180), '180 at the caller');
  assert.deepEqual(r.b2bua.calls().map((c) => [c.caller, c.callee, c.state, c.legs]), [['101', '102', 'ringing', 1]]);
  const invite = b.received[0];
  assert.ok(invite !== undefined);
  assert.notEqual(getHeader(invite, 'Call-ID'), getHeader(provisionals[0] ?? invite, 'Call-ID'), 'the B-leg has its own Call-ID');
  assert.match(getHeader(invite, 'From') ?? '', /^"101" <sip:101@127\.0\.0\.1:\d+>;tag=/);
  assert.equal(getHeader(invite, 'Max-Forwards'), '69');
  const offer = invite.body.toString();
  assert.notEqual(mediaTarget(offer).port, a.rtp.local.port, 'the offer to 102 points at the relay, not at 101');
  assert.match(offer, /a=rtpmap:101 telephone-event\/8000/);
  assert.match(offer, /a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR/);
  b.answer();
  const final = await calling;
  assert.equal(final.status, 200);
  assert.equal(getHeader(final, 'To'), getHeader(provisionals.find((p) => p.status === 180) ?? final, 'To'), 'one To tag toward the caller');
  const answer = mediaTarget(final.body);
  assert.equal(answer.address, '127.0.0.1');
  assert.notEqual(answer.port, b.rtp.local.port, 'the answer to 101 points at the relay, not at 102');
  assert.deepEqual(r.b2bua.busyExtensions().slice().sort(), ['101', '102']);

  a.sendRtp(5, 0xa);
  b.sendRtp(5, 0xb);
  await until(() => a.rtpReceived.length === 5 && b.rtpReceived.length === 5, 'RTP both ways');
  assert.equal(b.rtpReceived[0]?.readUInt32BE(8), 0xa);
  assert.equal(a.rtpReceived[0]?.readUInt32BE(8), 0xb);
  assert.equal(b.rtpReceived[4]?.[1], 101, 'the RFC 4733 telephone-event packet passes unchanged');

  const bye = await a.send('BYE');
  assert.equal(bye.status, 200);
  await until(() => b.requests('BYE').length === 1, 'BYE at 102');
  await until(() => r.cdrs.length === 1, 'CDR');
  const cdr = r.cdrs[0];
  assert.ok(cdr !== undefined);
  assert.deepEqual(
    { caller: cdr.caller, callee: cdr.callee, direction: cdr.direction, endedReason: cdr.endedReason, endedBy: cdr.endedBy, finalDestination: cdr.finalDestination, agent: cdr.agent, survival: cdr.survival, status: cdr.status },
    { caller: '101', callee: '102', direction: 'internal', endedReason: 'completed', endedBy: 'caller', finalDestination: 'extension:102', agent: 'branch-1', survival: true, status: undefined },
  );
  assert.equal(typeof cdr.answeredAt, 'number');
  assert.equal(cdr.callId, getHeader(final, 'Call-ID'));
  assert.deepEqual(r.b2bua.calls(), []);
  assert.deepEqual(r.b2bua.busyExtensions(), []);
});

test('hold by re-INVITE passes through with the SDP rewritten, INFO (DTMF) passes, BYE from the callee ends both', async (t) => {
  const r = await twoPhones();
  t.after(() => r.close());
  const a = r.phone('101');
  const b = r.phone('102');
  b.mode = 'answer';
  assert.equal((await a.call('102', r.port)).status, 200);
  const relayPortTowardA = mediaTarget(a.remoteSdp ?? '').port;

  const hold = await a.send('INVITE', phoneSdp(a.rtp.local.port, 'sendonly', 2));
  assert.equal(hold.status, 200);
  const reinvite = b.requests('INVITE')[1];
  assert.ok(reinvite !== undefined, '102 got the re-INVITE');
  assert.match(reinvite.body.toString(), /a=sendonly/);
  assert.notEqual(mediaTarget(reinvite.body).port, a.rtp.local.port, 're-INVITE SDP anchored');
  assert.match(hold.body.toString(), /a=recvonly/);
  assert.equal(mediaTarget(hold.body).port, relayPortTowardA, 'the caller keeps its relay port');

  const info = await a.send('INFO', 'Signal=5\r\nDuration=160\r\n');
  assert.equal(info.status, 200);
  const relayed = b.requests('INFO')[0];
  assert.equal(relayed?.body.toString(), 'Signal=5\r\nDuration=160\r\n');
  assert.equal(getHeader(relayed ?? info, 'Content-Type'), 'application/dtmf-relay');

  assert.equal((await b.send('BYE')).status, 200);
  await until(() => a.requests('BYE').length === 1, 'BYE at 101');
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.equal(r.cdrs[0]?.endedBy, 'callee');
  await settle();
  assert.deepEqual(r.unhandled, []);
});

test('late offer: an INVITE without SDP; the callee offers in its 200, the caller answers in its ACK, which reaches the callee anchored', async (t) => {
  const r = await twoPhones();
  t.after(() => r.close());
  const a = r.phone('101');
  const b = r.phone('102');
  b.mode = 'answer';
  const final = await a.call('102', r.port, [], [], false);
  assert.equal(final.status, 200);
  assert.equal(b.received[0]?.body.length, 0, 'the B-leg INVITE carries no SDP either');
  const offer = mediaTarget(final.body);
  assert.equal(offer.address, '127.0.0.1');
  assert.notEqual(offer.port, b.rtp.local.port, 'the callee\'s offer reaches the caller anchored');
  await until(() => b.requests('ACK').length === 1, 'ACK at 102');
  const ack = b.requests('ACK')[0];
  assert.ok(ack !== undefined);
  assert.equal(getHeader(ack, 'Content-Type'), 'application/sdp');
  assert.notEqual(mediaTarget(ack.body).port, a.rtp.local.port, 'the caller\'s answer reaches the callee anchored');
  a.sendRtp(3, 0xa);
  b.remoteSdp = ack.body;
  b.sendRtp(3, 0xb);
  await until(() => a.rtpReceived.length === 3 && b.rtpReceived.length === 3, 'RTP both ways');
});

test('UPDATE (hold) from the callee reaches the caller with its SDP anchored and its o= version up; the answer goes back', async (t) => {
  const r = await twoPhones();
  t.after(() => r.close());
  const a = r.phone('101');
  const b = r.phone('102');
  b.mode = 'answer';
  assert.equal((await a.call('102', r.port)).status, 200);
  const update = await b.send('UPDATE', phoneSdp(b.rtp.local.port, 'sendonly', 2));
  assert.equal(update.status, 200);
  const relayed = a.requests('UPDATE')[0];
  assert.ok(relayed !== undefined);
  assert.equal(mediaTarget(relayed.body).address, '127.0.0.1');
  assert.notEqual(mediaTarget(relayed.body).port, b.rtp.local.port);
  assert.match(relayed.body.toString(), /a=sendonly/);
  assert.match(relayed.body.toString(), /^o=- \d+ 2 IN IP4 127\.0\.0\.1/m, 'a changed description counts its version up (RFC 3264 §8)');
});
