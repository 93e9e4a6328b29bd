import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock } from '../../../src/core/index.js';
import { ALWAYS_OPEN, IvrEngine, ivrDirectory, validateRoutingModel, type Ivr, type IvrAction, type Schedule } from '../../../src/routing/index.js';

const H = '0123456789abcdef0123456789abcdef';
/** Extensions 101, 102, 201 (disabled: 103), group 800, queue 8000, IVRs 7000 and 7001. */
const MODEL = validateRoutingModel({
  realm: 'r',
  extensions: [{ number: '101', name: 'A', ha1: H }, { number: '102', name: 'B', ha1: H }, { number: '201', name: 'C', ha1: H }, { number: '103', name: 'D', ha1: H, enabled: false }],
  ringGroups: [{ number: '800', name: 'G', members: ['101'] }],
  queues: [{ number: '8000', name: 'Q', agents: ['101'] }],
  ivrs: [{ number: '7000', name: 'Main', prompt: 'menu.wav' }, { number: '7001', name: 'Other', prompt: 'other.wav' }],
  inbound: [{ name: 'vm', did: '1', destination: 'voicemail:101' }],
});

function ivrOf(over: Partial<Ivr> = {}): Ivr {
  return {
    number: '7000', name: 'Main', prompt: 'menu.wav',
    options: { '1': { kind: 'ring-group', number: '800' }, '2': { kind: 'queue', number: '8000' }, '9': { kind: 'repeat' }, '*': { kind: 'ivr', number: '7001' } },
    timeoutSeconds: 10, timeoutDestination: { kind: 'repeat' }, invalidDestination: { kind: 'repeat' }, maxRepeats: 3,
    dialByExtension: false, directDestinations: [], interDigitSeconds: 3, waitForHash: false, ...over,
  };
}

function text(a: IvrAction): string {
  if (a.kind === 'play') return `play ${a.prompt}`;
  if (a.kind === 'stop-prompt') return 'stop';
  return `go ${a.destination.kind === 'end-call' ? 'end-call' : `${a.destination.kind}:${a.destination.number}`} (${a.reason})`;
}

/** Runs a script: `p` the prompt ended, `+N` N seconds pass, anything else a key. */
function run(ivr: Ivr, script: readonly string[], schedule: Schedule = ALWAYS_OPEN): { actions: string[]; engine: IvrEngine } {
  const clock = new ManualClock(0);
  const actions: string[] = [];
  const engine = new IvrEngine(ivr, { clock, onAction: (a) => actions.push(text(a)), directory: ivrDirectory(MODEL, ivr), schedule });
  engine.start();
  for (const step of script) {
    if (step === 'p') engine.promptEnded();
    else if (step.startsWith('+')) clock.advance(Number(step.slice(1)) * 1000);
    else engine.key(step);
  }
  return { actions, engine };
}

const CLOSED: Schedule = { timeZone: 'UTC', open: [], breaks: [], holidays: [] };
const BREAK: Schedule = { ...ALWAYS_OPEN, breaks: ALWAYS_OPEN.open };
// ManualClock's wall clock starts on 2026-01-01.
const HOLIDAY: Schedule = { ...ALWAYS_OPEN, holidays: [{ name: 'New Year', from: '01-01', to: '01-01', yearly: true }] };

