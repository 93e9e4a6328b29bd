/** The access number's call end to end in memory: keys by INFO, prompts and messages heard in order, the box updated. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/core/index.js';
import { MediaTerminal, createEndpointPair, decodeG711, encodeWav } from '../../../src/media/index.js';
import { VoicemailAccessCall, VoicemailStore, type AccessPrompt, type BoxId } from '../../../src/voicemail/index.js';

const box: BoxId = { kind: 'extension', number: '201' };
const PROMPTS: AccessPrompt[] = ['enter-pin', 'wrong-pin', 'summary', 'menu', 'no-messages', 'message-deleted', 'no-more-messages', 'goodbye'];
// Each prompt is one 20 ms packet of its own level (400, 800, …), so what the phone hears names it (µ-law error ≤ level/16 + 8).
const prompts = Object.fromEntries(PROMPTS.map((p, i) => [p, new Int16Array(160).fill((i + 1) * 400)])) as Record<AccessPrompt, Int16Array>;
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('PIN, summary, menu, listen (the message audio), next, delete, goodbye: heard in order, box updated, call ended', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-vmacc-'));
  const clock = new ManualClock();
  const store = await VoicemailStore.open({ dir, clock, durable: false, newId: (() => { let n = 0; return () => `m${++n}`; })() });
  const [agentSide, phoneSide] = createEndpointPair();
  const terminal = new MediaTerminal({ endpoint: agentSide, clock, plan: { law: 'ulaw', payloadType: 0, telephoneEventPayloadType: 101, srtp: undefined } });
  t.after(async () => {
    terminal.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  await store.setPin(box, '4321');
  await store.deposit(box, { caller: 'a', wav: encodeWav(new Int16Array(320).fill(5000)), seconds: 0.04 });
  await store.deposit(box, { caller: 'b', wav: encodeWav(new Int16Array(160).fill(7000)), seconds: 0.02 });
  const heard: string[] = [];
  phoneSide.onPacket((p) => {
    const level = decodeG711(p.subarray(12), 'ulaw')[0] ?? 0;
    const prompt = PROMPTS.find((_, i) => Math.abs(level - (i + 1) * 400) <= ((i + 1) * 400) / 16 + 8);
    heard.push(prompt ?? (Math.abs(level - 5000) < 200 ? 'msg-a' : Math.abs(level - 7000) < 300 ? 'msg-b' : `? ${level}`));
  });
  let hungUp = false;
  const call = await VoicemailAccessCall.start({ clock, terminal, store, box, prompts, onHangup: () => { hungUp = true; } });
  const run = async (ms: number): Promise<void> => {
    for (let i = 0; i < ms; i += 20) {
      clock.advance(20);
      for (let k = 0; k < 5; k++) await flush();
    }
  };
  const key = async (k: string): Promise<void> => {
    terminal.receiveInfo('application/dtmf', k);
    // A message is read from disk (real I/O) before it plays: let it finish, then move the clock.
    await sleep(30);
    await run(200);
    await sleep(30);
    await run(100);
  };
  await run(40);
  for (const k of '4321#') await key(k);
  assert.deepEqual(heard.splice(0), ['enter-pin', 'summary', 'menu']);
  await key('1');
  assert.deepEqual(heard.splice(0), ['msg-a', 'msg-a', 'menu']);
  assert.deepEqual(await store.counts(box), { new: 1, old: 1 });
  await key('#');
  assert.deepEqual(heard.splice(0), ['msg-b', 'menu']);
  await key('7');
  assert.deepEqual(heard.splice(0), ['message-deleted']);
  assert.deepEqual((await store.index(box)).messages.map((m) => [m.id, m.status]), [['m1', 'old']]);
  await key('*');
  assert.deepEqual(heard.splice(0), ['goodbye']);
  assert.equal(hungUp, true);
  assert.equal(call.flow.state, 'ended');
});
