/**
 * node dist/bench/heap-diff.js A.heapsnapshot B.heapsnapshot [--top N] [--retainers NAME [--paths N]]
 *
 * Compares two V8 heap snapshots (from bench:calls --memory-dir DIR --heap-snapshots, or any
 * `--heapsnapshot-signal`) by constructor, as the DevTools "Comparison" view does: for each class
 * (object constructor name, or "(string)", "(array)", "(closure)", "(code)"...) the count and the
 * self size in each snapshot and the growth, largest growth first. With `--retainers NAME` it
 * prints, for a few objects of that class in B, the shortest path from a GC root to the object,
 * which names what keeps it alive (a Map of a class, a timer, a closure).
 *
 * Self size only: retained sizes need the dominator tree, and growth by class plus a retainer path
 * is what finds the holder of a leak.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface RawSnapshot {
  readonly snapshot: {
    readonly meta: {
      readonly node_fields: string[];
      readonly node_types: [string[], ...unknown[]];
      readonly edge_fields: string[];
      readonly edge_types: [string[], ...unknown[]];
    };
    readonly node_count: number;
  };
  readonly nodes: number[];
  readonly edges: number[];
  readonly strings: string[];
}

interface Heap {
  readonly raw: RawSnapshot;
  readonly nodeFieldCount: number;
  readonly edgeFieldCount: number;
  /** First edge index (into raw.edges) of each node. */
  readonly firstEdge: Uint32Array;
  readonly nodeCount: number;
  readonly types: string[];
  readonly edgeTypes: string[];
  readonly f: { type: number; name: number; selfSize: number; edgeCount: number };
  readonly e: { type: number; nameOrIndex: number; toNode: number };
}

function load(file: string): Heap {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as RawSnapshot;
  const meta = raw.snapshot.meta;
  const nodeFieldCount = meta.node_fields.length;
  const edgeFieldCount = meta.edge_fields.length;
  const f = { type: meta.node_fields.indexOf('type'), name: meta.node_fields.indexOf('name'), selfSize: meta.node_fields.indexOf('self_size'), edgeCount: meta.node_fields.indexOf('edge_count') };
  const e = { type: meta.edge_fields.indexOf('type'), nameOrIndex: meta.edge_fields.indexOf('name_or_index'), toNode: meta.edge_fields.indexOf('to_node') };
  const nodeCount = raw.nodes.length / nodeFieldCount;
  const firstEdge = new Uint32Array(nodeCount + 1);
  for (let i = 0, edge = 0; i < nodeCount; i++) {
    firstEdge[i] = edge;
    edge += (raw.nodes[i * nodeFieldCount + f.edgeCount] ?? 0) * edgeFieldCount;
    firstEdge[i + 1] = edge;
  }
  return { raw, nodeFieldCount, edgeFieldCount, firstEdge, nodeCount, types: meta.node_types[0], edgeTypes: meta.edge_types[0], f, e };
}

/** The class name DevTools shows for node `i`. */
function className(heap: Heap, i: number): string {
  const base = i * heap.nodeFieldCount;
  const type = heap.types[heap.raw.nodes[base + heap.f.type] ?? 0] ?? '?';
  const name = heap.raw.strings[heap.raw.nodes[base + heap.f.name] ?? 0] ?? '?';
  switch (type) {
    case 'object':
    case 'native':
      return name;
    case 'hidden':
    case 'synthetic':
      return `(${type}) ${name}`.slice(0, 60);
    default:
      return `(${type})`;
  }
}

interface ClassStats { count: number; size: number }

function byClass(heap: Heap): Map<string, ClassStats> {
  const out = new Map<string, ClassStats>();
  for (let i = 0; i < heap.nodeCount; i++) {
    const name = className(heap, i);
    const s = out.get(name) ?? { count: 0, size: 0 };
    s.count++;
    s.size += heap.raw.nodes[i * heap.nodeFieldCount + heap.f.selfSize] ?? 0;
    out.set(name, s);
  }
  return out;
}

