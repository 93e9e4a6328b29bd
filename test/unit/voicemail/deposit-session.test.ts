/**
 * Leaving a message on a manual clock: greeting, beep, recording until `#`, the message stored as
 * new, and the MWI NOTIFY with one new message; hang-ups and the length limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/core/index.js';
import { MediaTerminal, createEndpointPair, encodeG711, readPromptWav } from '../../../src/media/index.js';
import { buildRtpPacket, parseRtpHeader } from '../../../src/rtp/index.js';
import type { SipRequest } from '../../../src/sip/index.js';
import { MwiNotifier, VoicemailDeposit, VoicemailStore, connectMwi, type BoxId } from '../../../src/voicemail/index.js';

const box: BoxId = { kind: 'extension', number: '201' };
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

async function rig(t: { after: (fn: () => Promise<void>) => void }, o: { maxSeconds?: number } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-vmdep-'));
  const clock = new ManualClock();
  const store = await VoicemailStore.open({ dir, clock, durable: false });
  const notifies: SipRequest[] = [];
  const notifier = new MwiNotifier({
    domain: 'branch.example',
    contactsOf: (ext) => (ext === '201' ? [{ contact: 'sip:201@127.0.0.1:5070', target: { transport: 'udp', host: '127.0.0.1', port: 5070 } }] : []),
    newVia: () => 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKmwi',
    request: (r) => {
      notifies.push(r);
      return Promise.resolve({ kind: 'response', version: 'SIP/2.0', status: 200, reason: 'OK', headers: [], body: Buffer.alloc(0) });
    },
  });
  const disconnect = connectMwi(store, notifier);
  const [agentSide, phoneSide] = createEndpointPair();
  const terminal = new MediaTerminal({ endpoint: agentSide, clock, plan: { law: 'ulaw', payloadType: 0, telephoneEventPayloadType: 101, srtp: undefined } });
  const heard: number[] = [];
  phoneSide.onPacket((p) => heard.push(parseRtpHeader(p).sequenceNumber));
  const deposit = new VoicemailDeposit({ clock, terminal, store, box, status: 'available', caller: '0612345678', fallbackGreeting: new Int16Array(1600), ...o });
  let seq = 0;
  const speak = (ms: number, value = 3000): void => {
    for (let i = 0; i < ms / 20; i++) {
      phoneSide.send(buildRtpPacket({ payloadType: 0, marker: false, sequenceNumber: ++seq, timestamp: seq * 160, ssrc: 7 }, encodeG711(new Int16Array(160).fill(value), 'ulaw')));
    }
  };
  const run = async (ms: number): Promise<void> => {
    for (let i = 0; i < ms; i += 20) {
      clock.advance(20);
      await flush();
    }
  };
  /** The greeting file is looked up on disk first: wait (real I/O, clock stopped) until its first packet is out. */
  const greetingStarted = async (): Promise<void> => {
    for (let i = 0; i < 1000 && heard.length === 0; i++) await new Promise((res) => setTimeout(res, 2));
    assert.ok(heard.length > 0, 'the greeting started');
  };
  t.after(async () => {
    disconnect();
    terminal.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { clock, store, notifies, terminal, deposit, heard, speak, run, greetingStarted };
}

test('greeting (200 ms), beep (400 ms), 1.2 s of speech, #: one new message with that audio, and the phone gets MWI 1/0', async (t) => {
  const r = await rig(t);
  void r.deposit.start();
  await r.greetingStarted();
  await r.run(600);
  assert.equal(r.heard.length, 30, '10 packets of greeting and 20 of beep');
  await r.run(20);
  assert.equal(r.deposit.state, 'recording');
  r.speak(1200);
  r.terminal.receiveInfo('application/dtmf-relay', 'Signal=#\r\nDuration=100\r\n');
  const outcome = await r.deposit.done;
  assert.ok(outcome.kept);
  assert.equal(outcome.message.seconds, 1.2);
  assert.equal(outcome.message.caller, '0612345678');
  assert.deepEqual(await r.store.counts(box), { new: 1, old: 0 });
  const samples = readPromptWav(await r.store.readMessage(box, outcome.message.id), 'm.wav');
  assert.equal(samples.length, 9600);
  assert.ok(samples.every((s) => Math.abs(s - 3000) < 200));
  await flush();
  assert.equal(r.notifies.length, 1);
  assert.match(r.notifies[0]?.body.toString() ?? '', /Messages-Waiting: yes\r\nMessage-Account: sip:201@branch\.example\r\nVoice-Message: 1\/0/);
});

test('# during the greeting skips to the beep; the length limit ends the recording', async (t) => {
  const r = await rig(t, { maxSeconds: 2 });
  void r.deposit.start();
  await r.greetingStarted();
  await r.run(40);
  r.terminal.receiveInfo('application/dtmf', '#');
  await r.run(420);
  assert.equal(r.deposit.state, 'recording');
  r.speak(3000);
  await r.run(2000);
  const outcome = await r.deposit.done;
  assert.ok(outcome.kept);
  assert.equal(outcome.message.seconds, 2);
});

test('a hang-up before the beep or right after it keeps nothing and sends no MWI', async (t) => {
  const a = await rig(t);
  void a.deposit.start();
  await a.greetingStarted();
  await a.run(100);
  assert.deepEqual(await a.deposit.hungUp(), { kept: false, reason: 'hung-up-before-beep' });
  const b = await rig(t);
  void b.deposit.start();
  await b.greetingStarted();
  await b.run(640);
  b.speak(200);
  assert.deepEqual(await b.deposit.hungUp(), { kept: false, reason: 'too-short' });
  assert.deepEqual(await b.store.counts(box), { new: 0, old: 0 });
  assert.equal(a.notifies.length + b.notifies.length, 0);
});
