/**
 * `agent.media.musicOnHold` read at start: a name of the prompts folder or an absolute path,
 * 8 kHz 16-bit mono PCM; every other file refused as a ConfigError naming the field, the file and
 * its format. A temporary folder holds the files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/core/index.js';
import { encodeWav } from '../../../src/media/index.js';
import { MUSIC_ON_HOLD_FIELD, musicOnHoldPath, readMusicOnHold } from '../../../src/b2bua/index.js';

/** A WAV header with another format (A-law, 16 kHz, stereo...) over `data` bytes. */
function wavOf(audioFormat: number, channels: number, sampleRate: number, bits: number, data = 160): Buffer {
  const out = encodeWav(new Int16Array(data / 2));
  out.writeUInt16LE(audioFormat, 20);
  out.writeUInt16LE(channels, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt16LE(bits, 34);
  return out;
}

test('musicOnHoldPath: a bare name is in the prompts folder, .wav added; an absolute path stays', () => {
  assert.equal(musicOnHoldPath('hold', '/s/agent/prompts'), '/s/agent/prompts/hold.wav');
  assert.equal(musicOnHoldPath('jazz.wav', '/s/agent/prompts'), '/s/agent/prompts/jazz.wav');
  assert.equal(musicOnHoldPath('/usr/share/moh/a.wav', '/s/agent/prompts'), '/usr/share/moh/a.wav');
});

test('readMusicOnHold: the samples of an 8 kHz 16-bit mono WAV, by name or by path', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'moh-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const samples = Int16Array.from({ length: 800 }, (_, i) => (i * 37) % 3000 - 1500);
  await writeFile(join(dir, 'hold.wav'), encodeWav(samples));
  assert.deepEqual(await readMusicOnHold('hold', dir), samples);
  assert.deepEqual(await readMusicOnHold(join(dir, 'hold.wav'), '/nowhere'), samples);
});

test('readMusicOnHold: every unusable file is a ConfigError on the field, naming the file and why', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'moh-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const table: Array<[string, Buffer | undefined, RegExp]> = [
    ['missing', undefined, /cannot read .*missing\.wav \(ENOENT\)/],
    ['text', Buffer.from('not audio at all'), /text\.wav: not a WAV file/],
    ['alaw', wavOf(6, 1, 8000, 8), /alaw\.wav: is A-law, 8000 Hz, 8-bit, mono; .*sox/],
    ['wideband', wavOf(1, 1, 16000, 16), /wideband\.wav: is PCM, 16000 Hz, 16-bit, mono/],
    ['stereo', wavOf(1, 2, 8000, 16), /stereo\.wav: is PCM, 8000 Hz, 16-bit, 2 channels/],
    ['float', wavOf(3, 1, 8000, 32), /float\.wav: is IEEE float/],
    ['empty', encodeWav(new Int16Array(0)), /empty\.wav holds no samples/],
  ];
  for (const [name, bytes, message] of table) {
    if (bytes !== undefined) await writeFile(join(dir, `${name}.wav`), bytes);
    await assert.rejects(readMusicOnHold(name, dir), (error: unknown) => {
      assert.ok(error instanceof ConfigError, name);
      assert.equal(error.path, MUSIC_ON_HOLD_FIELD, name);
      assert.match(error.message, message, name);
      return true;
    });
  }
});
