/**
 * What `sbc-agent calls [--json]` shows: one row per media stream of each call leg, with the
 * RFC 3550 statistics of both directions (edge → tunnel is "a-to-b") and the one-way-audio flag.
 */
import type { CallReport } from './services.js';

export interface CallDirectionRow {
  readonly packets: number;
  readonly lost: number;
  readonly lossRatio: number;
  readonly jitterMs: number;
  readonly lastPacketAt: number | undefined;
}

export interface CallRow {
  readonly callId: string;
  readonly leg: string;
  readonly stream: number;
  readonly local: boolean;
  readonly channel: number | undefined;
  readonly edgePort: number;
  readonly startedAt: number;
  readonly fromEdge: CallDirectionRow | undefined;
  readonly toEdge: CallDirectionRow | undefined;
  readonly oneWay: 'a-to-b' | 'b-to-a' | undefined;
}

export interface CallsDocument {
  readonly version: 1;
  readonly side: 'agent' | 'hub';
  readonly updatedAt: string;
  readonly calls: readonly CallRow[];
}

type Snapshot = NonNullable<CallReport['legs'][number]['streams'][number]['stats']>['a-to-b'];

function direction(s: Snapshot | undefined): CallDirectionRow | undefined {
  if (s === undefined) return undefined;
  return { packets: s.packets, lost: Math.max(0, s.lost), lossRatio: s.lossRatio, jitterMs: s.jitterMs, lastPacketAt: s.lastPacketAt };
}

export function callsReport(report: CallReport, wallNow: number): CallsDocument {
  const calls: CallRow[] = [];
  for (const leg of report.legs) {
    for (const s of leg.streams) {
      calls.push({
        callId: leg.callId,
        leg: leg.key.split('\u0000')[1] ?? '',
        stream: s.index,
        local: s.local,
        channel: s.channel,
        edgePort: s.edgePort,
        startedAt: leg.createdAt,
        fromEdge: direction(s.stats?.['a-to-b']),
        toEdge: direction(s.stats?.['b-to-a']),
        oneWay: s.stats?.oneWay,
      });
    }
  }
  return { version: 1, side: report.side, updatedAt: new Date(wallNow).toISOString(), calls };
}

/** A plain table for terminals. */
export function formatCalls(doc: CallsDocument): string {
  if (doc.calls.length === 0) return 'no calls\n';
  const lines = ['CALL-ID                          STREAM  MEDIA   FROM-PHONE(pkts/lost)  TO-PHONE(pkts/lost)  ONE-WAY'];
  for (const c of doc.calls) {
    const f = c.fromEdge === undefined ? '-' : `${c.fromEdge.packets}/${c.fromEdge.lost}`;
    const t = c.toEdge === undefined ? '-' : `${c.toEdge.packets}/${c.toEdge.lost}`;
    lines.push(`${c.callId.slice(0, 32).padEnd(32)} ${String(c.stream).padEnd(7)} ${(c.local ? 'local' : 'tunnel').padEnd(7)} ${f.padEnd(22)} ${t.padEnd(20)} ${c.oneWay ?? 'no'}`);
  }
  return `${lines.join('\n')}\n`;
}
