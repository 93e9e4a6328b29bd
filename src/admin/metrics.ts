/**
 * `/metrics` in the Prometheus text exposition format, written by prom-client. The values are not
 * kept here: at each scrape `snapshot()` reads them from the running parts (tunnel stats,
 * registrations, calls, plug-and-play counters), so a metric can never drift from what `status`
 * says. Counters the parts keep as running totals are exported as counters (set to the total).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

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
  readonly #registry = new Registry();
  readonly #metrics = new Map<string, Gauge | Counter>();
  readonly #snapshot: () => Promise<MetricSnapshot>;

  constructor(defs: readonly MetricDef[], snapshot: () => Promise<MetricSnapshot>) {
    this.#snapshot = snapshot;
    for (const d of defs) {
      const config = { name: d.name, help: d.help, labelNames: [...(d.labelNames ?? [])], registers: [this.#registry] };
      this.#metrics.set(d.name, d.type === 'gauge' ? new Gauge(config) : new Counter(config));
    }
    collectDefaultMetrics({ register: this.#registry, prefix: 'sbc_process_' });
  }

  get contentType(): string {
    return this.#registry.contentType;
  }

  async text(): Promise<string> {
    const snap = await this.#snapshot();
    for (const [name, metric] of this.#metrics) {
      metric.reset();
      for (const v of snap[name] ?? []) {
        if (metric instanceof Gauge) metric.set(v.labels ?? {}, v.value);
        else metric.inc(v.labels ?? {}, Math.max(0, v.value));
      }
    }
    return this.#registry.metrics();
  }
}
