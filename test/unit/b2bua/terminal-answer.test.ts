/**
 * terminalAnswer and offerAsAnswered (pure): the agent's answer to an offer it terminates, and
 * the offer a callee gets afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planTerminalMedia, type TerminalMediaPlan } from '../../../src/media/index.js';
import { parseSdp, serializeSdp } from '../../../src/sdp/index.js';
import { offerAsAnswered, terminalAnswer } from '../../../src/b2bua/terminal-answer.js';

const KEY = 'inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR';

function offer(proto: string): string {
  return [
    'v=0', 'o=- 1 1 IN IP4 127.0.0.5', 's=-', 'c=IN IP4 127.0.0.5', 't=0 0', 'a=sendonly',
    `m=audio 4000 ${proto} 9 0 8 101`, 'a=rtpmap:9 G722/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15',
    `a=crypto:1 AES_CM_128_HMAC_SHA1_80 ${KEY}`, 'a=ptime:20', 'a=sendonly',
    'm=video 4002 RTP/AVP 96', 'a=rtpmap:96 H264/90000', '',
  ].join('\r\n');
}

function planFor(sdp: string): TerminalMediaPlan {
  const plan = planTerminalMedia(parseSdp(Buffer.from(sdp)).media[0] ?? assert.fail('no audio'), (n) => Buffer.alloc(n, 7));
  if ('refused' in plan) assert.fail(plan.refused);
  return plan;
}

test('the answer: the first G.711 format and telephone-event, sendrecv, the other sections refused (port 0)', () => {
  const sdp = offer('RTP/AVP');
  const text = serializeSdp(terminalAnswer(parseSdp(Buffer.from(sdp)), 0, planFor(sdp)));
  assert.match(text, /m=audio 4000 RTP\/AVP 0 101\r\n/);
  assert.match(text, /a=rtpmap:0 PCMU\/8000\r\na=rtpmap:101 telephone-event\/8000\r\na=fmtp:101 0-16\r\n/);
  assert.match(text, /a=sendrecv/);
  assert.doesNotMatch(text, /a=sendonly|G722|PCMA|a=crypto/);
  assert.match(text, /m=video 0 /);
});

test('an RTP/SAVP offer is answered with our own SDES key on the offered tag and suite (RFC 4568 §5.1.2)', () => {
  const sdp = offer('RTP/SAVP');
  const text = serializeSdp(terminalAnswer(parseSdp(Buffer.from(sdp)), 0, planFor(sdp)));
  const crypto = /a=crypto:(\S+) (\S+) inline:(\S+)/.exec(text);
  assert.deepEqual([crypto?.[1], crypto?.[2]], ['1', 'AES_CM_128_HMAC_SHA1_80']);
  assert.notEqual(`inline:${crypto?.[3] ?? ''}`, KEY, 'not the caller’s key');
});

test('the callee offer afterwards: only the answered format and telephone-event, the caller’s addresses and key kept', () => {
  const sdp = offer('RTP/SAVP');
  const text = serializeSdp(offerAsAnswered(parseSdp(Buffer.from(sdp)), 0, planFor(sdp)));
  assert.match(text, /m=audio 4000 RTP\/SAVP 0 101\r\n/);
  assert.doesNotMatch(text, /G722|PCMA/);
  assert.match(text, new RegExp(`a=crypto:1 AES_CM_128_HMAC_SHA1_80 ${KEY}`));
  assert.match(text, /c=IN IP4 127\.0\.0\.5/);
  assert.match(text, /m=video 0 /);
});
