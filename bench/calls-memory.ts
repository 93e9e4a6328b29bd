/**
 * Memory marks of bench:calls (`--memory-dir DIR [--heap-snapshots]`): the agent and the hub are
 * started with bench/memory-hook.js preloaded, and at each mark (idle, peak, ended, after) the
 * bench writes the label and signals SIGUSR2; the hook appends process.memoryUsage() as found and
 * after a full collection (and writes a heap snapshot). The readings are printed at the end next
 * to the PSS figures, and the snapshots compared with `node dist/bench/heap-diff.js A B`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HOOK = fileURLToPath(new URL('./memory-hook.js', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

interface Reading { readonly rss: number; readonly heapTotal: number; readonly heapUsed: number; readonly external: number; readonly arrayBuffers: number }
interface Line {
  readonly label: string;
  readonly ms: number;
  readonly found: Reading;
  readonly collected?: Reading;
  /** Resident KiB after the collection by kind of mapping (memory-hook.ts). */
  readonly mappings: { readonly brk: number; readonly file: number; readonly anon: number };
}

export class MemoryMarks {
  readonly dir: string;

  /** Sets the environment the sbc-agent children inherit: the hook preloaded, where it writes. */
  constructor(dir: string, snapshots: boolean) {
    this.dir = resolve(dir);
    mkdirSync(this.dir, { recursive: true });
    process.env['BENCH_MEMORY_DIR'] = this.dir;
    if (snapshots) process.env['BENCH_HEAP_SNAPSHOTS'] = '1';
    process.env['BENCH_NODE_FLAGS'] = `--import=${pathToFileURL(HOOK).href} ${process.env['BENCH_NODE_FLAGS'] ?? ''}`;
  }

  #lines(role: string): Line[] {
    const file = join(this.dir, `${role}-memory.jsonl`);
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Line);
  }

  /**
   * Signals each process and waits (at most 120 s: a snapshot of a big heap is slow) until each
   * has written its line; `collect`: read again after a full collection.
   */
  async mark(parts: ReadonlyArray<{ readonly label: string; readonly pid: number }>, label: string, collect: boolean): Promise<void> {
    writeFileSync(join(this.dir, 'label'), `${label}\n${collect ? 'collect' : 'read'}`);
    const before = parts.map((p) => this.#lines(p.label).length);
    for (const p of parts) process.kill(p.pid, 'SIGUSR2');
    for (const deadline = Date.now() + 120_000; Date.now() < deadline;) {
      if (parts.every((p, i) => this.#lines(p.label).length > (before[i] ?? 0))) return;
      await sleep(200);
    }
    process.stdout.write(`memory mark ${label}: not every process answered within 120 s\n`);
  }

  /**
   * One row per process and mark: RSS, heap used as found → after a full collection, heap total,
   * external, array buffers, and the resident memory after the collection by mapping: the main
   * malloc arena (brk), anonymous mappings (V8 pages, thread arenas), files (binary, libraries).
   */
  report(roles: readonly string[]): string {
    const rows = [['process', 'mark', 'RSS found → collected', 'heapUsed found → collected', 'heapTotal', 'external', 'arrayBuffers', 'brk', 'anon', 'file', 'GC/snapshot ms']];
    for (const role of roles) {
      for (const l of this.#lines(role)) {
        const both = (f: (r: Reading) => number): string => (l.collected === undefined ? mib(f(l.found)) : `${mib(f(l.found))} → ${mib(f(l.collected))}`);
        const last = l.collected ?? l.found;
        rows.push([role, l.label, both((r) => r.rss), both((r) => r.heapUsed), both((r) => r.heapTotal),
          mib(last.external), mib(last.arrayBuffers), mib(l.mappings.brk * 1024), mib(l.mappings.anon * 1024), mib(l.mappings.file * 1024), String(l.ms)]);
      }
    }
    return `memory marks (MiB; ${this.dir}):\n${rows.map((r) => r.map((c, i) => c.padEnd(i === 2 || i === 3 ? 28 : i === 4 ? 16 : 10)).join(' ')).join('\n')}\n`;
  }
}
