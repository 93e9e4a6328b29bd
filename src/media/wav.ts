/**
 * WAV (RIFF WAVE, the Microsoft/IBM multimedia format): the prompts the agent plays and the
 * messages it records. Prompts must be 8 kHz, 16-bit, mono linear PCM (format 1), what G.711
 * carries without resampling; anything else is a WavFormatError that names the file and its
 * format and says how to convert it. Chunks are walked with their lengths checked before reading
 * (docs/STYLE.md rule 3); unknown chunks (LIST, fact, cue) are skipped.
 */
import { SbcError } from '../core/index.js';

export const PROMPT_SAMPLE_RATE = 8000;

export interface WavFormat {
  /** 1 = PCM, 3 = IEEE float, 6 = A-law, 7 = µ-law, 0xfffe = extensible. */
  readonly audioFormat: number;
  readonly channels: number;
  readonly sampleRate: number;
  readonly bitsPerSample: number;
}

export class WavFormatError extends SbcError {
  readonly file: string;

  constructor(file: string, message: string) {
    super('SBC_ERR_WAV_FORMAT', `${file}: ${message}`);
    this.file = file;
  }
}

const FORMAT_NAMES: Readonly<Record<number, string>> = { 1: 'PCM', 3: 'IEEE float', 6: 'A-law', 7: 'µ-law', 0xfffe: 'extensible' };

export function describeWavFormat(f: WavFormat): string {
  return `${FORMAT_NAMES[f.audioFormat] ?? `format ${f.audioFormat}`}, ${f.sampleRate} Hz, ${f.bitsPerSample}-bit, ${f.channels === 1 ? 'mono' : `${f.channels} channels`}`;
}

/** The command that makes a usable prompt of any audio file (sox is in Debian). */
export function conversionHint(file: string): string {
  return `convert it with: sox '${file}' -r 8000 -c 1 -b 16 -e signed-integer out.wav`;
}

/** The WAV's format and its sample bytes, whatever they hold. */
export function readWavChunks(bytes: Buffer, file: string): { format: WavFormat; data: Buffer } {
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WAVE') {
    throw new WavFormatError(file, 'not a WAV file (no RIFF/WAVE header)');
  }
  let format: WavFormat | undefined;
  let data: Buffer | undefined;
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = bytes.toString('latin1', at, at + 4);
    const size = bytes.readUInt32LE(at + 4);
    const body = at + 8;
    if (size > bytes.length - body) {
      // A recorder cut short leaves `data` longer than the file: keep what is there, as players do.
      if (id === 'data') {
        data = bytes.subarray(body);
        break;
      }
      throw new WavFormatError(file, `chunk '${id}' claims ${size} bytes, the file has ${bytes.length - body} left`);
    }
    if (id === 'fmt ') {
      if (size < 16) throw new WavFormatError(file, `fmt chunk of ${size} bytes (at least 16)`);
      format = { audioFormat: bytes.readUInt16LE(body), channels: bytes.readUInt16LE(body + 2), sampleRate: bytes.readUInt32LE(body + 4), bitsPerSample: bytes.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      data = bytes.subarray(body, body + size);
    }
    at = body + size + (size % 2);
  }
  if (format === undefined) throw new WavFormatError(file, 'no fmt chunk');
  if (data === undefined) throw new WavFormatError(file, 'no data chunk');
  return { format, data };
}

/** A prompt: 8 kHz 16-bit mono PCM samples, or a WavFormatError naming the file, its format and the fix. */
export function readPromptWav(bytes: Buffer, file: string): Int16Array {
  const { format, data } = readWavChunks(bytes, file);
  const ok = format.audioFormat === 1 && format.channels === 1 && format.sampleRate === PROMPT_SAMPLE_RATE && format.bitsPerSample === 16;
  if (!ok) throw new WavFormatError(file, `is ${describeWavFormat(format)}; prompts must be PCM, 8000 Hz, 16-bit, mono: ${conversionHint(file)}`);
  const samples = new Int16Array(data.length >> 1);
  for (let i = 0; i < samples.length; i++) samples[i] = data.readInt16LE(i * 2);
  return samples;
}

/** 8 kHz (or `sampleRate`) 16-bit mono PCM samples as a WAV file (recordings, voicemail). */
export function encodeWav(samples: Int16Array, sampleRate = PROMPT_SAMPLE_RATE): Buffer {
  const data = samples.length * 2;
  const out = Buffer.alloc(44 + data);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + data, 4);
  out.write('WAVE', 8, 'latin1');
  out.write('fmt ', 12, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(data, 40);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i] ?? 0, 44 + i * 2);
  return out;
}
