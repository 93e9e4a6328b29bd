/**
 * A flood of 10,000 SUBSCRIBEs from one address does not delay a phone on another address by
 * more than 100 ms (issue 5, "What must be shown" 4), and malformed SUBSCRIBEs are counted and
 * dropped without a crash. The flood source, the phone and `sbc-agent pnp` are three processes
 * in a namespace this test creates; the flood is spread over about a second so the phone's
 * SUBSCRIBE lands in the middle of it (the test checks that it did).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNamespace, groupSubscribe, removeNamespace, runPhone, startPnp } from '../support/pnp-e2e.js';
import type { PhoneScript } from '../support/pnp-phone.js';

const GROUP_PORT = 14160;

function subscribe(mac: string, extra: readonly string[] = []): string[] {
  return groupSubscribe(mac, [...extra, 'Event: ua-profile;profile-type="device";vendor="yealink";model="T46S";version="66.86.0.15"']);
}

const base = { iface: '127.0.0.1', group: '224.0.1.75', groupPort: GROUP_PORT };

test('10,000 SUBSCRIBEs from one address: rate-limited, and a phone elsewhere is answered within 100 ms', async (t) => {
  const ns = `pnp-fl-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'pnp-flood-'));
  createNamespace(ns);
  try {
    const pnp = await startPnp(ns, ['--listen', '127.0.0.1', '--port', String(GROUP_PORT), '--state-dir', dir, '--policy', 'auto', '--log-level', 'warn']);
    let stats: Record<string, number> = {};
    try {
      const contact = ['Contact: <sip:{ip}:{port}>'];
      const flood: PhoneScript = { ...base, bind: '127.0.0.2', lines: subscribe('001565aaaaaa', contact), count: 10_000, spreadMs: 1_000, listenMs: 200 };
      const phone: PhoneScript = { ...base, bind: '127.0.0.3', lines: subscribe('001565bbbbbb', contact), startDelayMs: 500, answerNotify: true, listenMs: 500 };
      const [floodReport, phoneReport] = await Promise.all([runPhone(ns, flood), runPhone(ns, phone)]);
      assert.equal(floodReport.sent, 10_000);
      assert.ok(
        floodReport.firstSendWall <= phoneReport.firstSendWall && phoneReport.firstSendWall <= floodReport.lastSendWall,
        `the phone sent during the flood (flood ${floodReport.firstSendWall}..${floodReport.lastSendWall}, phone ${phoneReport.firstSendWall})`,
      );
      const ok = phoneReport.received.find((m) => m.text.startsWith('SIP/2.0 200 OK'));
      const notify = phoneReport.received.find((m) => m.text.startsWith('NOTIFY '));
      assert.ok(ok !== undefined && notify !== undefined, 'the phone got its 200 and NOTIFY');
      t.diagnostic(`phone answered ${ok.ms.toFixed(1)} ms after its SUBSCRIBE, NOTIFY after ${notify.ms.toFixed(1)} ms, during a flood of 10,000`);
      assert.ok(ok.ms < 100, `200 OK after ${ok.ms} ms`);
      assert.ok(notify.ms < 100, `NOTIFY after ${notify.ms} ms`);

      // Malformed SUBSCRIBEs from a third address: counted, dropped, the process stays up.
      const broken = subscribe('001565cccccc');
      for (const lines of [broken, broken.filter((l) => !l.startsWith('Event')), ['garbage \u0001'], ['SUBSCRIBE sip:x SIP/2.0', 'Via: nonsense']]) {
        await runPhone(ns, { ...base, bind: '127.0.0.4', lines, listenMs: 50 });
      }
    } finally {
      stats = (await pnp.stop()).stats;
    }
    assert.ok((stats['rateLimited'] ?? 0) >= 9_980, `rate-limited ${stats['rateLimited']}`);
    assert.equal(stats['malformed'], 4);
    assert.equal(stats['notifyAnswered'], 1);
  } finally {
    removeNamespace(ns);
    rmSync(dir, { recursive: true, force: true });
  }
});
