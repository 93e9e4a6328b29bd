/**
 * The capture recorder (src/capture/recorder.ts): Call-IDs read off SIP messages (compact form
 * too, nothing from RTP), the media addresses an SDP names, a --call capture that keeps only that
 * call's SIP and media, the byte bound that drops the oldest records, and a capture on real
 * sockets that counts what it cannot write instead of throwing into a send.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { CaptureRecorder, PCAP_HEADER_BYTES, captureFor, sdpMediaEndpoints, sipCallId } from '../../../src/capture/index.js';
import { bindUdp } from '../../../src/net/index.js';

test('Call-IDs of SIP messages; none of anything else', () => {
  const cases: [string, string | undefined][] = [
    ['INVITE sip:102@x SIP/2.0\r\nCall-ID: abc@1\r\n\r\n', 'abc@1'],
    ['SIP/2.0 200 OK\r\ni: short-form\r\n\r\n', 'short-form'],
    ['BYE sip:a@b SIP/2.0\nCALL-ID:  spaced \n\n', 'spaced'],
    ['OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n', undefined],
    ['\x80\x00\x00\x01Call-ID: x', undefined],
    ['HTTP/1.1 200 OK\r\nCall-ID: x\r\n\r\n', undefined],
    ['', undefined],
  ];
  for (const [text, expected] of cases) assert.equal(sipCallId(Buffer.from(text, 'latin1')), expected, JSON.stringify(text));
});

test('media addresses of an SDP: session and media-level c=, RTP and RTCP ports, a rejected stream skipped', () => {
  const sdp = 'v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\nm=video 0 RTP/AVP 96\r\nm=audio 40010 RTP/AVP 0\r\nc=IN IP4 10.0.0.6\r\n';
  assert.deepEqual(sdpMediaEndpoints(sdp), ['10.0.0.5|40000', '10.0.0.5|40001', '10.0.0.6|40010', '10.0.0.6|40011']);
  assert.deepEqual(sdpMediaEndpoints('v=0\r\n'), []);
});

const PHONE = { address: '192.168.1.21', port: 5060 };
const AGENT = { address: '192.168.1.1', port: 5060 };
const sip = (first: string, callId: string, body = ''): Buffer => Buffer.from(`${first}\r\nCall-ID: ${callId}\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
const RTP = Buffer.from([0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);

test('with a Call-ID: that call\'s SIP and the RTP of its SDP addresses, nothing of another call', () => {
  const r = new CaptureRecorder({ clock: new ManualClock(), callId: 'call-1' });
  r.add(sip('INVITE sip:102@x SIP/2.0', 'call-1', 'v=0\r\nc=IN IP4 192.168.1.21\r\nm=audio 40000 RTP/AVP 0\r\n'), PHONE, AGENT);
  r.add(sip('INVITE sip:103@x SIP/2.0', 'call-2', 'v=0\r\nc=IN IP4 192.168.1.22\r\nm=audio 40100 RTP/AVP 0\r\n'), { address: '192.168.1.22', port: 5060 }, AGENT);
  r.add(sip('SIP/2.0 200 OK', 'call-1', 'v=0\r\nc=IN IP4 192.168.1.1\r\nm=audio 31000 RTP/AVP 0\r\n'), AGENT, PHONE);
  r.add(RTP, { address: '192.168.1.21', port: 40000 }, { address: '192.168.1.1', port: 31000 });
  r.add(RTP, { address: '192.168.1.1', port: 31000 }, { address: '192.168.1.21', port: 40000 });
  r.add(RTP, { address: '192.168.1.22', port: 40100 }, { address: '192.168.1.1', port: 31002 });
  r.add(RTP, { address: '192.168.1.1', port: 31001 }, { address: '192.168.1.21', port: 40001 });
  assert.equal(r.records, 5, 'INVITE, 200, two RTP and one RTCP of call-1');
});

test('without a Call-ID everything is kept; past the byte bound the oldest records go', () => {
  const all = new CaptureRecorder({ clock: new ManualClock() });
  for (let i = 0; i < 10; i++) all.add(RTP, PHONE, AGENT);
  assert.equal(all.records, 10);
  const record = 16 + 20 + 8 + RTP.length;
  assert.equal(all.pcap().length, PCAP_HEADER_BYTES + 10 * record);
  const bounded = new CaptureRecorder({ clock: new ManualClock(), maxBytes: 3 * record });
  for (let i = 0; i < 10; i++) bounded.add(RTP, PHONE, AGENT);
  assert.equal(bounded.records, 3);
  assert.equal(bounded.dropped, 7);
  assert.equal(bounded.pcap().length, PCAP_HEADER_BYTES + 3 * record);
});

test('a capture never throws into the sockets: a send to a host name is counted as unrecordable, the send still goes', async () => {
  const clock = new ManualClock();
  const a = await bindUdp({ address: '127.0.0.1', port: 0 });
  const b = await bindUdp({ address: '127.0.0.1', port: 0 });
  const got: Buffer[] = [];
  b.onMessage((d) => got.push(d));
  try {
    const done = captureFor(clock, { seconds: 1 });
    assert.doesNotThrow(() => a.send(RTP, b.local.port, 'localhost'));
    a.send(RTP, b.local.port, '127.0.0.1');
    for (let i = 0; i < 200 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    clock.advance(1000);
    const result = await done;
    assert.equal(got.length, 2, 'both datagrams arrived');
    assert.equal(result.unrecordable, 1);
    assert.equal(result.records, 3, 'the literal send and both receptions');
  } finally {
    await a.close();
    await b.close();
  }
});
