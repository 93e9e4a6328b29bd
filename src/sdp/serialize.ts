/**
 * SDP serializer: CRLF line ends, single spaces between fields, lines in the order of
 * RFC 8866 §5 (v o s i u e p c b t r z k a, then per media m i c b k a). Lines of unknown
 * type follow the known ones of their level; relative order within a type is kept.
 */
import type { SdpAttribute, SdpConnection, SdpField, SdpMedia, SessionDescription } from './session-description.js';

/** Session-level rank; t= and r= share a rank so each r= stays after its t= (RFC 8866 §5.10). */
const SESSION_RANK: Readonly<Record<string, number>> = { i: 1, u: 2, e: 3, p: 4, b: 6, t: 7, r: 7, z: 8, k: 9 };
const SESSION_C_RANK = 5;
const MEDIA_RANK: Readonly<Record<string, number>> = { i: 1, b: 3, k: 4 };
const MEDIA_C_RANK = 2;
const UNKNOWN_RANK = 10;

function byRank(fields: readonly SdpField[], ranks: Readonly<Record<string, number>>): SdpField[] {
  // Array.prototype.sort is stable (ES2019), so fields of one rank keep their order.
  return [...fields].sort((a, b) => (ranks[a.type] ?? UNKNOWN_RANK) - (ranks[b.type] ?? UNKNOWN_RANK));
}

function connectionLine(c: SdpConnection): string {
  return `c=${c.netType} ${c.addrType} ${c.address}`;
}

function attributeLine(a: SdpAttribute): string {
  return a.value === undefined ? `a=${a.name}` : `a=${a.name}:${a.value}`;
}

function fieldLines(fields: readonly SdpField[], ranks: Readonly<Record<string, number>>, below: boolean, cRank: number): string[] {
  return byRank(fields, ranks)
    .filter((f) => ((ranks[f.type] ?? UNKNOWN_RANK) < cRank) === below)
    .map((f) => `${f.type}=${f.value}`);
}

function mediaLines(m: SdpMedia): string[] {
  const port = m.portCount === undefined ? `${m.port}` : `${m.port}/${m.portCount}`;
  return [
    [`m=${m.media}`, port, m.proto, ...m.formats].join(' '),
    ...fieldLines(m.fields, MEDIA_RANK, true, MEDIA_C_RANK),
    ...m.connections.map(connectionLine),
    ...fieldLines(m.fields, MEDIA_RANK, false, MEDIA_C_RANK),
    ...m.attributes.map(attributeLine),
  ];
}

/** The lines of a description without its o= line, for "did the content change" checks (RFC 3264 §8). */
export function contentLines(sd: SessionDescription): string[] {
  return [
    `v=${sd.version}`,
    `s=${sd.sessionName}`,
    ...fieldLines(sd.fields, SESSION_RANK, true, SESSION_C_RANK),
    ...(sd.connection === undefined ? [] : [connectionLine(sd.connection)]),
    ...fieldLines(sd.fields, SESSION_RANK, false, SESSION_C_RANK),
    ...sd.attributes.map(attributeLine),
    ...sd.media.flatMap(mediaLines),
  ];
}

export function serializeSdp(sd: SessionDescription): string {
  const o = sd.origin;
  const [v = '', ...rest] = contentLines(sd);
  const originLine = `o=${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}`;
  return [v, originLine, ...rest].join('\r\n') + '\r\n';
}
