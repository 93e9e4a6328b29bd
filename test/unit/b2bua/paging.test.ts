/**
 * Paging and intercom run by the B2BUA (issue 13): every member of the paged group is called with
 * `Call-Info: <sip:...>;answer-after=0`, `Alert-Info: <http://127.0.0.1/>;info=alert-autoanswer`
 * and `Answer-Mode: Auto` (RFC 5373), offered a=sendonly; the pager is answered by the agent once
 * a member answered, and its RTP reaches every member while theirs does not come back; the pager
 * hanging up ends the page for all. Intercom rings one extension with the same headers, two-way.
 * Real UDP on 127.0.0.1, manual clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PagingGroup } from '../../../src/routing/index.js';
import { getHeader } from '../../../src/sip/index.js';
import { ext, model, rig, settle, until } from './rig.js';

const GROUP = { number: '600', name: 'Warehouse', strategy: 'ring-all' as const, members: ['100', '101', '102'], ringSeconds: 20, noAnswer: { kind: 'end-call' as const } };
const PAGE: PagingGroup = { number: '8500', name: 'Warehouse page', target: { kind: 'ring-group', number: '600' }, mode: 'page', answerMode: true, ringSeconds: 10 };
const INTERCOM: PagingGroup = { number: '8501', name: 'Front desk', target: { kind: 'extension', number: '103' }, mode: 'intercom', answerMode: false, ringSeconds: 10 };

function pagingModel(): ReturnType<typeof model> {
  return model({ extensions: ['100', '101', '102', '103'].map((n) => ext(n)), ringGroups: [GROUP], paging: [PAGE, INTERCOM] });
}

test('page: every other member is INVITEd with the auto-answer headers and a=sendonly; the pager is heard by all, one way; its BYE ends the page for all', async (t) => {
  const r = await rig({ phones: { '100': 1, '101': 1, '102': 1, '103': 1 }, model: pagingModel });
  t.after(() => r.close());
  r.phone('101').mode = 'answer';
  r.phone('102').mode = 'answer';
  const pager = r.phone('100');
  const answered = await pager.call('8500', r.port);
  assert.equal(answered.status, 200);
  assert.match(answered.body.toString(), /m=audio \d+ RTP\/AVP 0 101\r\n/);
  await until(() => r.phone('102').dialog !== undefined || r.phone('102').requests('INVITE').length === 1, '102 INVITEd');
  assert.equal(r.phone('100').requests('INVITE').length, 0, "the pager's own phone is not paged");
  assert.equal(r.phone('103').requests('INVITE').length, 0, 'not a member');
  for (const member of ['101', '102']) {
    const invite = r.phone(member).requests('INVITE')[0];
    assert.ok(invite, member);
    assert.equal(getHeader(invite, 'Call-Info'), `<sip:${r.stack.hostPort('UDP')}>;answer-after=0`, member);
    assert.equal(getHeader(invite, 'Alert-Info'), '<http://127.0.0.1/>;info=alert-autoanswer', member);
    assert.equal(getHeader(invite, 'Answer-Mode'), 'Auto', member);
    const sdp = invite.body.toString();
    assert.match(sdp, /a=sendonly\r\n/, `${member}: offered sendonly, so it answers recvonly`);
    assert.doesNotMatch(sdp, /a=sendrecv/);
    assert.match(sdp, /m=audio \d+ RTP\/AVP 0 101\r\n/, `${member}: the format the pager was answered with`);
  }
  const [port101, port102] = ['101', '102'].map((m) => /m=audio (\d+)/.exec(r.phone(m).requests('INVITE')[0]?.body.toString() ?? '')?.[1]);
  assert.notEqual(port101, port102, 'a relay leg of its own for each member');
  await until(() => r.events.filter((e) => e.kind === 'answered').length === 1, 'the page answered');

  await settle();
  pager.sendRtp(4, 0xabc);
  for (const member of ['101', '102']) await until(() => r.phone(member).rtpReceived.filter((p) => p.readUInt32BE(8) === 0xabc).length === 4, `the pager's RTP at ${member}`);
  r.phone('101').sendRtp(3, 0xdef);
  await settle();
  assert.ok(!pager.rtpReceived.some((p) => p.readUInt32BE(8) === 0xdef), 'one way: a member is not heard');
  assert.deepEqual([...r.b2bua.busyExtensions()].sort(), ['100', '101', '102'], 'the pager and the listening members are on a call');

  assert.equal((await pager.send('BYE')).status, 200);
  for (const member of ['101', '102']) await until(() => r.phone(member).requests('BYE').length === 1, `BYE to ${member}`);
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.finalDestination, r.cdrs[0]?.endedReason, r.cdrs[0]?.endedBy], ['page:8500', 'completed', 'caller']);
});

test('page: a member hanging up leaves the page; the last one ends it with a BYE to the pager', async (t) => {
  const r = await rig({ phones: { '100': 1, '101': 1, '102': 1 }, model: () => model({ extensions: ['100', '101', '102'].map((n) => ext(n)), ringGroups: [GROUP], paging: [PAGE] }) });
  t.after(() => r.close());
  r.phone('101').mode = 'answer';
  r.phone('102').mode = 'answer';
  const pager = r.phone('100');
  assert.equal((await pager.call('8500', r.port)).status, 200);
  await until(() => r.phone('101').dialog !== undefined && r.phone('102').dialog !== undefined, 'both members up');
  await settle();
  assert.equal((await r.phone('101').send('BYE')).status, 200);
  pager.sendRtp(2, 0x123);
  await until(() => r.phone('102').rtpReceived.some((p) => p.readUInt32BE(8) === 0x123), '102 still hears the pager');
  assert.equal(pager.requests('BYE').length, 0, 'the page goes on');
  assert.equal((await r.phone('102').send('BYE')).status, 200);
  await until(() => pager.requests('BYE').length === 1, 'BYE to the pager');
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.equal(r.cdrs[0]?.finalDestination, 'page:8500');
});

test('page: no member answers within the ring time: the pager gets 480 and the rings are cancelled', async (t) => {
  const r = await rig({ phones: { '100': 1, '101': 1, '102': 1 }, model: () => model({ extensions: ['100', '101', '102'].map((n) => ext(n)), ringGroups: [GROUP], paging: [PAGE] }) });
  t.after(() => r.close());
  const calling = r.phone('100').call('8500', r.port);
  await until(() => r.phone('101').pending !== undefined && r.phone('102').pending !== undefined, 'members ringing');
  r.clock.advance(10_000);
  assert.equal((await calling).status, 480);
  for (const member of ['101', '102']) await until(() => r.phone(member).requests('CANCEL').length === 1, `CANCEL to ${member}`);
});

test('intercom: one extension rung with the auto-answer headers (no Answer-Mode when not asked) and audio both ways', async (t) => {
  const r = await rig({ phones: { '100': 1, '103': 1 }, model: pagingModel });
  t.after(() => r.close());
  r.phone('103').mode = 'answer';
  const caller = r.phone('100');
  assert.equal((await caller.call('8501', r.port)).status, 200);
  const invite = r.phone('103').requests('INVITE')[0];
  assert.ok(invite);
  assert.equal(getHeader(invite, 'Call-Info'), `<sip:${r.stack.hostPort('UDP')}>;answer-after=0`);
  assert.equal(getHeader(invite, 'Alert-Info'), '<http://127.0.0.1/>;info=alert-autoanswer');
  assert.equal(getHeader(invite, 'Answer-Mode'), undefined);
  assert.doesNotMatch(invite.body.toString(), /a=sendonly|a=recvonly/, 'two-way');
  await settle();
  caller.sendRtp(3, 0xabc);
  await until(() => r.phone('103').rtpReceived.some((p) => p.readUInt32BE(8) === 0xabc), 'caller RTP at 103');
  r.phone('103').sendRtp(3, 0xdef);
  await until(() => caller.rtpReceived.some((p) => p.readUInt32BE(8) === 0xdef), '103 RTP at the caller');
});

test('page refusals (table): an offer the agent cannot relay gets 488 with a Warning; nobody free to page gets 480', async (t) => {
  const savp = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/SAVP 0', 'a=rtpmap:0 PCMU/8000',
    'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR', ''].join('\r\n');
  const g722 = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 9', 'a=rtpmap:9 G722/8000', ''].join('\r\n');
  const rows: Array<{ name: string; sdp?: string; members: string[]; status: number; warning?: RegExp }> = [
    { name: 'SRTP offer', sdp: savp, members: ['100', '101'], status: 488, warning: /^305 branch-1 "paging relays plain RTP only/ },
    { name: 'G.722 only', sdp: g722, members: ['100', '101'], status: 488, warning: /^305 branch-1 "no PCMU or PCMA/ },
    { name: 'the pager alone in the group', members: ['100'], status: 480 },
  ];
  for (const row of rows) {
    const r = await rig({ phones: { '100': 1, '101': 1 }, model: () => model({ extensions: ['100', '101'].map((n) => ext(n)), ringGroups: [{ ...GROUP, members: row.members }], paging: [PAGE] }) });
    t.after(() => r.close());
    r.phone('101').mode = 'answer';
    if (row.sdp !== undefined) r.phone('100').sdpOverride = row.sdp;
    const response = await r.phone('100').call('8500', r.port);
    assert.equal(response.status, row.status, row.name);
    if (row.warning !== undefined) assert.match(getHeader(response, 'Warning') ?? '', row.warning, row.name);
    assert.equal(r.phone('101').requests('INVITE').length, 0, `${row.name}: nobody paged`);
  }
});

test('page: the pager cancelling while the members ring gets 487; every member gets a CANCEL', async (t) => {
  const r = await rig({ phones: { '100': 1, '101': 1, '102': 1 }, model: () => model({ extensions: ['100', '101', '102'].map((n) => ext(n)), ringGroups: [GROUP], paging: [PAGE] }) });
  t.after(() => r.close());
  const calling = r.phone('100').call('8500', r.port);
  await until(() => r.phone('101').pending !== undefined && r.phone('102').pending !== undefined, 'members ringing');
  await r.phone('100').cancel(r.port);
  assert.equal((await calling).status, 487);
  for (const member of ['101', '102']) await until(() => r.phone(member).requests('CANCEL').length === 1, `CANCEL to ${member}`);
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.deepEqual([r.cdrs[0]?.finalDestination, r.cdrs[0]?.endedReason], ['page:8500', 'cancelled']);
});
