/**
 * Reading the hub's CDR store without the hub (`sbc-agent hub cdr`): read-only, it never rewrites
 * or repairs a file (the running hub owns them). Only the day files that can hold records of the
 * period asked for are read; a torn or foreign line is skipped and counted; a record found twice
 * (an upload repeated by a crash between write and acknowledgement) is shown once.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../core/index.js';
import type { CdrRecord } from '../routing/index.js';
import { readCdrLines } from './messages.js';
import { DAY_FILE, utcDay } from './store.js';

export interface CdrQuery {
  /** Records that started at or after this time (epoch ms). */
  readonly since?: number;
  /** Records of this agent (SBC name) only. */
  readonly sbc?: string;
  /** The most recent N of what matches. */
  readonly limit?: number;
}

export interface CdrQueryResult {
  /** Oldest first. */
  readonly records: CdrRecord[];
  /** Lines that are not a valid record (a torn last line while the hub writes, a hand edit). */
  readonly unreadable: number;
}

/** The records of the store folder `dir` that match; an absent folder holds none. */
export async function readCdrStore(dir: string, query: CdrQuery = {}): Promise<CdrQueryResult> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { records: [], unreadable: 0 };
    throw error;
  }
  const firstDay = query.since === undefined ? '' : utcDay(query.since);
  const days = names.flatMap((n) => {
    const day = DAY_FILE.exec(n)?.[1];
    return day !== undefined && day >= firstDay ? [n] : [];
  }).sort();
  const seen = new Set<string>();
  const records: CdrRecord[] = [];
  let unreadable = 0;
  for (const name of days) {
    const read = readCdrLines(await readFile(join(dir, name), 'utf8'));
    unreadable += read.unreadable;
    for (const r of read.records) {
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      if (query.since !== undefined && r.startedAt < query.since) continue;
      if (query.sbc !== undefined && r.agent !== query.sbc) continue;
      records.push(r);
    }
  }
  records.sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const limited = query.limit === undefined ? records : records.slice(Math.max(0, records.length - query.limit));
  return { records: limited, unreadable };
}

/**
 * `--since`: a duration back from now (`90s`, `30m`, `2h`, `7d`, `2w`) or an ISO-8601 date or time
 * (`2026-12-01`, `2026-12-01T08:00:00Z`; without a zone it is UTC). Undefined when it is neither.
 */
export function parseSince(text: string, now: number): number | undefined {
  const ago = /^(\d{1,6})(s|m|h|d|w)$/.exec(text.trim());
  if (ago !== null) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[ago[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    return now - Number(ago[1]) * unit;
  }
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) return undefined;
  const iso = text.replace(' ', 'T');
  const zoned = /T.*(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : iso.length === 10 ? `${iso}T00:00:00Z` : `${iso}Z`;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `2026-12-03 14:05:09` (UTC). */
function when(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

export const CDR_TABLE_HEADER = ['time (UTC)', 'agent', 'direction', 'caller → callee', 'talk s', 'ended', 'final destination', 'survival'] as const;

/** One row per record, the columns of CDR_TABLE_HEADER. */
export function cdrRow(r: CdrRecord): string[] {
  const ended = `${r.endedReason}/${r.endedBy}${r.status === undefined ? '' : ` ${r.status}`}`;
  return [when(r.startedAt), r.agent, r.direction, `${r.caller} → ${r.callee}`, String(r.talkSeconds), ended, r.finalDestination, r.survival ? 'yes' : 'no'];
}

/** The table as text: columns padded to their widest cell, the header first. */
export function formatCdrTable(records: readonly CdrRecord[]): string {
  const rows = [[...CDR_TABLE_HEADER], ...records.map(cdrRow)];
  const widths = CDR_TABLE_HEADER.map((_, i) => Math.max(...rows.map((row) => [...(row[i] ?? '')].length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n') + '\n';
}
