/**
 * The status pages in a real browser (Debian's chromium, headless, driven by playwright-core)
 * against the real hub and agent processes: the agent page shows the tunnel up, and a phone that
 * registers after the page is open appears without a reload (event stream), and a desk phone that
 * boots (a SIPp SUBSCRIBE to 224.0.1.75, Event ua-profile) waits in the plug-and-play inbox, is
 * approved with its button (phones.json records it) and then gets its NOTIFY with the provisioning
 * URL: as RFC 6080 §4.1 phones do, it keeps retransmitting its SUBSCRIBE, and the agent answers the
 * first one after the approval (a pending phone gets no answer at all). A SIPp call then gets its
 * own jitter/loss plot under the calls. The hub page adds an
 * SBC through its form and shows the provisioning URL, the key and the fingerprint, with the QR
 * code. Screenshots are taken each run; with UPDATE_SCREENSHOTS=1 they replace docs/img/admin-*.png
 * (shown in the README), else they go to a temporary folder. A phone-sized viewport: the pages are
 * read on a phone on site.
 *
 * Everything (hub, agent, PBX, phones and chromium) runs in a network namespace this test creates
 * (prefix `admpg-`): the host's loopback has no multicast for the phone's SUBSCRIBE.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { realClock } from '../../src/core/index.js';
import { InboxFile } from '../../src/pnp/index.js';
import { startAdminRig } from '../support/admin-rig.js';
import { SCENARIOS, sippMessages, spawnCollect } from '../support/pnp-e2e.js';
import { REPO_ROOT } from '../support/paths.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = process.env['UPDATE_SCREENSHOTS'] === '1' ? join(REPO_ROOT, 'docs', 'img') : mkdtempSync(join(tmpdir(), 'sbc-admin-shots-'));

test('status pages in chromium: agent page live (tunnel up, a phone appears without reload), hub page adds an SBC', { timeout: 180_000 }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/install-test-deps.sh installs Debian's chromium`);
  const netns = `admpg-${process.pid}`;
  const rig = await startAdminRig({ netns });
  t.after(() => rig.close());
  // playwright talks to chromium over a pipe, so chromium may run inside the namespace.
  const launcher = join(rig.dir, 'chromium-in-netns.sh');
  writeFileSync(launcher, `#!/bin/sh\nexec ip netns exec ${netns} ${CHROMIUM} "$@"\n`);
  chmodSync(launcher, 0o755);
  const browser = await chromium.launch({ executablePath: launcher, args: ['--no-sandbox'] });
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 412, height: 915 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));

  // The agent page, token in the fragment (kept in localStorage, removed from the address).
  await page.goto(`${rig.agentAdmin}/#token=${encodeURIComponent(rig.agentToken)}`);
  await page.locator('#tunnel-state').getByText('up', { exact: true }).waitFor({ timeout: 20_000 });
  await page.locator('#live').getByText('live').waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('[data-aor]').count(), 0, 'no phone before the REGISTER');
  const loads: string[] = [];
  page.on('load', () => loads.push(page.url()));
  await rig.register('1001');
  await page.locator('[data-aor="sip:1001@pbx.test"]').waitFor({ timeout: 15_000 });
  assert.deepEqual(loads, [], 'the phone appeared without a reload');

  // A Yealink desk phone boots: SUBSCRIBE to the plug-and-play group, retransmitted while unanswered
  // (up to 30 times, so the approval has time to happen); it waits in the inbox until approved.
  const phoneLog = join(rig.dir, 'phone-sipp.log');
  const phone = spawnCollect('ip', [
    'netns', 'exec', netns, 'sipp', `224.0.1.75:${rig.agentSip}`, '-sf', join(SCENARIOS, 'pnp-subscribe.xml'),
    '-key', 'ruri', 'sip:MAC001565f4f9e1@224.0.1.75', '-key', 'from', '<sip:MAC001565f4f9e1@224.0.1.75>', '-key', 'contact_user', 'MAC001565f4f9e1@',
    '-key', 'event', 'ua-profile;profile-type="device";vendor="yealink";model="T46S";version="66.86.0.15"', '-key', 'ua', 'Yealink SIP-T46S 66.86.0.15',
    '-i', '127.0.0.1', '-p', '15090', '-m', '1', '-nostdin', '-max_non_invite_retrans', '30', '-timeout', '60s', '-trace_msg', '-message_file', phoneLog,
  ]);
  t.after(() => { if (phone.child.exitCode === null && phone.child.pid !== undefined) process.kill(phone.child.pid, 'SIGTERM'); });
  const row = page.locator('[data-phone="001565f4f9e1"]');
  await row.getByRole('button', { name: 'Approve' }).waitFor({ timeout: 15_000 });
  assert.equal(sippMessages(readFileSync(phoneLog, 'latin1')).filter((m) => m.direction === 'received').length, 0, 'a pending phone gets no answer');
  await row.getByRole('button', { name: 'Approve' }).click({ timeout: 15_000 });
  await row.getByText('approved', { exact: true }).waitFor({ timeout: 15_000 });
  const inbox = new InboxFile(join(rig.dir, 'agent'), realClock);
  assert.equal(inbox.read().phones.find((p) => p.id === '001565f4f9e1')?.state, 'approved', 'the decision is in phones.json, as `sbc-agent phones approve` writes it');
  const booted = await phone.done;
  assert.equal(booted.code, 0, `the phone got its 200 and NOTIFY after the approval: ${booted.stderr}`);
  const messages = sippMessages(readFileSync(phoneLog, 'latin1'));
  assert.ok(messages.filter((m) => m.direction === 'sent' && m.text.startsWith('SUBSCRIBE')).length >= 2, 'answered only after a retransmission');
  const notify = messages.find((m) => m.direction === 'received' && m.text.startsWith('NOTIFY'))?.text ?? '';
  assert.match(notify.slice(notify.indexOf('\r\n\r\n') + 4), /^http:\/\/127\.0\.0\.1:\d+\//, 'the NOTIFY carries the provisioning URL');
  assert.equal(new URL(page.url()).hash, '', 'the token left the address bar');

  // The last hour's plot (uPlot, from /api/history): a canvas, and the samples it was given.
  await page.locator('#history-plot canvas').waitFor({ timeout: 10_000 });
  const plotted = await page.evaluate(() => {
    const plot = (globalThis as unknown as { sbcPlots?: Record<string, { data: Array<Array<number | null>> }> }).sbcPlots?.['history-plot'];
    return plot === undefined ? undefined : { times: plot.data[0]?.length ?? 0, calls: (plot.data[2] ?? []).filter((v) => typeof v === 'number').length };
  });
  assert.ok(plotted !== undefined && plotted.times >= 1 && plotted.calls >= 1, `the plot holds samples: ${JSON.stringify(plotted)}`);

  // A call with RTP both ways (SIPp through agent, tunnel and hub): its own jitter/loss plot appears
  // under the calls (/api/calls/history, sampled every 5 s), drawn while the call is up.
  const calling = rig.call(25_000);
  await page.locator('#call-plots canvas').waitFor({ timeout: 20_000 });
  // Two samples at least, so the screenshot shows a line.
  await page.waitForFunction(() => ((globalThis as unknown as { sbcPlots?: Record<string, { data: unknown[][] }> }).sbcPlots?.['call-plot-1']?.data[0]?.length ?? 0) >= 2, undefined, { timeout: 15_000 }).catch(() => undefined);
  const callPlot = await page.evaluate(() => {
    const plot = (globalThis as unknown as { sbcPlots?: Record<string, { data: Array<Array<number | null>> }> }).sbcPlots?.['call-plot-1'];
    return plot === undefined ? undefined : { times: plot.data[0]?.length ?? 0, jitterFromPhone: (plot.data[1] ?? []).filter((v) => typeof v === 'number').length };
  });
  assert.ok(callPlot !== undefined && callPlot.times >= 1 && callPlot.jitterFromPhone >= 1, `the call's plot holds jitter samples: ${JSON.stringify(callPlot)}`);
  await page.screenshot({ path: join(SHOTS, 'admin-agent.png'), fullPage: true });
  await calling;

  // The hub page: add an SBC through the form.
  const hubPage = await context.newPage();
  hubPage.on('pageerror', (e) => problems.push(e.message));
  await hubPage.goto(`${rig.hubAdmin}/#token=${encodeURIComponent(rig.hubToken)}`);
  await hubPage.locator('[data-sbc="branch-1"]').waitFor({ timeout: 10_000 });
  await hubPage.getByLabel('SBC name').fill('branch-lyon');
  await hubPage.getByRole('button', { name: 'Add SBC' }).click();
  await hubPage.locator('#issued-url').getByText(/^https:\/\/127\.0\.0\.1:\d+\/enroll\//).waitFor({ timeout: 10_000 });
  const key = await hubPage.locator('#issued-key').textContent();
  const fingerprint = await hubPage.locator('#issued-fingerprint').textContent();
  assert.match(key ?? '', /^[0-9A-Z]{4}(-[0-9A-Z]{4})+$/);
  assert.match(fingerprint ?? '', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.equal(await hubPage.locator('#issued-qr svg').count(), 1, 'the QR code of the URL is drawn');
  await hubPage.locator('[data-sbc="branch-lyon"]').waitFor({ timeout: 10_000 });
  // The calls-per-SBC plot has a line for each SBC, the new one too once sampled (every 10 s).
  await hubPage.locator('#calls-plot canvas').waitFor({ timeout: 10_000 });
  const hubPlotted = await hubPage.evaluate(() => {
    const plot = (globalThis as unknown as { sbcPlots?: Record<string, { data: Array<Array<number | null>>; series: Array<{ label?: string }> }> }).sbcPlots?.['calls-plot'];
    return plot === undefined ? undefined : { times: plot.data[0]?.length ?? 0, labels: plot.series.slice(1).map((x) => x.label) };
  });
  assert.ok(hubPlotted !== undefined && hubPlotted.times >= 1 && hubPlotted.labels.includes('branch-1'), `the hub plot holds samples per SBC: ${JSON.stringify(hubPlotted)}`);
  await hubPage.screenshot({ path: join(SHOTS, 'admin-hub.png'), fullPage: true });
  assert.ok(statSync(join(SHOTS, 'admin-hub.png')).size > 10_000 && statSync(join(SHOTS, 'admin-agent.png')).size > 10_000, 'both screenshots were written');
  if (process.env['UPDATE_SCREENSHOTS'] !== '1') rmSync(SHOTS, { recursive: true, force: true });
  assert.deepEqual(problems, [], 'no script error on either page');
});
