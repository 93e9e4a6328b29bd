/**
 * Where the B2BUA finds the WAV prompts the routing model names (IVR menus, voicemail greetings):
 * `<agent state dir>/prompts/<name>` (`.wav` added when the name has no extension), 8 kHz 16-bit
 * mono PCM (src/media/wav.ts readPromptWav). A prompt that is missing or in another format is
 * logged once with the file and the reason, and a short built-in tone plays instead: the caller
 * still hears that the menu is there, and the call goes on.
 */
import { readFile } from 'node:fs/promises';
import { extname, join, relative, isAbsolute } from 'node:path';
import { silentLogger, type Logger } from '../core/index.js';
import { readPromptWav, toneSamples } from '../media/index.js';

export interface PromptLibrary {
  /** The prompt's 8 kHz samples; never rejects (a fallback tone when it cannot be read). */
  load(name: string): Promise<Int16Array>;
}

/** 425 Hz for 400 ms then 600 ms of silence (a neutral "something is here" cue). */
export function fallbackPrompt(): Int16Array {
  const tone = toneSamples(425, 400);
  const out = new Int16Array(8000);
  out.set(tone);
  return out;
}

/** The prompts folder of the agent's state dir. */
export const PROMPTS_FOLDER = 'prompts';

export class FilePromptLibrary implements PromptLibrary {
  readonly #dir: string | undefined;
  readonly #log: Logger;
  readonly #read: (path: string) => Promise<Buffer>;
  readonly #cache = new Map<string, Int16Array>();

  /** `dir` undefined: no folder configured, every prompt is the fallback tone. */
  constructor(dir: string | undefined, logger: Logger = silentLogger, read: (path: string) => Promise<Buffer> = (p) => readFile(p)) {
    this.#dir = dir;
    this.#log = logger;
    this.#read = read;
  }

  async load(name: string): Promise<Int16Array> {
    const cached = this.#cache.get(name);
    if (cached !== undefined) return cached;
    const samples = await this.#readOrFallback(name);
    this.#cache.set(name, samples);
    return samples;
  }

  async #readOrFallback(name: string): Promise<Int16Array> {
    if (this.#dir === undefined) {
      this.#log.warn({ prompt: name }, 'no prompts folder: playing a tone instead');
      return fallbackPrompt();
    }
    const path = join(this.#dir, extname(name) === '' ? `${name}.wav` : name);
    const inside = relative(this.#dir, path);
    if (inside.startsWith('..') || isAbsolute(inside)) {
      this.#log.warn({ prompt: name }, 'prompt name leaves the prompts folder: playing a tone instead');
      return fallbackPrompt();
    }
    try {
      return readPromptWav(await this.#read(path), path);
    } catch (error) {
      this.#log.warn({ prompt: name, file: path, err: error instanceof Error ? error.message : String(error) }, 'prompt not playable: playing a tone instead');
      return fallbackPrompt();
    }
  }
}
