/**
 * Runs one fuzz target over `iterations` inputs from a seeded InputSource. Inputs the target
 * rejects with its own typed error are counted; any other error is a finding (with the input, so it
 * can be kept as a regression vector); an input that takes longer than `slowMs` is a finding too.
 * `progress`, when given, gets the index of the input about to run (a shared counter, so that a
 * watchdog in another thread can name the input that hangs).
 */
import { performance } from 'node:perf_hooks';
import { InputSource } from './mutate.js';
import { isAllowed, type FuzzTarget } from './targets.js';

export interface Finding {
  readonly index: number;
  readonly kind: 'error' | 'slow';
  readonly error: string;
  /** The input, hex. */
  readonly input: string;
}

export interface FuzzResult {
  readonly target: string;
  readonly inputs: number;
  /** Inputs the target accepted. */
  readonly accepted: number;
  /** Inputs refused with the target's own typed error. */
  readonly refused: number;
  readonly findings: readonly Finding[];
  readonly slowestMs: number;
  readonly elapsedMs: number;
}

export interface FuzzOptions {
  readonly iterations: number;
  readonly seed: number;
  /** An input slower than this is a finding. Default 1000 ms. */
  readonly slowMs?: number;
  /** Stop collecting after this many findings (the run goes on counting). Default 20. */
  readonly maxFindings?: number;
  readonly progress?: Int32Array;
}

/** The input number `index` of a run with `seed`, without running the target (to show a hang's input). */
export function inputAt(target: FuzzTarget, seed: number, index: number): Buffer {
  const source = new InputSource(seed, target.seeds());
  let input = source.next();
  for (let i = 0; i < index; i++) input = source.next();
  return input;
}

export function fuzzTarget(target: FuzzTarget, o: FuzzOptions): FuzzResult {
  const source = new InputSource(o.seed, target.seeds());
  const slowMs = o.slowMs ?? 1000;
  const maxFindings = o.maxFindings ?? 20;
  const findings: Finding[] = [];
  let accepted = 0;
  let refused = 0;
  let slowestMs = 0;
  const started = performance.now();
  for (let index = 0; index < o.iterations; index++) {
    const input = source.next();
    if (o.progress !== undefined) Atomics.store(o.progress, 0, index);
    const t0 = performance.now();
    try {
      target.run(input);
      accepted++;
    } catch (error) {
      if (isAllowed(target, error)) refused++;
      else if (findings.length < maxFindings) {
        findings.push({ index, kind: 'error', error: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error), input: input.toString('hex') });
      }
    }
    const took = performance.now() - t0;
    if (took > slowestMs) slowestMs = took;
    if (took > slowMs && findings.length < maxFindings) findings.push({ index, kind: 'slow', error: `took ${took.toFixed(0)} ms`, input: input.toString('hex') });
  }
  return { target: target.name, inputs: o.iterations, accepted, refused, findings, slowestMs, elapsedMs: performance.now() - started };
}
