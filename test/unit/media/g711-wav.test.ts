/** G.711 µ-law/A-law against the values of the recommendation's reference code, and WAV prompts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  WavFormatError, alawToLinear, decodeG711, encodeG711, encodeWav, linearToAlaw, linearToUlaw, readPromptWav, ulawToLinear,
} from '../../../src/media/index.js';

// Reference values (ITU-T G.711 Tables 1 and 2, as Sun's g711.c computes them).
const KNOWN: readonly [number, number, number][] = [
  // linear, µ-law, A-law
  [0, 0xff, 0xd5],
  [32767, 0x80, 0xaa],
  [-32768, 0x00, 0x2a],
  [1000, 0xce, 0xfa],
  [-1000, 0x4e, 0x7a],
  [8, 0xfe, 0xd5],
];

test('G.711 encodes the reference values', () => {
  for (const [linear, ulaw, alaw] of KNOWN) {
    assert.equal(linearToUlaw(linear), ulaw, `µ-law of ${linear}`);
    assert.equal(linearToAlaw(linear), alaw, `A-law of ${linear}`);
  }
  assert.equal(ulawToLinear(0x00), -32124);
  assert.equal(ulawToLinear(0x80), 32124);
  assert.equal(ulawToLinear(0xff), 0);
  assert.equal(alawToLinear(0xd5), 8);
  assert.equal(alawToLinear(0x2a), -32256);
});

test('every G.711 code decodes to a value that encodes back to it (µ-law −0 aside)', () => {
  for (let code = 0; code < 256; code++) {
    if (code !== 0x7f) assert.equal(linearToUlaw(ulawToLinear(code)), code, `µ-law ${code}`);
    assert.equal(linearToAlaw(alawToLinear(code)), code, `A-law ${code}`);
  }
});

test('G.711 quantization: error within |x|/16 + 8, and monotonic', () => {
  fc.assert(fc.property(fc.integer({ min: -32768, max: 32767 }), fc.integer({ min: -32768, max: 32767 }), (x, y) => {
    for (const [enc, dec] of [[linearToUlaw, ulawToLinear], [linearToAlaw, alawToLinear]] as const) {
      assert.ok(Math.abs(dec(enc(x)) - x) <= Math.abs(x) / 16 + 8, `${x}`);
      if (x <= y) assert.ok(dec(enc(x)) <= dec(enc(y)), `${x} ≤ ${y}`);
    }
  }), { numRuns: 2000 });
  const samples = Int16Array.from([0, 100, -100, 32767, -32768]);
  assert.deepEqual([...decodeG711(encodeG711(samples, 'ulaw'), 'ulaw')], [0, 104, -104, 32124, -32124]);
});

function wav(o: { format?: number; channels?: number; rate?: number; bits?: number; data?: Buffer; extra?: Buffer }): Buffer {
  const data = o.data ?? Buffer.alloc(320);
  const fmt = Buffer.alloc(24);
  fmt.write('fmt ', 0, 'latin1');
  fmt.writeUInt32LE(16, 4);
  fmt.writeUInt16LE(o.format ?? 1, 8);
  fmt.writeUInt16LE(o.channels ?? 1, 10);
  fmt.writeUInt32LE(o.rate ?? 8000, 12);
  fmt.writeUInt32LE((o.rate ?? 8000) * 2, 16);
  fmt.writeUInt16LE(2, 20);
  fmt.writeUInt16LE(o.bits ?? 16, 22);
  const dataHead = Buffer.alloc(8);
  dataHead.write('data', 0, 'latin1');
  dataHead.writeUInt32LE(data.length, 4);
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), fmt, o.extra ?? Buffer.alloc(0), dataHead, data]);
  const head = Buffer.alloc(8);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

test('WAV: 8 kHz 16-bit mono PCM round-trips; other chunks are skipped', () => {
  const samples = Int16Array.from({ length: 800 }, (_, i) => Math.round(Math.sin(i / 5) * 10000));
  assert.deepEqual([...readPromptWav(encodeWav(samples), 'tone.wav')], [...samples]);
  const list = Buffer.concat([Buffer.from('LIST', 'latin1'), Buffer.from([5, 0, 0, 0]), Buffer.from('INFOx'), Buffer.alloc(1)]);
  assert.equal(readPromptWav(wav({ extra: list }), 'with-list.wav').length, 160);
});

const BAD_WAVS: readonly [string, Buffer, RegExp][] = [
  ['44.1 kHz stereo', wav({ rate: 44100, channels: 2 }), /greeting\.wav: is PCM, 44100 Hz, 16-bit, 2 channels; prompts must be PCM, 8000 Hz, 16-bit, mono: convert it with: sox 'greeting\.wav' -r 8000 -c 1 -b 16/],
  ['µ-law', wav({ format: 7, bits: 8 }), /is µ-law, 8000 Hz, 8-bit, mono/],
  ['float', wav({ format: 3, bits: 32 }), /is IEEE float, 8000 Hz, 32-bit/],
  ['16 kHz', wav({ rate: 16000 }), /is PCM, 16000 Hz/],
  ['not RIFF', Buffer.from('ID3 this is an mp3 file'), /not a WAV file \(no RIFF\/WAVE header\)/],
  ['no data', wav({}).subarray(0, 12 + 24), /no data chunk/],
  ['a chunk longer than the file', Buffer.concat([wav({}).subarray(0, 12), Buffer.from('fmt '), Buffer.from([0xff, 0xff, 0, 0])]), /chunk 'fmt ' claims 65535 bytes/],
];

for (const [name, bytes, message] of BAD_WAVS) {
  test(`WAV refused: ${name}, with the file and its format named`, () => {
    assert.throws(() => readPromptWav(bytes, 'greeting.wav'), (e: unknown) => e instanceof WavFormatError && e.code === 'SBC_ERR_WAV_FORMAT' && message.test(e.message) && e.file === 'greeting.wav');
  });
}

test('WAV reading never throws anything but WavFormatError', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, riff) => {
    const input = riff ? Buffer.concat([wav({}).subarray(0, 12), Buffer.from(bytes)]) : Buffer.from(bytes);
    try {
      readPromptWav(input, 'x.wav');
    } catch (e) {
      assert.ok(e instanceof WavFormatError, String(e));
    }
  }), { numRuns: 1000 });
});
