/**
 * A small parser of the Prometheus text exposition format (version 0.0.4) for tests: `# HELP`,
 * `# TYPE` and sample lines `name{label="value",...} number`. It refuses what the format refuses
 * (a sample before its TYPE is allowed; a malformed line throws), so a test of /metrics fails on
 * output a real scraper would reject.
 */
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PromFamily {
  type: string | undefined;
  help: string | undefined;
  readonly samples: PromSample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const m = LABEL.exec(text);
    if (m === null) throw new Error(`bad labels: {${text}}`);
    labels[m[1] ?? ''] = (m[2] ?? '').replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
  }
  return labels;
}

function parseValue(text: string): number {
  // As Go's strconv.ParseFloat, which Prometheus uses: Inf and NaN in any case.
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan') return NaN;
  const v = Number(text);
  if (Number.isNaN(v)) throw new Error(`bad sample value '${text}'`);
  return v;
}

/** Families by name; a sample `x_sum`/`x_count`/`x_bucket` of a summary or histogram goes to `x`. */
export function parsePromText(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const family = (name: string): PromFamily => {
    let f = families.get(name);
    if (f === undefined) {
      f = { type: undefined, help: undefined, samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^#\s+(HELP|TYPE)\s+(\S+)\s*(.*)$/.exec(line);
    if (meta !== null) {
      const f = family(meta[2] ?? '');
      if (meta[1] === 'TYPE') f.type = meta[3];
      else f.help = meta[3];
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`bad sample line: ${line}`);
    const name = m[1] ?? '';
    const base = families.has(name) ? name : name.replace(/_(sum|count|bucket|created)$/, '');
    family(families.has(base) ? base : name).samples.push({ name, labels: m[3] === undefined ? {} : parseLabels(m[3]), value: parseValue(m[4] ?? '') });
  }
  return families;
}

/** The value of the one sample of `name` whose labels include `labels`; throws when there is none. */
export function promValue(families: Map<string, PromFamily>, name: string, labels: Readonly<Record<string, string>> = {}): number {
  const f = families.get(name);
  const s = f?.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  if (s === undefined) throw new Error(`no sample ${name}${JSON.stringify(labels)}`);
  return s.value;
}