function edgeName(heap: Heap, edge: number): string {
  const type = heap.edgeTypes[heap.raw.edges[edge + heap.e.type] ?? 0] ?? '?';
  const v = heap.raw.edges[edge + heap.e.nameOrIndex] ?? 0;
  return type === 'element' || type === 'hidden' ? `[${v}]` : `.${heap.raw.strings[v] ?? '?'}`;
}

/** Shortest paths (breadth first from the root, weak edges skipped) to up to `paths` nodes of class `name`. */
function retainers(heap: Heap, name: string, paths: number): string[] {
  const parentEdge = new Int32Array(heap.nodeCount).fill(-1);
  const parent = new Int32Array(heap.nodeCount).fill(-1);
  const seen = new Uint8Array(heap.nodeCount);
  const queue = new Uint32Array(heap.nodeCount);
  let head = 0;
  let tail = 0;
  queue[tail++] = 0;
  seen[0] = 1;
  const found: number[] = [];
  while (head < tail && found.length < paths) {
    const node = queue[head++] ?? 0;
    for (let edge = heap.firstEdge[node] ?? 0; edge < (heap.firstEdge[node + 1] ?? 0); edge += heap.edgeFieldCount) {
      if (heap.edgeTypes[heap.raw.edges[edge + heap.e.type] ?? 0] === 'weak') continue;
      const to = (heap.raw.edges[edge + heap.e.toNode] ?? 0) / heap.nodeFieldCount;
      if (seen[to] === 1) continue;
      seen[to] = 1;
      parent[to] = node;
      parentEdge[to] = edge;
      queue[tail++] = to;
      if (className(heap, to) === name && found.length < paths) found.push(to);
    }
  }
  return found.map((target) => {
    const steps: string[] = [];
    for (let n = target; parent[n] !== -1 && n !== 0; n = parent[n] ?? 0) steps.push(`${className(heap, parent[n] ?? 0)}${edgeName(heap, parentEdge[n] ?? 0)}`);
    return `${steps.reverse().join(' → ')} → ${name}`;
  });
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '40' }, retainers: { type: 'string' }, paths: { type: 'string', default: '5' } },
  });
  const [fileA, fileB] = positionals;
  if (fileA === undefined || fileB === undefined) {
    process.stderr.write('usage: node dist/bench/heap-diff.js A.heapsnapshot B.heapsnapshot [--top N] [--retainers NAME [--paths N]]\n');
    process.exit(2);
  }
  const a = byClass(load(fileA));
  const heapB = load(fileB);
  const b = byClass(heapB);
  const total = (m: Map<string, ClassStats>): number => [...m.values()].reduce((n, s) => n + s.size, 0);
  const rows = [...new Set([...a.keys(), ...b.keys()])].map((name) => {
    const sa = a.get(name) ?? { count: 0, size: 0 };
    const sb = b.get(name) ?? { count: 0, size: 0 };
    return { name, countA: sa.count, countB: sb.count, sizeA: sa.size, sizeB: sb.size, growth: sb.size - sa.size };
  }).sort((x, y) => Math.abs(y.growth) - Math.abs(x.growth)).slice(0, Number(values.top));
  const kib = (n: number): string => (n / 1024).toFixed(0);
  process.stdout.write(`self size A ${kib(total(a))} KiB, B ${kib(total(b))} KiB\n`);
  process.stdout.write(`${'class'.padEnd(50)} ${'count A'.padStart(9)} ${'count B'.padStart(9)} ${'KiB A'.padStart(9)} ${'KiB B'.padStart(9)} ${'growth KiB'.padStart(11)}\n`);
  for (const r of rows) {
    process.stdout.write(`${r.name.slice(0, 50).padEnd(50)} ${String(r.countA).padStart(9)} ${String(r.countB).padStart(9)} ${kib(r.sizeA).padStart(9)} ${kib(r.sizeB).padStart(9)} ${kib(r.growth).padStart(11)}\n`);
  }
  if (values.retainers !== undefined) {
    process.stdout.write(`\nshortest retainer paths of ${values.retainers} in B:\n`);
    for (const path of retainers(heapB, values.retainers, Number(values.paths))) process.stdout.write(`  ${path}\n`);
  }
}

main();
