/**
 * Music on hold through the B2BUA's media anchor: the caller's hold offer (sendonly, inactive or
 * c=0.0.0.0) starts the music toward the callee out of the callee-side relay leg, in the offer's
 * G.711 format; the resume offer stops it; SRTP streams get none. Real UDP on 127.0.0.1, manual clock.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { PortPool, decodeG711 } from '../../../src/media/index.js';
import { bindUdp } from '../../../src/net/index.js';
import { parseRtpHeader } from '../../../src/rtp/index.js';
import { parseSdp } from '../../../src/sdp/index.js';
import { UdpMediaAnchor, holdMusicFormat } from '../../../src/b2bua/index.js';

function sdp(port: number, direction: string, version: number, o: { proto?: string; formats?: string; address?: string } = {}): Buffer {
  return Buffer.from([
    'v=0', `o=phone 1 ${version} IN IP4 127.0.0.1`, 's=-', `c=IN IP4 ${o.address ?? '127.0.0.1'}`, 't=0 0',
    `m=audio ${port} ${o.proto ?? 'RTP/AVP'} ${o.formats ?? '8 0 101'}`, 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', `a=${direction}`, '',
  ].join('\r\n'));
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 100));
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Moves the clock in 20 ms steps, letting each round's promise settle as the event loop would. */
async function play(clock: ManualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 20) {
    clock.advance(20);
    await flush();
  }
}

test('holdMusicFormat: held streams only, the first G.711 of the offer, none for SRTP or other codecs', () => {
  const rows: [Buffer, unknown][] = [
    [sdp(4000, 'sendonly', 1), { law: 'alaw', payloadType: 8 }],
    [sdp(4000, 'inactive', 1, { formats: '0 8' }), { law: 'ulaw', payloadType: 0 }],
    [sdp(4000, 'sendrecv', 1, { address: '0.0.0.0' }), { law: 'alaw', payloadType: 8 }],
    [sdp(4000, 'sendrecv', 1), undefined],
    [sdp(4000, 'recvonly', 1), undefined],
    [sdp(4000, 'sendonly', 1, { proto: 'RTP/SAVP' }), undefined],
    [sdp(4000, 'sendonly', 1, { formats: '9 101' }), undefined],
    [sdp(0, 'sendonly', 1), undefined],
  ];
  for (const [body, expected] of rows) assert.deepEqual(holdMusicFormat(parseSdp(body), 0), expected, body.toString());
});

/** An anchor with `music` on hold, a call on it, and two phones on loopback with what each heard. */
async function holdRig(t: TestContext, music: Int16Array, callId: string) {
  const clock = new ManualClock();
  const base = 30000 + 2 * Math.floor(Math.random() * 5000);
  const anchor = new UdpMediaAnchor({ clock, pool: new PortPool({ min: base, max: base + 19 }), bind: (port) => bindUdp({ address: '127.0.0.1', port }), address: '127.0.0.1', musicOnHold: music });
  const phoneA = await bindUdp({ address: '127.0.0.1', port: 0 });
  const phoneB = await bindUdp({ address: '127.0.0.1', port: 0 });
  const call = anchor.open(callId);
  t.after(async () => {
    call.close();
    await phoneA.close();
    await phoneB.close();
  });
  const heardByB: Buffer[] = [];
  const heardByA: Buffer[] = [];
  phoneB.onMessage((d) => heardByB.push(d));
  phoneA.onMessage((d) => heardByA.push(d));
  return { clock, call, phoneA, phoneB, heardByA, heardByB };
}

