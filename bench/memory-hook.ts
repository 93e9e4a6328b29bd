/**
 * A bench-only memory probe, preloaded into `sbc-agent hub` and `sbc-agent run` by bench:calls
 * (`node --import dist/bench/memory-hook.js ...`, see `--memory-dir` in bench/calls.ts); nothing
 * in src/ knows of it.
 *
 * On SIGUSR2 it appends one JSON line to `$BENCH_MEMORY_DIR/<role>-memory.jsonl`: the label the
 * bench wrote to `$BENCH_MEMORY_DIR/label` just before signalling (idle, peak, ended, after),
 * process.memoryUsage() and the V8 heap spaces, read as found and, when the bench asks for it
 * (idle, after), again after a full garbage collection. The difference tells garbage not yet collected from objects still reachable; RSS
 * above the collected heap tells memory V8 or malloc has not given back. With
 * `BENCH_HEAP_SNAPSHOTS=1` it also writes `<role>-<label>.heapsnapshot` there (for
 * bench/heap-diff.ts); writing a snapshot collects garbage first, which is the second reading.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapSpaceStatistics, setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';

const DIR = process.env['BENCH_MEMORY_DIR'];
const SNAPSHOTS = process.env['BENCH_HEAP_SNAPSHOTS'] === '1';
// `hub`, or `agent` for `sbc-agent run` (the command after the script path), as bench:calls labels them.
const COMMAND = process.argv[2] ?? 'node';
const ROLE = COMMAND === 'run' ? 'agent' : COMMAND;

interface Reading {
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly spaces: Record<string, { size: number; used: number }>;
}

function reading(): Reading {
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size }]));
  return { ...process.memoryUsage(), spaces };
}

/**
 * Resident memory by kind of mapping, KiB, from /proc/self/smaps: `brk` (the main malloc arena,
 * "[heap]"), `file` (the node binary and libraries), `anon` (V8's heap pages, the other threads'
 * malloc arenas, big mmap-ed allocations), and the largest anonymous mappings.
 */
function residentByMapping(text: string): { brk: number; file: number; anon: number; largestAnon: string[] } {
  let brk = 0;
  let file = 0;
  let anon = 0;
  const anonMaps: Array<{ range: string; kb: number }> = [];
  let range = '';
  let path = '';
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+-[0-9a-f]+)\s+\S+\s+\S+\s+\S+\s+\d+\s*(.*)$/.exec(line);
    if (head !== null) {
      range = head[1] ?? '';
      path = head[2] ?? '';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss === null) continue;
    const kb = Number(rss[1]);
    if (path === '[heap]') brk += kb;
    else if (path.startsWith('/')) file += kb;
    else {
      anon += kb;
      anonMaps.push({ range, kb });
    }
  }
  const largestAnon = anonMaps.sort((a, b) => b.kb - a.kb).slice(0, 8).map((m) => {
    const [from, to] = m.range.split('-').map((h) => parseInt(h, 16));
    return `${m.range} ${(((to ?? 0) - (from ?? 0)) / 1024).toFixed(0)} KiB mapped, ${m.kb} KiB resident`;
  });
  return { brk, file, anon, largestAnon };
}

function collect(): void {
  // --expose-gc set at run time: gc() then exists in a new context (the flag was not on the command line).
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

if (DIR !== undefined) {
  process.on('SIGUSR2', () => {
    // The label file: the mark's name, then `collect` or `read` (read only: a collection during
    // the load or right after it would change what the process does on its own).
    let label = 'unlabelled';
    let mode = 'collect';
    try {
      [label = label, mode = mode] = readFileSync(join(DIR, 'label'), 'utf8').trim().split('\n');
    } catch {
      // no label written
    }
    const found = reading();
    const started = Date.now();
    if (SNAPSHOTS) writeHeapSnapshot(join(DIR, `${ROLE}-${label}.heapsnapshot`));
    else if (mode === 'collect') collect();
    const collected = mode === 'collect' || SNAPSHOTS ? reading() : undefined;
    const smaps = readFileSync('/proc/self/smaps', 'utf8');
    writeFileSync(join(DIR, `${ROLE}-${label}.smaps`), smaps);
    const mappings = residentByMapping(smaps);
    appendFileSync(join(DIR, `${ROLE}-memory.jsonl`), `${JSON.stringify({ label, at: new Date().toISOString(), ms: Date.now() - started, found, collected, mappings })}\n`);
  });
}
