/**
 * A dial code's confirmation (b2bua/agent-media.ts confirm, issue 13): `*52` is answered by the
 * agent's own media end and the caller hears the `confirm` prompt as RTP in its G.711 format
 * until the agent hangs up after 1 s; a caller that offered no G.711 still gets its 200 and the
 * BYE, without a prompt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallQueue } from '../../../src/routing/index.js';
import { encodeG711, toneSamples } from '../../../src/media/index.js';
import { fallbackPrompt, type PromptLibrary } from '../../../src/b2bua/index.js';
import type { Rig } from './rig.js';
import { ext, model, rig, settle, until } from './rig.js';

const QUEUE: CallQueue = {
  number: '8000', name: 'Support', agents: ['101'], strategy: 'prioritized-hunt', ringSeconds: 5, maxWaitSeconds: 60,
  wrapUpSeconds: 0, keepWaitingIfNoAgent: false, noAnswer: { kind: 'end-call' },
};
const CONFIRM = toneSamples(1100, 300);

/** `confirm` is a 1,100 Hz tone; every other prompt the built-in one. */
const prompts: PromptLibrary & { asked: string[] } = {
  asked: [],
  load(name: string): Promise<Int16Array> {
    prompts.asked.push(name);
    return Promise.resolve(name === 'confirm' ? CONFIRM : fallbackPrompt());
  },
};

async function run(r: Rig, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 20) {
    r.clock.advance(20);
    await settle(1);
  }
}

test('*52: answered by the agent, the caller hears the confirm prompt as PCMU, then the BYE after 1 s', async (t) => {
  const r = await rig({ phones: { '101': 1 }, prompts, model: () => model({ extensions: [ext('101')], queues: [QUEUE] }) });
  t.after(() => r.close());
  const agent = r.phone('101');
  assert.equal((await agent.call('*52', r.port)).status, 200);
  await run(r, 1000);
  await until(() => agent.requests('BYE').length === 1, 'BYE after 1 s');
  assert.ok(prompts.asked.includes('confirm'));
  const payloads = agent.rtpReceived.map((p) => ({ pt: (p[1] ?? 0) & 0x7f, payload: p.subarray(12) }));
  assert.ok(payloads.length >= 10, `the prompt heard (${payloads.length} packets)`);
  assert.ok(payloads.every((p) => p.pt === 0), 'PCMU, the format the phone offered');
  const heard = Buffer.concat(payloads.map((p) => p.payload));
  const expected = encodeG711(CONFIRM, 'ulaw');
  assert.deepEqual(heard.subarray(0, expected.length), expected, 'the confirm prompt sample for sample');
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.equal(r.cdrs[0]?.finalDestination, 'queue-sign-out:8000');
});

test('*52 from a phone that offered no G.711: 200 without a prompt, the BYE after 1 s, and the sign-out done', async (t) => {
  const r = await rig({ phones: { '101': 1, '100': 1 }, prompts, model: () => model({ extensions: [ext('100'), ext('101')], queues: [QUEUE] }) });
  t.after(() => r.close());
  const agent = r.phone('101');
  agent.sdpOverride = agent.sdp.replace('RTP/AVP 0 101', 'RTP/AVP 9 101').replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:9 G722/8000');
  assert.equal((await agent.call('*52', r.port)).status, 200);
  await run(r, 1000);
  await until(() => agent.requests('BYE').length === 1, 'BYE after 1 s');
  assert.equal(agent.rtpReceived.length, 0, 'no prompt');
  await until(() => r.cdrs.length === 1, 'CDR');
  assert.equal(r.cdrs[0]?.finalDestination, 'queue-sign-out:8000');
  // Signed out: the queue sends callers on at once (its no-answer destination, end-call: 480).
  assert.equal((await r.phone('100').call('8000', r.port)).status, 480);
});
