/**
 * Soak, the suite's 2-minute version of `npm run soak` (issue 17, "What must be shown" 7): 100
 * calls with RTP both ways through a real `sbc-agent run`, its tunnel and a real `sbc-agent hub`,
 * in namespaces the rig makes, while the agent's WAN goes down for 10 s every 30 s (3 flaps).
 *
 * Asserted, with the tolerance the issue gives: no call dropped (every call completes its BYE),
 * no registration lost (20 SIPp phones registering for 60 s and refreshing every 20–30 s through
 * the tunnel all along: each binding in Kamailio's location table at every 5 s sample and at the
 * end, in the agent's status at the end, no phone without a 200 for longer than its binding lasts,
 * every failed REGISTER followed by a 200 within the refresh time), audio back both ways within
 * 2 s of each return (90 % of the packet rate before the first flap), open file descriptors
 * within 10 % between the first and the last minute. Memory: the issue's
 * 10 % limit is judged over 10 minutes by `npm run soak` (its first minute is past the warm-up);
 * in 2 minutes the first minute is still warming up (the heap grows to its working size), so the
 * suite keeps a 25 % tripwire that a leak of the call path trips. The 10-minute run measured the
 * agent at +11.7 % (issue 17's note): over the limit, not yet explained.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { growth, runSoak, soakReport } from '../../bench/soak.js';

test('100 calls through the tunnel while the WAN flaps (10 s down, 20 s up) for 2 minutes', { timeout: 300_000 }, async () => {
  // SOAK_RAW=FILE keeps the raw samples (RTP counts, link-up times, the agent's tunnel log lines).
  const rawFile = process.env.SOAK_RAW;
  const result = await runSoak({ minutes: 2, calls: 100, phones: 20, ...(rawFile === undefined ? {} : { rawFile }) });
  process.stdout.write(`${soakReport(result).replace(/^/gm, '# ')}\n`);
  assert.equal(result.flaps, 3);
  assert.equal(result.failed, 0, 'no call dropped');
  assert.equal(result.successful, 100, 'every call completed');
  const reg = result.registrations;
  // Each phone refreshes at least 3 times in the 2 minutes (every 20–30 s), some of them into cuts.
  assert.ok(reg.registered >= reg.phones * 4, `every phone registered and refreshed: ${reg.registered} 200s for ${reg.phones} phones`);
  assert.ok(reg.sentInCuts >= 1, `some refreshes were sent while the WAN was cut (${reg.sentInCuts})`);
  assert.deepEqual(reg.lost, [], 'no phone went without a 200 for longer than its binding lasts');
  assert.equal(reg.unrecovered, 0, 'every failed REGISTER was followed by a 200 within the refresh time');
  assert.ok(reg.pbxSamples >= 20, `the location table was read all along (${reg.pbxSamples} samples)`);
  assert.equal(reg.pbxFewest, reg.phones, 'every binding at the PBX at every sample');
  assert.equal(reg.atPbx, reg.phones, 'every binding at the PBX at the end');
  assert.equal(reg.atAgent, reg.phones, "every binding in the agent's status at the end");
  assert.ok(result.baselinePps.caller > 100 * 40 && result.baselinePps.called > 100 * 40, `RTP flowed on every call before the flaps: ${JSON.stringify(result.baselinePps)}`);
  for (const [i, ms] of result.audioBackMs.entries()) assert.ok(ms <= 2000, `flap ${i + 1}: audio back after ${ms} ms`);
  for (const who of ['agent', 'hub'] as const) {
    const { first, last } = result[who];
    assert.ok(growth(first.rssKb, last.rssKb) <= 0.25, `${who} RSS ${first.rssKb} → ${last.rssKb} kB (2-minute tripwire 25 %; the 10 % limit is npm run soak's)`);
    assert.ok(growth(first.fds, last.fds) <= 0.1, `${who} fds ${first.fds} → ${last.fds}`);
  }
});
