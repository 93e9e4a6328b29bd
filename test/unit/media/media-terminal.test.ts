/** The agent's own media end: SDES plan, SRTP both ways, prompts, RFC 4733 and INFO DTMF, recording to WAV. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { MediaTerminal, createEndpointPair, decodeG711, encodeG711, planTerminalMedia, readPromptWav, type MediaTerminalDtmf, type TerminalMediaPlan } from '../../../src/media/index.js';
import { SrtpReceiver, SrtpSender, buildRtpPacket, encodeTelephoneEvent, parseRtpHeader } from '../../../src/rtp/index.js';
import { parseCryptoAttribute, parseSdp, type SdpMedia } from '../../../src/sdp/index.js';

const PHONE_KEY = Buffer.alloc(30, 7);
const OUR_KEY = Buffer.alloc(30, 9);

function offer(proto: string, formats: string, extra: string[] = []): SdpMedia {
  const sdp = ['v=0', 'o=phone 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio 4000 ${proto} ${formats}`, 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', ...extra, ''].join('\r\n');
  const media = parseSdp(sdp).media[0];
  assert.ok(media);
  return media;
}

function srtpPlan(): TerminalMediaPlan {
  const media = offer('RTP/SAVP', '8 0 101', [
    'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAA|1:4',
    `a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:${PHONE_KEY.toString('base64')}|2^20`,
  ]);
  const plan = planTerminalMedia(media, (n) => OUR_KEY.subarray(0, n));
  assert.ok(!('refused' in plan), JSON.stringify(plan));
  return plan;
}

test('plan: the first G.711 format, telephone-event, and the first a=crypto line the agent implements answered with our key', () => {
  const plan = srtpPlan();
  assert.equal(plan.law, 'alaw');
  assert.equal(plan.payloadType, 8);
  assert.equal(plan.telephoneEventPayloadType, 101);
  assert.ok(plan.srtp);
  const answer = parseCryptoAttribute(plan.srtp.answerCrypto);
  assert.deepEqual([answer.tag, answer.suite, answer.keySalt], [2, 'AES_CM_128_HMAC_SHA1_32', OUR_KEY]);
  assert.deepEqual(plan.srtp.receive.masterKey, PHONE_KEY.subarray(0, 16));
  const plain = planTerminalMedia(offer('RTP/AVP', '0 101'));
  assert.ok(!('refused' in plain));
  assert.deepEqual([plain.law, plain.payloadType, plain.srtp], ['ulaw', 0, undefined]);
});

const REFUSED: readonly [string, SdpMedia, RegExp][] = [
  ['no G.711', offer('RTP/AVP', '9 101', ['a=rtpmap:9 G722/8000']), /no PCMU or PCMA/],
  ['SAVP without a=crypto', offer('RTP/SAVP', '0'), /without a=crypto/],
  ['only an MKI line', offer('RTP/SAVP', '0', [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${PHONE_KEY.toString('base64')}|1:4`]), /MKI 1:4/],
  ['unknown suite', offer('RTP/SAVP', '0', [`a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:${PHONE_KEY.toString('base64')}`]), /AES_256_CM/],
  ['malformed line', offer('RTP/SAVP', '0', ['a=crypto:x']), /tag/],
];

for (const [name, media, says] of REFUSED) {
  test(`plan refused: ${name}`, () => {
    const plan = planTerminalMedia(media);
    assert.ok('refused' in plan);
    assert.match(plan.refused, says);
  });
}

function rig() {
  const clock = new ManualClock();
  const plan = srtpPlan();
  assert.ok(plan.srtp);
  const [agentSide, phoneSide] = createEndpointPair();
  const terminal = new MediaTerminal({ endpoint: agentSide, clock, plan, random: () => 0.5 });
  // The phone: protects with its own key, unprotects with the key of our answer.
  const phoneOut = new SrtpSender(plan.srtp.receive);
  const phoneIn = new SrtpReceiver(plan.srtp.send);
  const heard: Buffer[] = [];
  phoneSide.onPacket((p) => {
    const plain = phoneIn.unprotect(p);
    assert.ok(plain, 'the phone authenticates every packet of ours');
    heard.push(plain);
  });
  const digits: MediaTerminalDtmf[] = [];
  terminal.events.on('dtmf', (d) => digits.push(d));
  const send = (pt: number, seq: number, ts: number, payload: Buffer): void => phoneSide.send(phoneOut.protect(buildRtpPacket({ payloadType: pt, marker: false, sequenceNumber: seq, timestamp: ts, ssrc: 0xabc }, payload)));
  return { clock, terminal, heard, digits, send, phoneSide, phoneOut };
}

test('a prompt goes out as SRTP-protected PCMA in 20 ms packets that decode to the prompt', async () => {
  const { clock, terminal, heard } = rig();
  const prompt = Int16Array.from({ length: 480 }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
  const done = terminal.play(prompt);
  clock.advance(60);
  assert.deepEqual(await done, { packets: 3, stopped: false });
  assert.equal(heard.length, 3);
  const headers = heard.map((p) => parseRtpHeader(p));
  assert.deepEqual(headers.map((h) => h.payloadType), [8, 8, 8]);
  assert.deepEqual(headers.map((h) => h.marker), [true, false, false]);
  const audio = Buffer.concat(heard.map((p) => p.subarray(12)));
  assert.deepEqual(decodeG711(audio, 'alaw'), decodeG711(encodeG711(prompt, 'alaw'), 'alaw'));
});

test('DTMF: an RFC 4733 key press with three end packets is one digit; SIP INFO bodies are digits too', () => {
  const { terminal, digits, send } = rig();
  send(101, 1, 8000, encodeTelephoneEvent({ event: 5, end: false, volume: 10, duration: 160 }));
  send(101, 2, 8000, encodeTelephoneEvent({ event: 5, end: false, volume: 10, duration: 320 }));
  for (const seq of [3, 4, 5]) send(101, seq, 8000, encodeTelephoneEvent({ event: 5, end: true, volume: 10, duration: 480 }));
  assert.deepEqual(terminal.receiveInfo('application/dtmf-relay', 'Signal=#\r\nDuration=160\r\n'), { symbol: '#', durationMs: 160 });
  terminal.receiveInfo('application/dtmf', '9');
  assert.deepEqual(digits.map((d) => [d.symbol, d.source]), [['5', 'rfc4733'], ['#', 'info'], ['9', 'info']]);
  assert.throws(() => terminal.receiveInfo('text/plain', '1'), { code: 'SBC_ERR_DTMF_INFO', status: 415 });
});

test('recording: audio packets placed by timestamp (a lost one is silence) and written as a WAV that wav.ts reads back', () => {
  const { terminal, send } = rig();
  const tone = (v: number): Buffer => encodeG711(new Int16Array(160).fill(v), 'alaw');
  send(8, 1, 1000, tone(1000));
  const recorder = terminal.startRecording(60);
  send(8, 2, 1160, tone(2000));
  send(8, 4, 1480, tone(-3000));
  send(8, 3, 1320, tone(500)); // reordered: lands in its place
  assert.equal(terminal.stopRecording(), recorder);
  send(8, 5, 1640, tone(4000)); // after stop: not recorded
  const samples = readPromptWav(recorder.toWav(), 'message.wav');
  assert.equal(samples.length, 480);
  const at = (i: number): number => samples[i] ?? NaN;
  assert.deepEqual([at(0), at(160), at(320)], [decodeG711(tone(2000), 'alaw')[0], decodeG711(tone(500), 'alaw')[0], decodeG711(tone(-3000), 'alaw')[0]]);
});

test('SRTP failures, RTCP and unknown payload types are counted and dropped; close() is idempotent and stops everything', async () => {
  const { clock, terminal, phoneSide, phoneOut, digits, heard } = rig();
  const good = phoneOut.protect(buildRtpPacket({ payloadType: 8, marker: false, sequenceNumber: 10, timestamp: 0, ssrc: 1 }, Buffer.alloc(160)));
  const flipped = Buffer.from(good);
  flipped[20] = (flipped[20] ?? 0) ^ 1;
  phoneSide.send(flipped);
  phoneSide.send(good); // audio, no recording: used and dropped
  phoneSide.send(good); // replay
  phoneSide.send(Buffer.from([0x80, 200, 0, 1, 0, 0, 0, 1])); // RTCP SR
  phoneSide.send(phoneOut.protect(buildRtpPacket({ payloadType: 0, marker: false, sequenceNumber: 11, timestamp: 160, ssrc: 1 }, Buffer.alloc(160))));
  assert.deepEqual(terminal.counters, { received: 1, ignored: 2, srtp: { unprotected: 2, authFailures: 1, replayed: 1, malformed: 0 } });
  const playing = terminal.play(new Int16Array(8000));
  clock.advance(20);
  terminal.close();
  terminal.close();
  assert.equal((await playing).stopped, true);
  clock.advance(1000);
  assert.equal(heard.length, 2);
  assert.deepEqual(await terminal.play(new Int16Array(160)), { packets: 0, stopped: true });
  terminal.receiveInfo('application/dtmf', '1');
  assert.equal(digits.length, 0, 'no digits after close');
});
