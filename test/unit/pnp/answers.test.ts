/**
 * The real captures of test/support/pnp-captures.ts and their variants, each with what the
 * responder must make of it: the phone's identity, the exact 200 OK and NOTIFY, and where each
 * one is sent (200: Via/rport; NOTIFY: the Contact URI).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALL_CAPTURES, AUDIOCODES_420HD, FANVIL_GENERIC, GRANDSTREAM_GRP2612W, PANASONIC_VENDER, PLANET_VIP2140PT, SNOM_720,
  YEALINK_COMPACT, YEALINK_W52P, captureBytes, type PnpCapture,
} from '../../support/pnp-captures.js';
import { pnpRig } from '../../support/pnp-rig.js';

interface Expected {
  readonly capture: PnpCapture;
  readonly to200: string;
  readonly ok: readonly string[];
  readonly toNotify: string;
  readonly notify: readonly string[];
  readonly url: string;
}

const TABLE: readonly Expected[] = [
  {
    capture: YEALINK_W52P,
    to200: '10.1.3.239:5059',
    ok: [
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP 10.1.3.239:5059;branch=z9hG4bK1536537630',
      'From: <sip:MAC001565f4f9e1@224.0.1.75>;tag=1536537630',
      'To: <sip:MAC001565f4f9e1@224.0.1.75>;tag=agtag1',
      'Call-ID: 1536537630@10.1.3.239',
      'CSeq: 1 SUBSCRIBE',
      'Contact: <sip:10.0.0.1:5060>',
      'Expires: 0',
      'Content-Length: 0',
    ],
    toNotify: '10.1.3.239:5059',
    notify: [
      'NOTIFY sip:MAC001565f4f9e1@10.1.3.239:5059 SIP/2.0',
      'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKagent1;rport',
      'Max-Forwards: 70',
      'From: <sip:MAC001565f4f9e1@224.0.1.75>;tag=agtag1',
      'To: <sip:MAC001565f4f9e1@224.0.1.75>;tag=1536537630',
      'Call-ID: 1536537630@10.1.3.239',
      'CSeq: 1 NOTIFY',
      'Contact: <sip:10.0.0.1:5060>',
      'Event: ua-profile;profile-type="device";vendor="yealink";model="W52P";version="25.81.0.10"',
      'Subscription-State: terminated;reason=timeout',
      'Content-Type: application/url',
      'Content-Length: 21',
    ],
    url: 'http://10.0.0.1:8080/',
  },
  {
    capture: GRANDSTREAM_GRP2612W,
    to200: '192.168.1.2:5080',
    ok: [
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP 192.168.1.2:5080;branch=z9hG4bK1611133778;rport=5080;received=192.168.1.2',
      'From: <sip:MAC%3AC074AD112233@224.0.1.75>;tag=395400190',
      'To: <sip:MAC%3AC074AD112233@224.0.1.75>;tag=agtag1',
      'Call-ID: 490431573-5080-1@BJC.BGI.IG.DA',
      'CSeq: 20000 SUBSCRIBE',
      'Contact: <sip:10.0.0.1:5060>',
      'Expires: 0',
      'Content-Length: 0',
    ],
    toNotify: '192.168.1.2:5080',
    notify: [
      'NOTIFY sip:192.168.1.2:5080 SIP/2.0',
      'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKagent1;rport',
      'Max-Forwards: 70',
      'From: <sip:MAC%3AC074AD112233@224.0.1.75>;tag=agtag1',
      'To: <sip:MAC%3AC074AD112233@224.0.1.75>;tag=395400190',
      'Call-ID: 490431573-5080-1@BJC.BGI.IG.DA',
      'CSeq: 1 NOTIFY',
      'Contact: <sip:10.0.0.1:5060>',
      'Event: ua-profile;profile-type="device";vendor="Grandstream";model="GRP2612W";version="1.0.5.67"',
      'Subscription-State: terminated;reason=timeout',
      'Content-Type: application/url',
      'Content-Length: 21',
    ],
    url: 'http://10.0.0.1:8080/',
  },
  {
    capture: SNOM_720,
    to200: '172.16.18.90:5060',
    ok: [
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP 172.16.18.90:5060;rport=5060;received=172.16.18.90',
      'From: <sip:MAC%3a00135E874B49>;tag=658512961',
      'To: <sip:MAC%3a00135E874B49>;tag=agtag1',
      'Call-ID: 1930770594@ciccio',
      'CSeq: 1 SUBSCRIBE',
      'Contact: <sip:10.0.0.1:5060>',
      'Expires: 0',
      'Content-Length: 0',
    ],
    toNotify: '172.16.18.90:5060',
    notify: [
      'NOTIFY sip:172.16.18.90:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKagent1;rport',
      'Max-Forwards: 70',
      'From: <sip:MAC%3a00135E874B49>;tag=agtag1',
      'To: <sip:MAC%3a00135E874B49>;tag=658512961',
      'Call-ID: 1930770594@ciccio',
      'CSeq: 1 NOTIFY',
      'Contact: <sip:10.0.0.1:5060>',
      'Event: ua-profile;profile-type="device";vendor="snom";model="snom720";version="7.1.19"',
      'Subscription-State: terminated;reason=timeout',
      'Content-Type: application/url',
      'Content-Length: 30',
    ],
    url: 'http://10.0.0.1:8080/{mac}.xml',
  },
  {
    capture: AUDIOCODES_420HD,
    to200: '10.13.2.37:5060',
    ok: [
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP 10.13.2.37:5060;rport=5060;branch=z9hG4bK-386d4398-6ad00ca2-7ca3606e;received=10.13.2.37',
      'From: <sip:00000001@10.13.2.37:5060>;tag=87a5a8-25020d0a-13c4-50029-386d4398-66dc40c-386d4398',
      'To: <sip:224.0.1.75:5060>;tag=agtag1',
      'Call-ID: 8884c8-25020d0a-13c4-50029-386d4398-3e2bcb8e-386d4398',
      'CSeq: 1 SUBSCRIBE',
      'Contact: <sip:10.0.0.1:5060>',
      'Expires: 0',
      'Content-Length: 0',
    ],
    toNotify: '10.13.2.37:5060',
    notify: [
      'NOTIFY sip:00000001@10.13.2.37:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKagent1;rport',
      'Max-Forwards: 70',
      'From: <sip:224.0.1.75:5060>;tag=agtag1',
      'To: <sip:00000001@10.13.2.37:5060>;tag=87a5a8-25020d0a-13c4-50029-386d4398-66dc40c-386d4398',
      'Call-ID: 8884c8-25020d0a-13c4-50029-386d4398-3e2bcb8e-386d4398',
      'CSeq: 1 NOTIFY',
      'Contact: <sip:10.0.0.1:5060>',
      'Event: ua-profile;profile-type="application";model="420HD";version="1.2.1_build_6"',
      'Subscription-State: terminated;reason=timeout',
      'Content-Type: application/url',
      'Content-Length: 21',
    ],
    url: 'http://10.0.0.1:8080/',
  },
  {
    capture: PLANET_VIP2140PT,
    to200: '192.168.0.20:5060',
    ok: [
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP 192.168.0.20:5060;branch=z9hG4bK2991',
      'From: <sip:MAC=00304fa99948@224.0.1.75>;tag=2991',
      'To: <sip:MAC=00304fa99948@224.0.1.75>;tag=agtag1',
      'Call-ID: 2991@192.168.0.20',
      'CSeq: 1 SUBSCRIBE',
      'Contact: <sip:10.0.0.1:5060>',
      'Expires: 0',
      'Content-Length: 0',
    ],
    toNotify: '192.168.0.20:5060',
    notify: [
      'NOTIFY sip:192.168.0.20:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKagent1;rport',
      'Max-Forwards: 70',
      'From: <sip:MAC=00304fa99948@224.0.1.75>;tag=agtag1',
      'To: <sip:MAC=00304fa99948@224.0.1.75>;tag=2991',
      'Call-ID: 2991@192.168.0.20',
      'CSeq: 1 NOTIFY',
      'Contact: <sip:10.0.0.1:5060>',
      'Event: ua-profile;profile-type="device";vendor="PLANET";model="VIP-2140PT";version="2.0.3.2991"',
      'Subscription-State: terminated;reason=timeout',
      'Content-Type: application/url',
      'Content-Length: 21',
    ],
    url: 'http://10.0.0.1:8080/',
  },
  {
    capture: YEALINK_COMPACT,
    to200: '10.1.3.240:5060',
    ok: [
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP 10.1.3.240:5060;branch=z9hG4bK77;rport=5060;received=10.1.3.240',
      'From: <sip:MAC805ec0123456@224.0.1.75>;tag=77',
      'To: <sip:MAC805ec0123456@224.0.1.75>;tag=agtag1',
      'Call-ID: 77@10.1.3.240',
      'CSeq: 1 SUBSCRIBE',
      'Contact: <sip:10.0.0.1:5060>',
      'Expires: 0',
      'Content-Length: 0',
    ],
    toNotify: '10.1.3.240:5060',
    notify: [
      'NOTIFY sip:MAC805ec0123456@10.1.3.240:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKagent1;rport',
      'Max-Forwards: 70',
      'From: <sip:MAC805ec0123456@224.0.1.75>;tag=agtag1',
      'To: <sip:MAC805ec0123456@224.0.1.75>;tag=77',
      'Call-ID: 77@10.1.3.240',
      'CSeq: 1 NOTIFY',
      'Contact: <sip:10.0.0.1:5060>',
      'Event: ua-profile;profile-type="device";vendor="Yealink";model="T53W";version="96.87.0.16"',
      'Subscription-State: terminated;reason=timeout',
      'Content-Type: application/url',
      'Content-Length: 21',
    ],
    url: 'http://10.0.0.1:8080/',
  },
  {
    capture: PANASONIC_VENDER,
    to200: '192.168.0.31:5060',
    ok: [
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP 192.168.0.31:5060',
      'From: <sip:MAC%3a0080f0aabbcc@224.0.1.75>;tag=31',
      'To: <sip:MAC%3a0080f0aabbcc@224.0.1.75>;tag=agtag1',
      'Call-ID: 31@192.168.0.31',
      'CSeq: 1 SUBSCRIBE',
      'Contact: <sip:10.0.0.1:5060>',
      'Expires: 0',
      'Content-Length: 0',
    ],
    toNotify: '192.168.0.31:5060',
    notify: [
      'NOTIFY sip:192.168.0.31:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKagent1;rport',
      'Max-Forwards: 70',
      'From: <sip:MAC%3a0080f0aabbcc@224.0.1.75>;tag=agtag1',
      'To: <sip:MAC%3a0080f0aabbcc@224.0.1.75>;tag=31',
      'Call-ID: 31@192.168.0.31',
      'CSeq: 1 NOTIFY',
      'Contact: <sip:10.0.0.1:5060>',
      'Event: ua-profile;profile-type=device;vender=Panasonic;model=KX-HDV130;version=PHDV130-05.100',
      'Subscription-State: terminated;reason=timeout',
      'Content-Type: application/url',
      'Content-Length: 30',
    ],
    url: 'http://10.0.0.1:8080/{mac}.cfg',
  },
  {
    capture: FANVIL_GENERIC,
    to200: '192.168.0.40:5060',
    ok: [
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP 192.168.0.40:5060;branch=z9hG4bK40',
      'From: <sip:MAC:0c383e63963b@224.0.1.75>;tag=40',
      'To: <sip:MAC:0c383e63963b@224.0.1.75>;tag=agtag1',
      'Call-ID: 40@192.168.0.40',
      'CSeq: 1 SUBSCRIBE',
      'Contact: <sip:10.0.0.1:5060>',
      'Expires: 0',
      'Content-Length: 0',
    ],
    toNotify: '192.168.0.40:5060',
    notify: [
      'NOTIFY sip:192.168.0.40:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKagent1;rport',
      'Max-Forwards: 70',
      'From: <sip:MAC:0c383e63963b@224.0.1.75>;tag=agtag1',
      'To: <sip:MAC:0c383e63963b@224.0.1.75>;tag=40',
      'Call-ID: 40@192.168.0.40',
      'CSeq: 1 NOTIFY',
      'Contact: <sip:10.0.0.1:5060>',
      'Event: ua-profile;profile-type="device";vendor="Fanvil";model="VOIP PHONE";version="2.12.18.9"',
      'Subscription-State: terminated;reason=timeout',
      'Content-Type: application/url',
      'Content-Length: 21',
    ],
    url: 'http://10.0.0.1:8080/',
  },

];

test('every capture of the reference has a row in the table', () => {
  assert.deepEqual(TABLE.map((r) => r.capture.name), ALL_CAPTURES.map((c) => c.name));
});

for (const row of TABLE) {
  const c = row.capture;
  test(`${c.name}: identity, exact 200 OK and NOTIFY, destinations`, async () => {
    const r = pnpRig('auto');
    try {
      r.responder.handleMulticast(captureBytes(c), { ...c.source, family: 'IPv4' });
      const phone = r.inbox.list()[0];
      assert.ok(phone !== undefined);
      assert.deepEqual(
        { mac: phone.mac, brand: phone.brand, model: phone.model, firmware: phone.firmware },
        { mac: c.mac, brand: c.brand, model: c.model, firmware: c.firmware },
      );
      assert.equal(r.lan.sent.length, 2);
      const [ok, notify] = r.lan.sent;
      assert.equal(`${ok?.address}:${ok?.port}`, row.to200);
      assert.equal(ok?.data.toString('latin1'), `${row.ok.join('\r\n')}\r\n\r\n`);
      assert.equal(`${notify?.address}:${notify?.port}`, row.toNotify);
      assert.equal(notify?.data.toString('latin1'), `${row.notify.join('\r\n')}\r\n\r\n${row.url}`);
      assert.equal(row.notify.at(-1), `Content-Length: ${Buffer.byteLength(row.url)}`);
    } finally {
      await r.done();
    }
  });
}