test('IVR menus: keys, silence, invalid input, repeat, dial-by-extension, wait-for-#, office hours', () => {
  const AWAY = { closed: { prompt: 'closed.wav', destination: { kind: 'voicemail', number: '101' } }, onHoliday: { destination: { kind: 'end-call' } } } as const;
  const rows: Array<{ name: string; ivr?: Partial<Ivr>; script: string[]; schedule?: Schedule; expect: string[]; state?: string }> = [
    { name: 'a key during the prompt stops it and goes', script: ['2'], expect: ['play menu.wav', 'stop', 'go queue:8000 (option)'] },
    { name: 'a key after the prompt', script: ['p', '+4', '1'], expect: ['play menu.wav', 'go ring-group:800 (option)'] },
    { name: 'the * key as an option', script: ['p', '*'], expect: ['play menu.wav', 'go ivr:7001 (option)'] },
    { name: 'the # key as an option', ivr: { options: { '#': { kind: 'end-call' } } }, script: ['p', '#'], expect: ['play menu.wav', 'go end-call (option)'] },
    { name: '# with no option is invalid → repeat', script: ['p', '#'], expect: ['play menu.wav', 'play menu.wav'] },
    { name: 'keys that are not menu keys are ignored', script: ['p', 'A', 'flash', '2'], expect: ['play menu.wav', 'go queue:8000 (option)'] },
    { name: 'silence: not yet at 9.999 s', ivr: { timeoutDestination: { kind: 'queue', number: '8000' } }, script: ['p', '+9.999'], expect: ['play menu.wav'], state: 'waiting' },
    { name: 'silence: the timeout destination at 10 s', ivr: { timeoutDestination: { kind: 'queue', number: '8000' } }, script: ['p', '+10'], expect: ['play menu.wav', 'go queue:8000 (timeout)'] },
    { name: 'no timeout while the prompt plays', ivr: { timeoutDestination: { kind: 'queue', number: '8000' } }, script: ['+60'], expect: ['play menu.wav'], state: 'prompting' },
    { name: 'silence repeats the menu, at most maxRepeats times, then the call ends', ivr: { maxRepeats: 2 }, script: ['p', '+10', 'p', '+10', 'p', '+10'], expect: ['play menu.wav', 'play menu.wav', 'play menu.wav', 'go end-call (repeats-exhausted)'] },
    { name: 'an invalid key goes to the invalid destination', ivr: { invalidDestination: { kind: 'ivr', number: '7001' } }, script: ['p', '5'], expect: ['play menu.wav', 'go ivr:7001 (invalid)'] },
    { name: 'an invalid key repeats the menu by default', script: ['5'], expect: ['play menu.wav', 'stop', 'play menu.wav'] },
    { name: 'the repeat option', script: ['p', '9', 'p', '2'], expect: ['play menu.wav', 'play menu.wav', 'go queue:8000 (option)'] },
    { name: 'dial-by-extension: the number is taken when no longer one can follow', ivr: { dialByExtension: true }, script: ['1', '0', '1'], expect: ['play menu.wav', 'stop', 'go extension:101 (dialled)'] },
    { name: 'dial-by-extension: an option key that starts a number waits, then is the option', ivr: { dialByExtension: true }, script: ['p', '1', '+2.999'], expect: ['play menu.wav'], state: 'collecting' },
    { name: 'dial-by-extension: … after the inter-digit time', ivr: { dialByExtension: true }, script: ['p', '1', '+3'], expect: ['play menu.wav', 'go ring-group:800 (option)'] },
    { name: 'dial-by-extension: a partial number then silence is invalid', ivr: { dialByExtension: true, invalidDestination: { kind: 'end-call' } }, script: ['p', '1', '0', '+3'], expect: ['play menu.wav', 'go end-call (invalid)'] },
    { name: 'dial-by-extension: an unknown number is invalid at once', ivr: { dialByExtension: true, invalidDestination: { kind: 'end-call' } }, script: ['p', '1', '5'], expect: ['play menu.wav', 'go end-call (invalid)'] },
    { name: 'dial-by-extension: a disabled extension is not dialable', ivr: { dialByExtension: true, invalidDestination: { kind: 'end-call' } }, script: ['p', '1', '0', '3'], expect: ['play menu.wav', 'go end-call (invalid)'] },
    { name: 'dial-by-extension off: 1 is the option at once', script: ['p', '1'], expect: ['play menu.wav', 'go ring-group:800 (option)'] },
    { name: 'wait for #: the number waits for #', ivr: { dialByExtension: true, waitForHash: true }, script: ['p', '2', '0', '1', '+2'], expect: ['play menu.wav'], state: 'collecting' },
    { name: 'wait for #: # takes it', ivr: { dialByExtension: true, waitForHash: true }, script: ['p', '2', '0', '1', '#'], expect: ['play menu.wav', 'go extension:201 (dialled)'] },
    { name: 'wait for #: silence instead of # is invalid', ivr: { dialByExtension: true, waitForHash: true, invalidDestination: { kind: 'end-call' } }, script: ['p', '2', '0', '1', '+3'], expect: ['play menu.wav', 'go end-call (invalid)'] },
    { name: 'wait for #: a lone option key then # is the option', ivr: { dialByExtension: true, waitForHash: true }, script: ['p', '2', '#'], expect: ['play menu.wav', 'go queue:8000 (option)'] },
    { name: 'direct destinations: 8XXX reaches queue 8000', ivr: { directDestinations: ['8XXX'] }, script: ['p', '8', '0', '0', '0'], expect: ['play menu.wav', 'go queue:8000 (dialled)'] },
    { name: 'direct destinations: 70XX reaches IVR 7001', ivr: { directDestinations: ['70XX'] }, script: ['p', '7', '0', '0', '1'], expect: ['play menu.wav', 'go ivr:7001 (dialled)'] },
    { name: 'direct destinations: 8XX is ring group 800, not 8000', ivr: { directDestinations: ['8XX'] }, script: ['p', '8', '0', '0'], expect: ['play menu.wav', 'go ring-group:800 (dialled)'] },
    { name: 'direct destinations: a key outside the patterns is its option at once', ivr: { directDestinations: ['8XX'] }, script: ['p', '1', '0', '1'], expect: ['play menu.wav', 'go ring-group:800 (option)'] },
    { name: 'office closed: its prompt, keys ignored, then its destination', ivr: AWAY, schedule: CLOSED, script: ['2', 'p'], expect: ['play closed.wav', 'go voicemail:101 (closed)'] },
    { name: 'on a break: falls back to the closed prompt and destination', ivr: AWAY, schedule: BREAK, script: ['p'], expect: ['play closed.wav', 'go voicemail:101 (break)'] },
    { name: 'on a holiday: its destination at once (no prompt)', ivr: AWAY, schedule: HOLIDAY, script: [], expect: ['go end-call (holiday)'] },
    { name: 'closed without a closed destination: the menu plays', schedule: CLOSED, script: ['2'], expect: ['play menu.wav', 'stop', 'go queue:8000 (option)'] },
    { name: 'the IVR’s own schedule wins over the global one', ivr: { ...AWAY, schedule: ALWAYS_OPEN }, schedule: CLOSED, script: [], expect: ['play menu.wav'] },
    { name: 'nothing after the destination', script: ['2', '1', 'p', '+100'], expect: ['play menu.wav', 'stop', 'go queue:8000 (option)'], state: 'done' },
  ];
  for (const row of rows) {
    const { actions, engine } = run(ivrOf(row.ivr), row.script, row.schedule);
    assert.deepEqual(actions, row.expect, row.name);
    if (row.state !== undefined) assert.equal(engine.state, row.state, row.name);
    engine.close();
  }
});