test('caller holds: music loops to the callee from the relay; resume stops it; close stops everything', async (t) => {
  const { clock, call, phoneA, phoneB, heardByA, heardByB } = await holdRig(t, Int16Array.from({ length: 480 }, (_, i) => (i % 2 === 0 ? 4000 : -4000)), 'call-1');

  await call.fromCaller(sdp(phoneA.local.port, 'sendrecv', 1));
  await call.fromCallee(sdp(phoneB.local.port, 'sendrecv', 1));
  clock.advance(100);
  await settle();
  assert.equal(heardByB.length, 0, 'no music before the hold');

  await call.fromCaller(sdp(phoneA.local.port, 'sendonly', 2));
  await call.fromCallee(sdp(phoneB.local.port, 'recvonly', 2));
  await play(clock, 200);
  await settle();
  // 0 ms and then each 20 ms up to 200 ms: 11 packets, across rounds of 3.
  assert.equal(heardByB.length, 11);
  const headers = heardByB.map((p) => parseRtpHeader(p));
  assert.ok(headers.every((h) => h.payloadType === 8 && h.ssrc === headers[0]?.ssrc));
  assert.deepEqual(headers.map((h) => (h.sequenceNumber - (headers[0]?.sequenceNumber ?? 0)) & 0xffff), Array.from({ length: 11 }, (_, i) => i));
  const first = heardByB[0];
  assert.ok(first);
  assert.ok(decodeG711(first.subarray(12), 'alaw').every((s, i) => Math.sign(s) === (i % 2 === 0 ? 1 : -1)), 'the music samples');
  assert.equal(heardByA.length, 0, 'the holder hears nothing');

  await call.fromCaller(sdp(phoneA.local.port, 'sendrecv', 3));
  const count = heardByB.length;
  await play(clock, 200);
  await settle();
  assert.equal(heardByB.length, count, 'resumed: the music stops');

  await call.fromCaller(sdp(phoneA.local.port, 'inactive', 4));
  await play(clock, 40);
  await settle();
  assert.ok(heardByB.length > count, 'held again: music again');
  call.close();
  call.close();
  const atClose = heardByB.length;
  await play(clock, 200);
  await settle();
  assert.equal(heardByB.length, atClose);
});

test('a sendonly holder that goes on sending: its packets are dropped while the music plays, relayed again on resume', async (t) => {
  const { clock, call, phoneA, phoneB, heardByA, heardByB } = await holdRig(t, Int16Array.from({ length: 160 }, () => 3000), 'call-2');
  const toA = parseSdp(await call.fromCallee(sdp(phoneB.local.port, 'sendrecv', 1)));
  const toB = parseSdp(await call.fromCaller(sdp(phoneA.local.port, 'sendrecv', 1)));
  const legA = toA.media[0]?.port ?? 0;
  const legB = toB.media[0]?.port ?? 0;
  /** An RTP packet of the phone's own SSRC. */
  const rtp = (ssrc: number, seq: number): Buffer => {
    const p = Buffer.alloc(12 + 160, 0xd5);
    p[0] = 0x80;
    p[1] = 8;
    p.writeUInt16BE(seq, 2);
    p.writeUInt32BE(seq * 160, 4);
    p.writeUInt32BE(ssrc, 8);
    return p;
  };
  const ssrcs = (packets: Buffer[]): Set<number> => new Set(packets.map((p) => parseRtpHeader(p).ssrc));

  await call.fromCaller(sdp(phoneA.local.port, 'sendonly', 2));
  for (let i = 0; i < 3; i++) phoneA.send(rtp(0xaaaa, i), legA, '127.0.0.1');
  phoneB.send(rtp(0xbbbb, 1), legB, '127.0.0.1');
  await play(clock, 60);
  await settle();
  assert.ok(heardByB.length >= 3, 'the music reaches B');
  assert.ok(!ssrcs(heardByB).has(0xaaaa), "the holder's own packets are not relayed over the music");
  assert.ok(ssrcs(heardByA).has(0xbbbb), 'B toward the holder is still relayed');

  await call.fromCaller(sdp(phoneA.local.port, 'sendrecv', 3));
  phoneA.send(rtp(0xaaaa, 10), legA, '127.0.0.1');
  await settle();
  assert.ok(ssrcs(heardByB).has(0xaaaa), 'resumed: the holder is heard again');
});
