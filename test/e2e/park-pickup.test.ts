/**
 * Call parking and directed pickup with real phones, under the agent's own call control (issue 13,
 * test/support/local-rig.ts in network namespaces `parkp-*`):
 *   - 101 calls 102; 102 parks 101 with baresip's blind transfer to `*70` (REFER); 102's call
 *     closes, 101 stays up and hears the park beep (425 Hz); 103 dials orbit 701 and 101 and 103
 *     hear each other's tones;
 *   - 105 calls 104 (a SIPp phone that rings until cancelled); 106 dials `**104`: 104's INVITE is
 *     cancelled, 105 and 106 hear each other's tones.
 * Audio is read off each baresip's recording from a mark on (test/support/audio-window.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { heardSince, recordedSamples } from '../support/audio-window.js';
import type { BaresipPhone } from '../support/baresip.js';
import { LocalRig, PASSWORDS, REALM, sippTimeline } from '../support/local-rig.js';

const TONE = { '101': 1000, '102': 500, '103': 750, '105': 600, '106': 1200 } as const;
type Tone = keyof typeof TONE;
const PARK_BEEP_HZ = 425;
const PASSWORD: Readonly<Record<string, string>> = { ...PASSWORDS, '105': 'Pw-105-v', '106': 'Pw-106-u' };

function routingYaml(version: number): string {
  return `version: ${version}
realm: ${REALM}
extensions:
${['101', '102', '103', '104', '105', '106'].map((n) => `  - { number: "${n}", name: Phone ${n}, password: ${PASSWORD[n] ?? ''} }`).join('\n')}
parking:
  orbits: 701-702
  timeoutSeconds: 120
`;
}

let rig: LocalRig;
const phones = new Map<Tone, BaresipPhone>();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function phone(n: Tone): BaresipPhone {
  const p = phones.get(n);
  assert.ok(p !== undefined, `phone ${n}`);
  return p;
}

/** The recording of the call `p` is in now (its newest). */
function recording(p: BaresipPhone): string {
  const path = p.decodedRecordings().at(-1);
  assert.ok(path !== undefined, `${p.options.name} records its call`);
  return path;
}

/** `listener` heard `speaker`'s tone since `mark`: nearly every frame loud, at the speaker's frequency (±5 %). */
function assertHeard(listener: Tone, speaker: Tone, mark: number, markedAt: number): string {
  const heard = heardSince(recording(phone(listener)), mark);
  const elapsed = (Date.now() - markedAt) / 1000;
  const line = `${listener} heard ${speaker}: ${heard.seconds.toFixed(1)} s of audio in ${elapsed.toFixed(1)} s, ${Math.round(heard.loud * 100)} % loud, ${heard.hz} Hz`;
  assert.ok(heard.seconds >= elapsed - 1.5, `${line}: audio missing\nagent: ${rig.agent.stderr.slice(-3000)}`);
  assert.ok(heard.loud >= 0.9, `${line}: silence in it`);
  assert.ok(Math.abs(heard.hz - TONE[speaker]) <= TONE[speaker] * 0.05, `${line}: not ${speaker}'s ${TONE[speaker]} Hz`);
  return line;
}

before(async () => {
  rig = await LocalRig.start({ prefix: 'parkp', routingYaml });
  for (const n of Object.keys(TONE) as Tone[]) phones.set(n, await rig.baresip(`P${n}`, n, TONE[n], { password: PASSWORD[n] ?? '' }));
  for (const p of phones.values()) await p.waitRegistered();
});

after(async () => {
  await rig?.stop();
});

test('102 parks 101 by blind transfer to *70; 101 hears the park beep; 103 dials 701 and 101 and 103 hear each other', { timeout: 120_000 }, async () => {
  const [a, b, c] = [phone('101'), phone('102'), phone('103')];
  const since = { a: a.events.length, b: b.events.length, c: c.events.length };
  await a.command('dial', `sip:102@${REALM}`);
  await b.waitFor('CALL_ESTABLISHED', 15_000, since.b);
  await a.waitFor('CALL_ESTABLISHED', 15_000, since.a);
  await sleep(1000);

  await b.command('transfer', `sip:*70@${REALM}`);
  await b.waitFor('CALL_CLOSED', 10_000, since.b);
  assert.equal(a.events.slice(since.a).some((e) => e.type === 'CALL_CLOSED'), false, '101 stays in its call');
  await rig.statusUntil((s) => s.parts.calls.active === 1, 'the parked call alone is up');
  await sleep(500);
  const parkMark = recordedSamples(recording(a));
  await sleep(4500);
  const beep = heardSince(recording(a), parkMark);
  process.stdout.write(`# 101 parked: ${beep.seconds.toFixed(1)} s, ${Math.round(beep.loud * 100)} % loud, ${beep.hz} Hz\n`);
  assert.ok(beep.loud > 0 && beep.loud < 0.3, `the beep, not 102's tone nor silence: ${JSON.stringify(beep)}`);
  assert.ok(Math.abs(beep.hz - PARK_BEEP_HZ) <= PARK_BEEP_HZ * 0.05, `the park beep's ${PARK_BEEP_HZ} Hz: ${JSON.stringify(beep)}`);

  await c.command('dial', `sip:701@${REALM}`);
  await c.waitFor('CALL_ESTABLISHED', 15_000, since.c);
  await sleep(1000);
  const marks = { a: recordedSamples(recording(a)), c: recordedSamples(recording(c)) };
  const markedAt = Date.now();
  await sleep(3000);
  process.stdout.write(`# ${assertHeard('101', '103', marks.a, markedAt)}\n# ${assertHeard('103', '101', marks.c, markedAt)}\n`);
  await c.command('hangup');
  await a.waitFor('CALL_CLOSED', 10_000, since.a);
});

test('106 dials **104 while 105 rings 104: 104 is cancelled, 105 and 106 hear each other', { timeout: 120_000 }, async () => {
  const ringing = await rig.sippPhone('p104-picked', '104', 'local-phone-ring.xml');
  const [d, f] = [phone('105'), phone('106')];
  const since = { d: d.events.length, f: f.events.length };
  await d.command('dial', `sip:104@${REALM}`);
  // 104 rings (SIPp answers 180 and waits for the CANCEL).
  await sleep(2000);
  await f.command('dial', `sip:**104@${REALM}`);
  await f.waitFor('CALL_ESTABLISHED', 15_000, since.f);
  await d.waitFor('CALL_ESTABLISHED', 15_000, since.d);
  const rang = await ringing.done;
  assert.equal(rang.code, 0, `${rang.stderr}\n${rang.trace.slice(-3000)}\nagent: ${rig.agent.stderr.slice(-3000)}`);
  const cancel = sippTimeline(rang.trace).find((m) => m.firstLine.startsWith('CANCEL'));
  assert.ok(cancel !== undefined, '104 got CANCEL');
  assert.match(cancel.text, /Reason: SIP;cause=200;text="Call completed elsewhere"/);
  await sleep(1000);
  const marks = { d: recordedSamples(recording(d)), f: recordedSamples(recording(f)) };
  const markedAt = Date.now();
  await sleep(3000);
  process.stdout.write(`# ${assertHeard('105', '106', marks.d, markedAt)}\n# ${assertHeard('106', '105', marks.f, markedAt)}\n`);
  await f.command('hangup');
  await d.waitFor('CALL_CLOSED', 10_000, since.d);
});
