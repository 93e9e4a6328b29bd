/**
 * The soak's judgements (bench/soak.ts): the phones' log turned into registration figures
 * (test/support/soak-phones.ts) and the RTP samples into "audio back" times
 * (test/support/soak-rtp.ts), on hand-made inputs with known answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePhoneLog, phoneFigures, phoneScenario, PHONE_EXPIRES_S, phonesCsv } from '../../support/soak-phones.js';
import { audioBack, firstPackets, rateAt, rateOver, type RtpSample } from '../../support/soak-rtp.js';

test('the phone log is read line by line; other lines are skipped', () => {
  const events = parsePhoneLog('SEND 3001 10\nOK 3001 15\nnoise\nFAIL 3002 40 503\nTIMEOUT 3003 33000\n');
  assert.deepEqual(events, [
    { user: '3001', tick: 10, outcome: 'send' },
    { user: '3001', tick: 15, outcome: 'ok' },
    { user: '3002', tick: 40, outcome: 'fail', status: 503 },
    { user: '3003', tick: 33000, outcome: 'timeout' },
  ]);
});

test('phones refreshing every 25 s keep their bindings; a failure followed by a 200 is recovered', () => {
  const log = [
    'SEND 3001 0', 'OK 3001 100', 'SEND 3001 25000', 'OK 3001 25100', 'SEND 3001 50000', 'OK 3001 58000',
    'SEND 3002 0', 'OK 3002 200', 'SEND 3002 25000', 'FAIL 3002 26000 503', 'SEND 3002 33000', 'OK 3002 33500', 'SEND 3002 58000', 'OK 3002 58100',
  ].join('\n');
  const f = phoneFigures(parsePhoneLog(log), ['3001', '3002'], 60_000, [[48_000, 52_000]]);
  assert.equal(f.registered, 6);
  assert.deepEqual(f.failed, { 503: 1 });
  assert.equal(f.unrecovered, 0);
  assert.deepEqual(f.lost, []);
  assert.equal(f.longestGapMs, 33_300, '3002 from 0.2 s to 33.5 s, across its failure');
  assert.equal(f.sentInCuts, 1, '3001 at 50 s');
  assert.equal(f.slowestAnswerMs, 8000);
});

const LOSSES: readonly { name: string; log: string; lost: string[]; unrecovered: number }[] = [
  { name: 'never registered', log: 'SEND 3001 0\nFAIL 3001 10 403', lost: ['3001'], unrecovered: 1 },
  { name: 'a gap longer than the binding', log: `OK 3001 0\nOK 3001 ${PHONE_EXPIRES_S * 1000 + 1}`, lost: ['3001'], unrecovered: 0 },
  { name: 'silent since its last 200 for longer than the binding', log: 'OK 3001 0', lost: ['3001'], unrecovered: 0 },
  { name: 'a failure not recovered within the refresh time', log: 'OK 3001 0\nOK 3001 20000\nTIMEOUT 3001 40000\nOK 3001 70001', lost: [], unrecovered: 1 },
];

for (const c of LOSSES) {
  test(`a lost registration is seen: ${c.name}`, () => {
    const f = phoneFigures(parsePhoneLog(c.log), ['3001'], 70_001);
    assert.deepEqual(f.lost, c.lost);
    assert.equal(f.unrecovered, c.unrecovered);
  });
}

test('the phone scenario asks for the short lifetime, reuses its Call-ID and ends at the deadline', () => {
  const xml = phoneScenario(123_456);
  assert.match(xml, new RegExp(`Expires: ${PHONE_EXPIRES_S}\\n`));
  assert.equal((xml.match(/Call-ID: \[call_id\]/g) ?? []).length, 3, 'every REGISTER of a phone in one Call-ID (RFC 3261 §10.2.4)');
  assert.match(xml, /compare="greater_than" value="123456"/);
  assert.equal(phonesCsv(2), 'SEQUENTIAL\n3001\n3002\n');
});

/** 100 pkt/s each way, read every 100 ms; silent in [2000, 3000) ms; back to 50 % in [3000, 3200), full after. */
function samples(): RtpSample[] {
  const out: RtpSample[] = [];
  let caller = 0;
  let called = 0;
  for (let at = 0; at <= 5000; at += 100) {
    out.push({ callerAt: at, caller, calledAt: at + 1, called });
    const perPeriod = at >= 2000 && at < 3000 ? 0 : at >= 3000 && at < 3200 ? 5 : 10;
    caller += perPeriod;
    called += perPeriod;
  }
  return out;
}

test('rates are packets over each counter own read times', () => {
  const s = samples();
  assert.deepEqual(rateAt(s, 1), { caller: 100, called: 100 });
  assert.deepEqual(rateOver(s, 0, 2000), { caller: 100, called: 100 });
  const skewed: RtpSample[] = [{ callerAt: 0, caller: 0, calledAt: 0, called: 0 }, { callerAt: 100, caller: 10, calledAt: 200, called: 10 }];
  assert.deepEqual(rateAt(skewed, 1), { caller: 100, called: 50 });
});

test('audio is back at the first period at 90 % of the baseline both ways; first packets earlier', () => {
  const s = samples();
  const baseline = { caller: 100, called: 100 };
  assert.equal(firstPackets(s, 2500, 5000), 500);
  assert.equal(audioBack(s, 2500, 5000, baseline), 700);
  assert.equal(audioBack(s, 2500, 3100, baseline), Number.POSITIVE_INFINITY, 'not back before the next cut');
});
