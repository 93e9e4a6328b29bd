/** The voicemail access number's flow on a manual clock: PIN, summary, listen, next, delete, time-outs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { MENU_IDLE_TIMEOUT_MS, PIN_DIGIT_TIMEOUT_MS, VoicemailAccessFlow, type AccessAction, type VoicemailMessage } from '../../../src/voicemail/index.js';

const msg = (id: string, status: 'new' | 'old', receivedAt: number): VoicemailMessage => ({ id, caller: 'c', receivedAt, seconds: 3, status });

function rig(messages: VoicemailMessage[] = [msg('old1', 'old', 1), msg('new2', 'new', 20), msg('new1', 'new', 10)]) {
  const clock = new ManualClock();
  const actions: AccessAction[] = [];
  const flow = new VoicemailAccessFlow({ clock, messages, checkPin: (pin) => pin === '4321', act: (a) => actions.push(a) });
  const keys = (s: string): void => {
    for (const k of s) flow.digit(k);
  };
  const said = (): string[] => actions.splice(0).map((a) => (a.kind === 'play' ? a.prompt : a.kind === 'play-message' ? `msg:${a.message.id}` : a.kind === 'hangup' ? 'hangup' : `${a.kind}:${a.id}`));
  return { clock, flow, actions, keys, said };
}

test('right PIN ended by #: the counts, the menu; 1 plays the oldest new message, its end marks it heard', () => {
  const { flow, keys, said, actions } = rig();
  flow.start();
  assert.deepEqual(said(), ['enter-pin']);
  keys('4321#');
  const summary = actions.find((a) => a.kind === 'play' && a.prompt === 'summary');
  assert.deepEqual(summary, { kind: 'play', prompt: 'summary', counts: { new: 2, old: 1 } });
  assert.deepEqual(said(), ['summary', 'menu']);
  keys('1');
  assert.equal(flow.state, 'playing');
  assert.deepEqual(said(), ['msg:new1']);
  flow.promptEnded();
  assert.deepEqual(said(), ['mark-old:new1', 'menu']);
  keys('#');
  assert.deepEqual(said(), ['msg:new2']);
  keys('#'); // skipping a message marks it heard too
  assert.deepEqual(said(), ['mark-old:new2', 'msg:old1']);
  keys('#');
  assert.deepEqual(said(), ['no-more-messages']);
  keys('*');
  assert.deepEqual(said(), ['goodbye', 'hangup']);
  assert.equal(flow.state, 'ended');
  keys('1');
  assert.deepEqual(said(), [], 'nothing after the end');
});

test('7 deletes the current message; the next one takes its place', () => {
  const { flow, keys, said } = rig();
  flow.start();
  keys('4321#');
  said();
  keys('7');
  assert.deepEqual(said(), ['delete:new1', 'message-deleted']);
  keys('1');
  assert.deepEqual(said(), ['msg:new2']);
  assert.deepEqual(flow.messages.map((m) => m.id), ['new2', 'old1']);
});

test('three wrong PINs: goodbye and hang up; a PIN ends by a pause as by #', () => {
  const { clock, flow, keys, said } = rig();
  flow.start();
  keys('1111#');
  assert.deepEqual(said(), ['enter-pin', 'wrong-pin']);
  keys('2222');
  clock.advance(PIN_DIGIT_TIMEOUT_MS - 1);
  assert.deepEqual(said(), []);
  clock.advance(1);
  assert.deepEqual(said(), ['wrong-pin']);
  clock.advance(PIN_DIGIT_TIMEOUT_MS * 2); // nothing pressed at all: a third failure
  assert.deepEqual(said(), ['goodbye', 'hangup']);
  assert.equal(flow.state, 'ended');
  assert.equal(clock.pending, 0);
});

test('the right PIN by a pause; an empty box; the menu times out after 30 s without a key, not while a message plays', () => {
  const { clock, flow, keys, said } = rig([]);
  flow.start();
  keys('4321');
  clock.advance(PIN_DIGIT_TIMEOUT_MS);
  assert.deepEqual(said(), ['enter-pin', 'summary', 'menu']);
  keys('1');
  assert.deepEqual(said(), ['no-messages']);
  keys('5');
  assert.deepEqual(said(), ['menu'], 'an unknown key repeats the menu');
  clock.advance(MENU_IDLE_TIMEOUT_MS);
  assert.deepEqual(said(), ['goodbye', 'hangup']);

  const b = rig();
  b.flow.start();
  b.keys('4321#1');
  b.said();
  b.clock.advance(MENU_IDLE_TIMEOUT_MS * 3);
  assert.deepEqual(b.said(), [], 'a long message is not cut by the idle timer');
  b.flow.hungUp();
  b.flow.hungUp();
  assert.equal(b.flow.state, 'ended');
  assert.equal(b.clock.pending, 0);
});
