/**
 * Calls between baresip phones in the survival end-to-end tests, and the check that a call has its
 * audio both ways over a stretch of it (audio-window.ts): a mark of each phone's recording, then
 * "heard since the mark" at the far phone's tone.
 */
import assert from 'node:assert/strict';
import type { BaresipPhone } from './baresip.js';
import { heardSince, recordedSamples } from './audio-window.js';
import { PBX_DOMAIN } from './sbc-kamailio.js';

/** The recording of the call `phone` is in now (its newest). */
export function recording(phone: BaresipPhone): string {
  const path = phone.decodedRecordings().at(-1);
  assert.ok(path !== undefined, `${phone.options.name} records its call`);
  return path;
}

/** Where each phone's recording stands now, and when. */
export interface AudioMark {
  readonly at: number;
  readonly samples: ReadonlyMap<BaresipPhone, number>;
}

export function markAudio(...phones: readonly BaresipPhone[]): AudioMark {
  return { at: Date.now(), samples: new Map(phones.map((p) => [p, recordedSamples(recording(p))])) };
}

/**
 * `listener` heard `speaker`'s tone since `mark`: at least all but 1.5 s of the wall-clock time as
 * audio, 97 % of its 20 ms frames loud, at the speaker's frequency (±5 %). Returns the printed line.
 */
export function assertHeard(listener: BaresipPhone, speaker: BaresipPhone, mark: AudioMark, what: string): string {
  const heard = heardSince(recording(listener), mark.samples.get(listener) ?? 0);
  const elapsed = (Date.now() - mark.at) / 1000;
  const tone = speaker.options.toneHz;
  const line = `${listener.options.name} heard ${speaker.options.name} ${what}: ${heard.seconds.toFixed(1)} s of audio in ${elapsed.toFixed(1)} s, ${Math.round(heard.loud * 100)} % loud, ${heard.hz} Hz`;
  assert.ok(heard.seconds >= elapsed - 1.5, `${line}: audio missing`);
  assert.ok(heard.loud >= 0.97, `${line}: silence in it`);
  assert.ok(Math.abs(heard.hz - tone) <= tone * 0.05, `${line}: not ${speaker.options.name}'s ${tone} Hz`);
  return line;
}

/** Both ways: `b` heard `a` and `a` heard `b` since the mark. */
export function assertTalking(a: BaresipPhone, b: BaresipPhone, mark: AudioMark, what: string): string {
  return `${assertHeard(b, a, mark, what)}; ${assertHeard(a, b, mark, what)}`;
}

/** `from` dials `user` at the PBX's domain; resolves when both phones have the call established (its time). */
export async function dial(from: BaresipPhone, to: BaresipPhone, user = to.options.user): Promise<number> {
  const since = { from: from.events.length, to: to.events.length };
  await from.command('dial', `sip:${user}@${PBX_DOMAIN}`);
  await from.waitFor('CALL_ESTABLISHED', 15_000, since.from);
  await to.waitFor('CALL_ESTABLISHED', 15_000, since.to);
  return Date.now();
}

/** `from` hangs up; resolves when both phones closed the call. */
export async function hangUp(from: BaresipPhone, to: BaresipPhone): Promise<void> {
  const since = { from: from.events.length, to: to.events.length };
  await from.command('hangup');
  await from.waitFor('CALL_CLOSED', 10_000, since.from);
  await to.waitFor('CALL_CLOSED', 10_000, since.to);
}

/** The CALL_CLOSED events `phone` had since event index `since` (a kept call has none). */
export function closedSince(phone: BaresipPhone, since: number): number {
  return phone.events.slice(since).filter((e) => e.type === 'CALL_CLOSED').length;
}