test('the directory: extensions with dial-by-extension, model numbers by pattern', () => {
  assert.deepEqual([...ivrDirectory(MODEL, ivrOf({ dialByExtension: true })).keys()], ['101', '102', '201']);
  assert.deepEqual([...ivrDirectory(MODEL, ivrOf({ directDestinations: ['8XX', '8XXX', '7000'] })).entries()], [
    ['800', { kind: 'ring-group', number: '800' }], ['8000', { kind: 'queue', number: '8000' }], ['7000', { kind: 'ivr', number: '7000' }],
  ]);
  assert.equal(ivrDirectory(MODEL, ivrOf()).size, 0);
});

type Event = { kind: 'key'; key: string } | { kind: 'prompt-ended' } | { kind: 'tick'; ms: number };
const event: fc.Arbitrary<Event> = fc.oneof(
  fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', '').map((key) => ({ kind: 'key' as const, key })),
  fc.constant({ kind: 'prompt-ended' as const }),
  fc.integer({ min: 0, max: 15_000 }).map((ms) => ({ kind: 'tick' as const, ms })),
);
const ivrArb: fc.Arbitrary<Partial<Ivr>> = fc.record({
  dialByExtension: fc.boolean(), waitForHash: fc.boolean(), maxRepeats: fc.integer({ min: 0, max: 3 }),
  directDestinations: fc.subarray(['8XX', '8XXX', '70XX', '1XX']),
  timeoutDestination: fc.constantFrom({ kind: 'repeat' } as const, { kind: 'queue', number: '8000' } as const),
  invalidDestination: fc.constantFrom({ kind: 'repeat' } as const, { kind: 'end-call' } as const),
});

test('property: any keys, prompt ends and ticks never throw; at most one destination, nothing after it; the menu always ends in one', () => {
  fc.assert(
    fc.property(ivrArb, fc.array(event, { maxLength: 40 }), (over, events) => {
      const clock = new ManualClock(0);
      const actions: IvrAction[] = [];
      const ivr = ivrOf(over);
      const engine = new IvrEngine(ivr, { clock, onAction: (a) => actions.push(a), directory: ivrDirectory(MODEL, ivr), schedule: ALWAYS_OPEN });
      engine.start();
      for (const e of events) {
        if (e.kind === 'key') engine.key(e.key);
        else if (e.kind === 'prompt-ended') engine.promptEnded();
        else clock.advance(e.ms);
      }
      const goes = actions.filter((a) => a.kind === 'go').length;
      assert.ok(goes <= 1);
      if (goes === 1) assert.equal(actions.at(-1)?.kind, 'go');
      assert.equal(engine.state === 'done', goes === 1);
      // A caller who stays silent from here reaches a destination (no state waits for ever).
      for (let i = 0; i < ivr.maxRepeats + 3 && engine.state !== 'done'; i++) {
        engine.promptEnded();
        clock.advance(60_000);
      }
      assert.equal(engine.state, 'done');
      assert.equal(actions.filter((a) => a.kind === 'go').length, 1);
    }),
    { numRuns: 500 },
  );
});
