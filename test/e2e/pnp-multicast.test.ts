/**
 * LAN plug-and-play end to end: SIPp phones send their SUBSCRIBEs over real multicast (the
 * group 224.0.1.75 on the loopback of a network namespace this test creates, so nothing
 * leaves by the host's default interface) to a running `sbc-agent pnp` process.
 * - each approved phone gets its 200 and a NOTIFY at its Contact address and port, with the
 *   URL shaped for its brand, and no NOTIFY again once SIPp has answered 200;
 * - a phone that never answers gets the NOTIFY retransmitted per Timer E until Timer F
 *   (T1 100 ms, T2 400 ms: 17 retransmissions within 6.4 s);
 * - a phone nobody approved waits in `sbc-agent phones --json`, is approved while it retries,
 *   and then gets its URL.
 * All the SIPp phones share the source address 127.0.0.1, so the per-source rate limit is
 * raised for this test (the flood test checks the limit itself).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNamespace, phones, removeNamespace, sippMessages, sippPhone, startPnp, type SippPhone } from '../support/pnp-e2e.js';

const GROUP_PORT = 14060;
const BASE = 'http://127.0.0.1:14080/prov/';

interface Case {
  readonly name: string;
  readonly id: string;
  readonly phone: SippPhone;
  readonly url: string;
}

const CASES: readonly Case[] = [
  {
    name: 'Yealink W52P', id: '001565f4f9e1', url: BASE,
    phone: { ruri: 'sip:MAC001565f4f9e1@224.0.1.75', from: '<sip:MAC001565f4f9e1@224.0.1.75>', contactUser: 'MAC001565f4f9e1@', event: 'ua-profile;profile-type="device";vendor="yealink";model="W52P";version="25.81.0.10"', ua: 'Yealink W52P 25.81.0.10' },
  },
  {
    name: 'Grandstream GRP2612W', id: 'c074ad112233', url: BASE,
    phone: { ruri: 'sip:MAC%3AC074AD112233@224.0.1.75', from: '<sip:MAC%3AC074AD112233@224.0.1.75>', contactUser: '', event: 'ua-profile;profile-type="device";vendor="Grandstream";model="GRP2612W";version="1.0.5.67"', ua: 'Grandstream GRP2612W 1.0.5.67' },
  },
  {
    name: 'snom 720', id: '00135e874b49', url: `${BASE}{mac}.xml`,
    phone: { ruri: 'sip:MAC%3a00135E874B49@fake', from: '<sip:MAC%3a00135E874B49>', contactUser: '', event: 'ua-profile;profile-type="device";vendor="snom";model="snom720";version="7.1.19"', ua: 'snom720/7.1.19' },
  },
  {
    name: 'AudioCodes 420HD', id: 'ip:127.0.0.1', url: BASE,
    phone: { ruri: 'sip:224.0.1.75:5060', from: '<sip:00000001@224.0.1.75>', contactUser: '00000001@', event: 'ua-profile;profile-type="application";model="420HD";version="1.2.1_build_6"', ua: 'AUDC-IPPhone/1.2.1_build_6' },
  },
  {
    name: 'PLANET VIP-2140PT', id: '00304fa99948', url: BASE,
    phone: { ruri: 'sip:224.0.1.75', from: '<sip:MAC=00304fa99948@224.0.1.75>', contactUser: '', event: 'ua-profile;profile-type="device";vendor="PLANET";model="VIP-2140PT";version="2.0.3.2991"', ua: 'PLANET VIP-2140PT' },
  },
  {
    name: 'Panasonic (vender=)', id: '0080f0aabbcc', url: `${BASE}{mac}.cfg`,
    phone: { ruri: 'sip:MAC%3a0080f0aabbcc@224.0.1.75', from: '<sip:MAC%3a0080f0aabbcc@224.0.1.75>', contactUser: '', event: 'ua-profile;profile-type=device;vender=Panasonic;model=KX-HDV130', ua: 'Panasonic_KX-HDV130/05.100' },
  },
];

const SILENT: SippPhone = { ...CASES[0]!.phone, ruri: 'sip:MAC001565000001@224.0.1.75', from: '<sip:MAC001565000001@224.0.1.75>', contactUser: 'MAC001565000001@' };
const PENDING: SippPhone = { ...CASES[1]!.phone, ruri: 'sip:MAC%3AC074AD000002@224.0.1.75', from: '<sip:MAC%3AC074AD000002@224.0.1.75>' };

function header(text: string, name: string): string | undefined {
  return new RegExp(`^${name}:\\s*(.*?)\\r?$`, 'mi').exec(text)?.[1];
}

function body(text: string): string {
  return text.slice(text.indexOf('\r\n\r\n') + 4).replace(/\s+$/, '');
}

test('SIPp phones over real multicast get 200 + NOTIFY; Timer E/F; inbox approval', async () => {
  const ns = `pnp-mc-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'pnp-e2e-'));
  createNamespace(ns);
  try {
    for (const c of CASES) phones(['approve', c.id, '--state-dir', dir]);
    phones(['approve', '001565000001', '--state-dir', dir]);
    const pnp = await startPnp(ns, [
      '--listen', '127.0.0.1', '--port', String(GROUP_PORT), '--http-port', '14080', '--url-base', 'http://{ip}:{port}/prov/',
      '--state-dir', dir, '--policy', 'inbox', '--t1', '100', '--t2', '400', '--rate-burst', '100', '--log-level', 'warn',
    ]);
    let stats: Record<string, number> = {};
    try {
      const runs = CASES.map((c, i) => sippPhone(ns, 'pnp-subscribe.xml', c.phone, GROUP_PORT, 14061 + i, dir));
      const silent = sippPhone(ns, 'pnp-subscribe-silent.xml', SILENT, GROUP_PORT, 14070, dir);
      const pending = sippPhone(ns, 'pnp-subscribe.xml', PENDING, GROUP_PORT, 14071, dir);

      // The unapproved phone shows up as pending; approving it answers its next retransmission.
      let listed: Array<{ id: string; state: string; brand: string; model?: string }> = [];
      for (let i = 0; i < 50 && !listed.some((p) => p.id === 'c074ad000002'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        listed = JSON.parse(phones(['--json', '--state-dir', dir])) as typeof listed;
      }
      const seen = listed.find((p) => p.id === 'c074ad000002');
      assert.deepEqual([seen?.state, seen?.brand, seen?.model], ['pending', 'grandstream', 'GRP2612W']);
      phones(['approve', 'C0:74:AD:00:00:02', '--extension', '201', '--state-dir', dir]);
      const pendingDone = await pending.done;
      assert.equal(pendingDone.code, 0, pendingDone.stderr);
      const pendingMsgs = sippMessages(readFileSync(pending.log, 'latin1'));
      assert.ok(pendingMsgs.filter((m) => m.direction === 'sent' && m.text.startsWith('SUBSCRIBE')).length >= 2, 'answered only after a retransmission');
      assert.equal(body(pendingMsgs.find((m) => m.text.startsWith('NOTIFY'))?.text ?? ''), BASE);

      for (const [i, c] of CASES.entries()) {
        const done = await runs[i]!.done;
        assert.equal(done.code, 0, `${c.name}: ${done.stderr}`);
        const received = sippMessages(readFileSync(runs[i]!.log, 'latin1')).filter((m) => m.direction === 'received');
        assert.equal(received.length, 2, `${c.name}: the 200 and one NOTIFY only (none after SIPp's 200)`);
        const [ok, notify] = received.map((m) => m.text);
        assert.match(ok ?? '', /^SIP\/2\.0 200 OK\r\n/);
        assert.match(header(ok ?? '', 'Via') ?? '', new RegExp(`;rport=${14061 + i};received=127\\.0\\.0\\.1$`));
        assert.equal(notify?.split('\r\n')[0], `NOTIFY sip:${c.phone.contactUser}127.0.0.1:${14061 + i} SIP/2.0`, c.name);
        assert.equal(header(notify ?? '', 'Event'), c.phone.event);
        assert.equal(header(notify ?? '', 'Subscription-State'), 'terminated;reason=timeout');
        assert.equal(header(notify ?? '', 'Content-Type'), 'application/url');
        assert.equal(body(notify ?? ''), c.url, c.name);
        assert.equal(header(notify ?? '', 'Content-Length'), String(Buffer.byteLength(c.url)));
      }

      const silentDone = await silent.done;
      assert.equal(silentDone.code, 0, silentDone.stderr);
      const notifies = sippMessages(readFileSync(silent.log, 'latin1')).filter((m) => m.direction === 'received' && m.text.startsWith('NOTIFY'));
      assert.equal(notifies.length, 18, 'the NOTIFY and 17 Timer E retransmissions (T1 100, T2 400, Timer F 6.4 s)');
      assert.equal(new Set(notifies.map((m) => m.text)).size, 1);
    } finally {
      stats = (await pnp.stop()).stats;
    }
    assert.equal(stats['notifyTimeouts'], 1);
    assert.equal(stats['notifyRetransmissions'], 17);
    assert.equal(stats['notifyAnswered'], CASES.length + 1);
    assert.equal(stats['malformed'], 0);
    const after = JSON.parse(phones(['--json', '--state-dir', dir])) as Array<{ id: string; state: string; extension?: string }>;
    assert.deepEqual(after.filter((p) => p.id === 'c074ad000002').map((p) => [p.state, p.extension]), [['approved', '201']]);
  } finally {
    removeNamespace(ns);
    rmSync(dir, { recursive: true, force: true });
  }
});
