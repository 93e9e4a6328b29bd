/**
 * The status pages in a real browser (Debian's chromium, headless, driven by playwright-core)
 * against the real hub and agent processes: the agent page shows the tunnel up, and a phone that
 * registers after the page is open appears without a reload (event stream), and a phone waiting in
 * the plug-and-play inbox is approved with its button (phones.json records it); the hub page adds an
 * SBC through its form and shows the provisioning URL, the key and the fingerprint, with the QR
 * code. Screenshots are taken each run; with UPDATE_SCREENSHOTS=1 they replace docs/img/admin-*.png
 * (shown in the README), else they go to a temporary folder. A phone-sized viewport: the pages are
 * read on a phone on site.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { realClock } from '../../src/core/index.js';
import { InboxFile, mergeSightings } from '../../src/pnp/index.js';
import { startAdminRig } from '../support/admin-rig.js';
import { REPO_ROOT } from '../support/paths.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = process.env['UPDATE_SCREENSHOTS'] === '1' ? join(REPO_ROOT, 'docs', 'img') : mkdtempSync(join(tmpdir(), 'sbc-admin-shots-'));

test('status pages in chromium: agent page live (tunnel up, a phone appears without reload), hub page adds an SBC', { timeout: 180_000 }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/install-test-deps.sh installs Debian's chromium`);
  const rig = await startAdminRig();
  t.after(() => rig.close());
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
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

  // A phone waiting in the plug-and-play inbox (as the responder records one) is approved from the page.
  const inbox = new InboxFile(join(rig.dir, 'agent'), realClock);
  const now = new Date().toISOString();
  await inbox.update((d) => mergeSightings(d, [{ id: '001565f4f9e1', mac: '001565f4f9e1', brand: 'yealink', model: 'T46S', firmware: '66.86.0.15', userAgent: 'Yealink SIP-T46S 66.86.0.15', ip: '127.0.0.1', firstSeen: now, lastSeen: now, state: 'pending', extension: undefined }]));
  const row = page.locator('[data-phone="001565f4f9e1"]');
  await row.getByRole('button', { name: 'Approve' }).click({ timeout: 15_000 });
  await row.getByText('approved', { exact: true }).waitFor({ timeout: 15_000 });
  assert.equal(inbox.read().phones.find((p) => p.id === '001565f4f9e1')?.state, 'approved', 'the decision is in phones.json, as `sbc-agent phones approve` writes it');
  assert.equal(new URL(page.url()).hash, '', 'the token left the address bar');
  await page.screenshot({ path: join(SHOTS, 'admin-agent.png'), fullPage: true });

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
  await hubPage.screenshot({ path: join(SHOTS, 'admin-hub.png'), fullPage: true });
  assert.ok(statSync(join(SHOTS, 'admin-hub.png')).size > 10_000 && statSync(join(SHOTS, 'admin-agent.png')).size > 10_000, 'both screenshots were written');
  if (process.env['UPDATE_SCREENSHOTS'] !== '1') rmSync(SHOTS, { recursive: true, force: true });
  assert.deepEqual(problems, [], 'no script error on either page');
});
