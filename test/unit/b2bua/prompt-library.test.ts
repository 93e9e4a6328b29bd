/**
 * FilePromptLibrary: a prompt is `<dir>/<name>.wav` in 8 kHz 16-bit mono PCM; a missing file, a
 * WAV in another format, a name that leaves the folder, or no folder at all is logged (naming the
 * file and why) and plays the built-in tone, never an error to the call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Logger } from '../../../src/core/index.js';
import { encodeWav } from '../../../src/media/index.js';
import { FilePromptLibrary, fallbackPrompt } from '../../../src/b2bua/index.js';

function recordingLogger(): { logger: Logger; warnings: Array<{ fields: Record<string, unknown>; message: string }> } {
  const warnings: Array<{ fields: Record<string, unknown>; message: string }> = [];
  const noop = (): void => {};
  const logger = { debug: noop, info: noop, error: noop, warn: (fields: Record<string, unknown>, message: string) => warnings.push({ fields, message }), child: () => logger } as unknown as Logger;
  return { logger, warnings };
}

/** A 16 kHz WAV: a format prompts refuse. */
function wideband(): Buffer {
  const wav = encodeWav(new Int16Array(16), 16000);
  return wav;
}

test('a prompt by name: <dir>/<name>.wav read once and cached; a name with .wav is taken as is', async () => {
  const reads: string[] = [];
  const samples = new Int16Array([1, -2, 3, -4]);
  const library = new FilePromptLibrary('/prompts', undefined, (path) => {
    reads.push(path);
    return Promise.resolve(encodeWav(samples));
  });
  assert.deepEqual([...(await library.load('menu'))], [...samples]);
  await library.load('menu');
  assert.deepEqual([...(await library.load('closed.wav'))], [...samples]);
  assert.deepEqual(reads, [join('/prompts', 'menu.wav'), join('/prompts', 'closed.wav')]);
});

test('prompts that cannot play (table): the tone instead, a warning naming the prompt and why', async () => {
  const cases: Array<{ name: string; dir: string | undefined; read: (path: string) => Promise<Buffer>; why: RegExp }> = [
    { name: 'missing', dir: '/prompts', read: () => Promise.reject(Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' })), why: /ENOENT/ },
    { name: 'wideband', dir: '/prompts', read: () => Promise.resolve(wideband()), why: /16000 Hz|8000 Hz/ },
    { name: '../../etc/passwd', dir: '/prompts', read: () => Promise.resolve(encodeWav(new Int16Array(4))), why: /leaves the prompts folder/ },
    { name: 'any', dir: undefined, read: () => Promise.resolve(encodeWav(new Int16Array(4))), why: /no prompts folder/ },
  ];
  for (const c of cases) {
    const { logger, warnings } = recordingLogger();
    const library = new FilePromptLibrary(c.dir, logger, c.read);
    assert.deepEqual([...(await library.load(c.name))], [...fallbackPrompt()], c.name);
    assert.equal(warnings.length, 1, c.name);
    assert.equal(warnings[0]?.fields['prompt'], c.name);
    assert.match(`${warnings[0]?.message ?? ''} ${String(warnings[0]?.fields['err'] ?? '')}`, c.why, c.name);
  }
});

test('the fallback tone: 1 s, sound in its first 400 ms, silence after', () => {
  const tone = fallbackPrompt();
  assert.equal(tone.length, 8000);
  assert.ok(tone.subarray(0, 3200).some((s) => Math.abs(s) > 1000));
  assert.ok(tone.subarray(3200).every((s) => s === 0));
});
