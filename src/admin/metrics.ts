/**
 * `/metrics` in the Prometheus text exposition format, written by prom-client. The values are not
 * kept here: at each scrape `snapshot()` reads them from the running parts (tunnel stats,
 * registrations, calls, plug-and-play counters), so a metric can never drift from what `status`
 * says. Counters the parts keep as running totals are exported as counters (set to the total).
 * prom-client is loaded by `create()`, when a server starts, not by every command of the program.
 */
import type { Counter, Gauge, Registry } from 'prom-client';

export interface MetricDef {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly labelNames?: readonly string[];
}

export interface MetricValue {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Values by metric name; a metric absent from the snapshot is exported with no samples. */
export type MetricSnapshot = Readonly<Record<string, readonly MetricValue[]>>;

export class AdminMetrics {
  readonly #registry: Registry;
  readonly #metrics = new Map<string, { readonly kind: 'gauge'; readonly m: Gauge } | { readonly kind: 'counter'; readonly m: Counter }>();
  readonly #snapshot: () => Promise<MetricSnapshot>;

  private constructor(prom: typeof import('prom-client'), defs: readonly MetricDef[], snapshot: () => Promise<MetricSnapshot>) {
    this.#registry = new prom.Registry();
    this.#snapshot = snapshot;
    for (const d of defs) {
      const config = { name: d.name, help: d.help, labelNames: [...(d.labelNames ?? [])], registers: [this.#registry] };
      this.#metrics.set(d.name, d.type === 'gauge' ? { kind: 'gauge', m: new prom.Gauge(config) } : { kind: 'counter', m: new prom.Counter(config) });
    }
    prom.collectDefaultMetrics({ register: this.#registry, prefix: 'sbc_process_' });
  }

  static async create(defs: readonly MetricDef[], snapshot: () => Promise<MetricSnapshot>): Promise<AdminMetrics> {
    return new AdminMetrics(await import('prom-client'), defs, snapshot);
  }

  get contentType(): string {
    return this.#registry.contentType;
  }

  async text(): Promise<string> {
    const snap = await this.#snapshot();
    for (const [name, metric] of this.#metrics) {
      metric.m.reset();
      for (const v of snap[name] ?? []) {
        if (metric.kind === 'gauge') metric.m.set(v.labels ?? {}, v.value);
        else metric.m.inc(v.labels ?? {}, Math.max(0, v.value));
      }
    }
    return this.#registry.metrics();
  }
}
