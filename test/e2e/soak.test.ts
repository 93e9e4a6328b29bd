/**
 * Soak, the suite's 2-minute version of `npm run soak` (issue 17, "What must be shown" 7): 100
 * calls with RTP both ways through a real `sbc-agent run`, its tunnel and a real `sbc-agent hub`,
 * in namespaces the rig makes, while the agent's WAN goes down for 10 s every 30 s (3 flaps).
 *
 * Asserted, with the tolerance the issue gives: no call dropped (every call completes its BYE),
 * audio back both ways within 2 s of each return (90 % of the packet rate before the first flap),
 * open file descriptors within 10 % between the first and the last minute. Memory: the issue's
 * 10 % limit is judged over 10 minutes by `npm run soak` (its first minute is past the warm-up);
 * in 2 minutes the first minute is still warming up (the heap grows to its working size), so the
 * suite keeps a 25 % tripwire that a leak of the call path trips. The 10-minute run measured the
 * agent at +11.7 % (issue 17's note): over the limit, not yet explained.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { growth, runSoak } from '../../bench/soak.js';

test('100 calls through the tunnel while the WAN flaps (10 s down, 20 s up) for 2 minutes', { timeout: 300_000 }, async () => {
  const result = await runSoak({ minutes: 2, calls: 100 });
  process.stdout.write(`# soak figures: ${JSON.stringify(result)}\n`);
  assert.equal(result.flaps, 3);
  assert.equal(result.failed, 0, 'no call dropped');
  assert.equal(result.successful, 100, 'every call completed');
  assert.ok(result.baselinePps.caller > 100 * 40 && result.baselinePps.called > 100 * 40, `RTP flowed on every call before the flaps: ${JSON.stringify(result.baselinePps)}`);
  for (const [i, ms] of result.audioBackMs.entries()) assert.ok(ms <= 2000, `flap ${i + 1}: audio back after ${ms} ms`);
  for (const who of ['agent', 'hub'] as const) {
    const { first, last } = result[who];
    assert.ok(growth(first.rssKb, last.rssKb) <= 0.25, `${who} RSS ${first.rssKb} → ${last.rssKb} kB (2-minute tripwire 25 %; the 10 % limit is npm run soak's)`);
    assert.ok(growth(first.fds, last.fds) <= 0.1, `${who} fds ${first.fds} → ${last.fds}`);
  }
});
