/**
 * Calls under the agent's own call control (issue 11, agent.calls: local), end to end in network
 * namespaces (test/support/local-rig.ts): two baresip phones registered to the agent's local
 * registrar call each other by extension number through the B2BUA, with the media relayed on the
 * agent's LAN address; each hears the other's tone. More call tests (ring groups, hunts,
 * forwarding, trunks, emergency numbers, the blacklist, CDRs) go beside this one on the same rig.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dominantFrequency, type BaresipPhone } from '../support/baresip.js';
import { LocalRig, REALM } from '../support/local-rig.js';

const TONE = { A: 1000, B: 500 } as const;
let rig: LocalRig;
let a: BaresipPhone;
let b: BaresipPhone;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

before(async () => {
  rig = await LocalRig.start({ prefix: 'lcal' });
  a = await rig.baresip('A', '101', TONE.A);
  b = await rig.baresip('B', '102', TONE.B);
  await a.waitRegistered();
  await b.waitRegistered();
});

after(async () => {
  await rig?.stop();
});

function heard(phone: BaresipPhone): number {
  const recordings = phone.decodedRecordings();
  return dominantFrequency(recordings[recordings.length - 1] ?? '').hz;
}

test('extension 101 calls 102 through the agent\'s B2BUA: both answer, each hears the other\'s tone, status counts the call', { timeout: 90_000 }, async () => {
  const since = { a: a.events.length, b: b.events.length };
  await a.command('dial', `sip:102@${REALM}`);
  await b.waitFor('CALL_ESTABLISHED', 15_000, since.b);
  await a.waitFor('CALL_ESTABLISHED', 15_000, since.a);
  await rig.statusUntil((s) => s.parts.calls.active === 1, 'one call in status');
  await sleep(4000);
  const bHears = heard(b);
  const aHears = heard(a);
  assert.ok(Math.abs(bHears - TONE.A) <= TONE.A * 0.05, `102 hears 101's ${TONE.A} Hz (got ${bHears})\nagent: ${rig.agent.stderr.slice(-3000)}`);
  assert.ok(Math.abs(aHears - TONE.B) <= TONE.B * 0.05, `101 hears 102's ${TONE.B} Hz (got ${aHears})`);
  await a.command('hangup');
  await b.waitFor('CALL_CLOSED', 10_000, since.b);
  await rig.statusUntil((s) => s.parts.calls.active === 0, 'the call ended in status');
  await rig.agent.waitForStderr(/call detail record/, 5_000);
});
