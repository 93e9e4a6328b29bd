/**
 * `npm run fuzz -- [--target sip|sdp|stun|tunnel|rtp|pnp|enroll|all] [--iterations N] [--seed S]
 * [--hang-ms MS]`: fuzzes the decoders the program runs on bytes from the network (targets.ts),
 * each target in a worker thread watched for hangs, and prints per target the inputs tried, how
 * many were accepted or refused with the target's typed error, the findings (any other error, a
 * slow input, a hang: with the input in hex and the seed and index to replay it) and the rate.
 * Exit 0 when no target has a finding, 1 otherwise, 2 for a wrong command line.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { fuzzTarget, inputAt, type FuzzResult } from './runner.js';
import { TARGETS, TARGET_NAMES, type TargetName } from './targets.js';

interface Job {
  readonly target: TargetName;
  readonly iterations: number;
  readonly seed: number;
  readonly progress: SharedArrayBuffer;
}

const USAGE = 'usage: npm run fuzz -- [--target sip|sdp|stun|tunnel|rtp|pnp|enroll|all] [--iterations N] [--seed S] [--hang-ms MS]';

function option(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
}

function positiveInteger(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) {
    console.error(`--${name} must be a positive integer, got '${text}'\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

function runInWorker(job: Job, hangMs: number): Promise<FuzzResult | { hang: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: job });
    const progress = new Int32Array(job.progress);
    let last = -1;
    let quietSince = Date.now();
    const watchdog = setInterval(() => {
      const now = Atomics.load(progress, 0);
      if (now !== last) {
        last = now;
        quietSince = Date.now();
      } else if (Date.now() - quietSince > hangMs) {
        clearInterval(watchdog);
        void worker.terminate();
        resolve({ hang: now });
      }
    }, 250);
    worker.once('message', (result: FuzzResult) => {
      clearInterval(watchdog);
      resolve(result);
    });
    worker.once('error', (error) => {
      clearInterval(watchdog);
      reject(error);
    });
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const which = option(args, 'target') ?? 'all';
  if (which !== 'all' && !(TARGET_NAMES as readonly string[]).includes(which)) {
    console.error(`--target must be one of ${TARGET_NAMES.join(', ')} or all, got '${which}'\n${USAGE}`);
    return 2;
  }
  const iterations = positiveInteger(option(args, 'iterations'), 100_000, 'iterations');
  const seed = positiveInteger(option(args, 'seed'), 1, 'seed');
  const hangMs = positiveInteger(option(args, 'hang-ms'), 10_000, 'hang-ms');
  const targets = which === 'all' ? TARGET_NAMES : [which as TargetName];
  let failed = false;
  console.log(`fuzz: ${iterations} inputs per target, seed ${seed}`);
  console.log('target   inputs     accepted  refused   findings  slowest-ms  inputs/s');
  for (const target of targets) {
    const result = await runInWorker({ target, iterations, seed, progress: new SharedArrayBuffer(4) }, hangMs);
    if ('hang' in result) {
      failed = true;
      const input = inputAt(TARGETS[target], seed, result.hang).toString('hex');
      console.log(`${target.padEnd(8)} HANG at input ${result.hang} (seed ${seed}): no progress for ${hangMs} ms\n  input: ${input}`);
      continue;
    }
    const rate = Math.round(result.inputs / (result.elapsedMs / 1000));
    console.log(`${target.padEnd(8)} ${String(result.inputs).padEnd(10)} ${String(result.accepted).padEnd(9)} ${String(result.refused).padEnd(9)} ${String(result.findings.length).padEnd(9)} ${result.slowestMs.toFixed(1).padEnd(11)} ${rate}`);
    for (const f of result.findings) {
      failed = true;
      console.log(`  finding (${f.kind}) at input ${f.index} (seed ${seed}): ${f.error.split('\n').slice(0, 4).join('\n    ')}\n  input: ${f.input}`);
    }
  }
  return failed ? 1 : 0;
}

if (isMainThread) {
  process.exitCode = await main();
} else {
  const job = workerData as Job;
  const result = fuzzTarget(TARGETS[job.target], { iterations: job.iterations, seed: job.seed, progress: new Int32Array(job.progress) });
  parentPort?.postMessage(result);
}
