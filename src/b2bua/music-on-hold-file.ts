/**
 * `agent.media.musicOnHold`: the WAV the agent plays to held calls, parked calls and queue
 * callers, read once at start so a wrong file stops the start with the field named (exit 3)
 * instead of surfacing at the first hold. The same rules as the prompts (prompt-library.ts): a
 * bare name is a file of the prompts folder (`.wav` added without an extension), 8 kHz 16-bit
 * mono PCM, another format refused naming the file, its format and the sox command that converts it.
 */
import { readFile } from 'node:fs/promises';
import { extname, isAbsolute, join } from 'node:path';
import { ConfigError } from '../core/index.js';
import { WavFormatError, readPromptWav } from '../media/index.js';

export const MUSIC_ON_HOLD_FIELD = 'agent.media.musicOnHold';

/** Where `setting` is read from: itself when absolute, else in `promptsDir`. */
export function musicOnHoldPath(setting: string, promptsDir: string): string {
  if (isAbsolute(setting)) return setting;
  return join(promptsDir, extname(setting) === '' ? `${setting}.wav` : setting);
}

/**
 * The music's 8 kHz samples; a file that cannot be read, is not a WAV or holds another format is
 * a ConfigError on `field`. An empty WAV is refused too: it would play nothing.
 */
export async function readMusicOnHold(setting: string, promptsDir: string, field = MUSIC_ON_HOLD_FIELD, read: (path: string) => Promise<Buffer> = (p) => readFile(p)): Promise<Int16Array> {
  const path = musicOnHoldPath(setting, promptsDir);
  let bytes: Buffer;
  try {
    bytes = await read(path);
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : String(error);
    throw new ConfigError(field, `cannot read ${path} (${code})`);
  }
  let samples: Int16Array;
  try {
    samples = readPromptWav(bytes, path);
  } catch (error) {
    if (error instanceof WavFormatError) throw new ConfigError(field, error.message);
    throw error;
  }
  if (samples.length === 0) throw new ConfigError(field, `${path} holds no samples`);
  return samples;
}
