/**
 * The e2e survival tests judge "audio throughout" by test/support/audio-window.ts: a stretch with
 * a gap (silence decoded, or no frames at all) or the wrong tone must not pass for heard.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { heardSince, recordedSamples } from '../../support/audio-window.js';

const dir = mkdtempSync(join(tmpdir(), 'sbc-audio-window-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A WAV as sndfile leaves it while still recording: the data size not yet filled in (0). */
function wav(name: string, parts: readonly { seconds: number; hz: number }[]): string {
  const samples: number[] = [];
  for (const p of parts) for (let i = 0; i < p.seconds * 8000; i++) samples.push(p.hz === 0 ? 0 : Math.round(12_000 * Math.sin((2 * Math.PI * p.hz * i) / 8000)));
  const head = Buffer.alloc(44);
  head.write('RIFF', 0, 'latin1');
  head.write('WAVEfmt ', 8, 'latin1');
  head.writeUInt32LE(16, 16);
  head.writeUInt16LE(1, 20);
  head.writeUInt16LE(1, 22);
  head.writeUInt32LE(8000, 24);
  head.writeUInt32LE(16_000, 28);
  head.writeUInt16LE(2, 32);
  head.writeUInt16LE(16, 34);
  head.write('data', 36, 'latin1');
  const body = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => body.writeInt16LE(s, i * 2));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([head, body]));
  return path;
}

test('a steady tone is heard whole, at its frequency', () => {
  const h = heardSince(wav('steady.wav', [{ seconds: 4, hz: 1000 }]), 0);
  assert.equal(h.seconds, 4);
  assert.equal(h.loud, 1);
  assert.ok(Math.abs(h.hz - 1000) <= 10, `${h.hz} Hz`);
});

test('a gap of silence shows as frames that are not loud; a mark counts only what came after it', () => {
  const path = wav('gap.wav', [{ seconds: 3, hz: 500 }, { seconds: 1, hz: 0 }, { seconds: 2, hz: 500 }]);
  const whole = heardSince(path, 0);
  assert.ok(whole.loud < 0.85 && whole.loud > 0.8, `1 s of 6 s silent: ${whole.loud}`);
  assert.equal(recordedSamples(path), 48_000);
  const tail = heardSince(path, 32_000);
  assert.equal(tail.seconds, 2);
  assert.equal(tail.loud, 1, 'after the gap');
  assert.ok(Math.abs(tail.hz - 500) <= 5, `${tail.hz} Hz`);
});

test('a mark past the end is nothing heard', () => {
  const h = heardSince(wav('short.wav', [{ seconds: 1, hz: 750 }]), 16_000);
  assert.deepEqual(h, { seconds: 0, loud: 0, hz: 0 });
});
