/**
 * Input generation for the fuzzer: seeded, so a failure is reproduced with `--seed`. Each input is
 * either a mutation of a seed (the RFC vectors and captured frames kept in the repository) or raw
 * bytes drawn by fast-check. Mutations are the classic ones (AFL's "havoc" stage): bit flips,
 * interesting values at a position, insertions, deletions, duplication of a slice, splicing two
 * seeds, truncation, and for text protocols replacing a number or a line.
 */
import fc from 'fast-check';

/** xorshift32: small, fast, reproducible. */
export class Prng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0 || 0x9e3779b9;
  }

  next(): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return this.#state;
  }

  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.below(items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }
}

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x0d, 0x0a, 0x20, 0x3a, 0x3b, 0x3c, 0x3e, 0x22, 0x5c, 0x25];
const INTERESTING_NUMBERS = ['0', '-1', '4294967295', '4294967296', '99999999999999999999', '1e9', '0x10', '', '65536', '2147483648'];
const INTERESTING_LINES = [
  'Content-Length: 99999999', 'Content-Length: -5', 'Via: SIP/2.0/UDP', 'CSeq: 1', 'Max-Forwards: 0', 'm=audio 0 RTP/AVP',
  'c=IN IP6 ::ffff:1.2.3.4', 'a=rtpmap:0', '', ' ', '\t', 'a'.repeat(5000), 'To: <sip:a@b>;tag=' + 'x'.repeat(300),
];

function mutateOnce(input: Buffer, rng: Prng, seeds: readonly Buffer[]): Buffer {
  const at = rng.below(input.length + 1);
  switch (rng.below(10)) {
    case 0: { // flip a bit
      if (input.length === 0) return input;
      const out = Buffer.from(input);
      const i = rng.below(out.length);
      out[i] = (out[i] ?? 0) ^ (1 << rng.below(8));
      return out;
    }
    case 1: { // an interesting byte
      if (input.length === 0) return Buffer.from([rng.pick(INTERESTING_BYTES)]);
      const out = Buffer.from(input);
      out[rng.below(out.length)] = rng.pick(INTERESTING_BYTES);
      return out;
    }
    case 2: { // insert random bytes
      const extra = Buffer.alloc(1 + rng.below(16));
      for (let i = 0; i < extra.length; i++) extra[i] = rng.below(256);
      return Buffer.concat([input.subarray(0, at), extra, input.subarray(at)]);
    }
    case 3: // delete a slice
      return Buffer.concat([input.subarray(0, at), input.subarray(Math.min(input.length, at + 1 + rng.below(32)))]);
    case 4: { // duplicate a slice (repeated headers, attributes, frames)
      const len = 1 + rng.below(Math.max(1, Math.min(64, input.length - at)));
      const slice = input.subarray(at, at + len);
      return Buffer.concat([input.subarray(0, at), slice, slice, input.subarray(at)]);
    }
    case 5: { // splice with another seed
      const other = rng.pick(seeds);
      const cut = rng.below(other.length + 1);
      return Buffer.concat([input.subarray(0, at), other.subarray(cut)]);
    }
    case 6: // truncate
      return input.subarray(0, at);
    case 7: { // a 16- or 32-bit length-ish field set to an extreme
      if (input.length < 4) return input;
      const out = Buffer.from(input);
      const i = rng.below(out.length - 3);
      if (rng.below(2) === 0) out.writeUInt16BE(rng.pick([0, 1, 0x7fff, 0x8000, 0xffff]), i);
      else out.writeUInt32BE(rng.pick([0, 1, 0x7fffffff, 0x80000000, 0xffffffff]), i);
      return out;
    }
    case 8: { // text: replace a number
      const text = input.toString('latin1');
      const numbers = [...text.matchAll(/\d+/g)];
      if (numbers.length === 0) return input;
      const m = rng.pick(numbers);
      const index = m.index;
      return Buffer.from(text.slice(0, index) + rng.pick(INTERESTING_NUMBERS) + text.slice(index + m[0].length), 'latin1');
    }
    default: { // text: replace, duplicate or insert a line
      const lines = input.toString('latin1').split('\r\n');
      const i = rng.below(lines.length);
      const choice = rng.below(3);
      if (choice === 0) lines[i] = rng.pick(INTERESTING_LINES);
      else if (choice === 1) lines.splice(i, 0, lines[i] ?? '');
      else lines.splice(i, 0, rng.pick(INTERESTING_LINES));
      return Buffer.from(lines.join('\r\n'), 'latin1');
    }
  }
}

/** A source of inputs: mostly stacked mutations of seeds, one in eight raw bytes from fast-check. */
export class InputSource {
  readonly #rng: Prng;
  readonly #seeds: readonly Buffer[];
  readonly #raw: Buffer[] = [];

  constructor(seed: number, seeds: readonly Buffer[]) {
    if (seeds.length === 0) throw new RangeError('the fuzzer needs at least one seed');
    this.#rng = new Prng(seed);
    this.#seeds = seeds;
  }

  next(): Buffer {
    if (this.#rng.below(8) === 0) return this.#rawBytes();
    let input = this.#rng.pick(this.#seeds);
    const stack = 1 + this.#rng.below(6);
    for (let i = 0; i < stack; i++) input = mutateOnce(input, this.#rng, this.#seeds);
    return input;
  }

  /** fast-check's byte arrays (biased toward small and edge values), drawn in batches for speed. */
  #rawBytes(): Buffer {
    if (this.#raw.length === 0) {
      const arrays = fc.sample(fc.uint8Array({ maxLength: 2048 }), { seed: this.#rng.next() | 0, numRuns: 256 });
      for (const a of arrays) this.#raw.push(Buffer.from(a));
    }
    return this.#raw.pop() ?? Buffer.alloc(0);
  }
}
