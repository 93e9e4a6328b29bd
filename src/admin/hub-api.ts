/**
 * The hub's admin API: the SBC list with each one's live state, and the same operations as
 * `sbc-agent hub add-sbc | rekey-sbc | revoke-sbc | rename-sbc` (HubAdminSource calls the same
 * functions, src/cli/hub-admin.ts). `POST /api/sbcs` answers the provisioning URL, the one-time key
 * (shown only in this answer), the hub fingerprint and an SVG QR code of the URL for the installer's
 * phone. `GET /api/cdrs` lists the call detail records the hub keeps, as `sbc-agent hub cdr --json`.
 */
import { SbcError } from '../core/index.js';
import type { CdrRecord } from '../routing/index.js';
import { SbcListError, type SbcRecord } from '../tunnel/index.js';
import type { AdminTunnelView } from './agent-api.js';
import { AdminRequestError, badField } from './errors.js';
import type { AdminEvents } from './events.js';
import type { MetricDef, MetricSnapshot } from './metrics.js';
import { AdminRouter } from './router.js';
import type { HistorySeries } from './history.js';

/** What add-sbc and rekey-sbc print with --json. */
export interface IssuedKey {
  readonly name: string;
  readonly id: string;
  readonly state: string;
  readonly url: string;
  readonly key: string;
  readonly fingerprint: string;
  readonly expiresAt: string;
}

/** The filters of `GET /api/cdrs` (the same as `sbc-agent hub cdr`'s). */
export interface CdrFilter {
  /** Records that started at or after this time (epoch ms). */
  readonly since?: number;
  /** Records of this SBC name only. */
  readonly sbc?: string;
  /** The most recent N of what matches. */
  readonly limit: number;
}

/** Records oldest first, as the CLI prints them; `unreadable` lines skipped (a torn last line). */
export interface CdrListing {
  readonly records: readonly CdrRecord[];
  readonly unreadable: number;
}

/** Without `?limit=`, the most recent 1,000: a page of a 90-day store, not all of it. */
export const DEFAULT_CDR_LIMIT = 1000;
export const MAX_CDR_LIMIT = 10_000;

/**
 * `?sbc=NAME&since=ISO|epoch-ms&limit=N`, checked: each bad one is a 400 naming its field. `since`
 * is an ISO-8601 date or time (without a zone, UTC, as the CLI reads it) or milliseconds since
 * the epoch.
 */
export function cdrFilter(query: URLSearchParams): CdrFilter {
  const sbc = query.get('sbc');
  if (sbc !== null && sbc.trim() === '') throw badField('sbc', 'must be an SBC name');
  // A zone offset's `+` written unescaped in the address arrives as a space (form encoding).
  const sinceText = query.get('since')?.replace(/^(\S+[T ]\S+) (\d{2}:?\d{2})$/, '$1+$2') ?? null;
  let since: number | undefined;
  if (sinceText !== null) {
    if (/^\d{1,15}$/.test(sinceText)) since = Number(sinceText);
    else if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(sinceText)) {
      const iso = sinceText.replace(' ', 'T');
      const zoned = /T.*(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : iso.length === 10 ? `${iso}T00:00:00Z` : `${iso}Z`;
      since = Date.parse(zoned);
    }
    if (since === undefined || Number.isNaN(since)) throw badField('since', `'${sinceText}' is neither an ISO-8601 date or time (2026-12-01, 2026-12-01T08:00:00Z) nor milliseconds since the epoch`);
  }
  const limitText = query.get('limit');
  const limit = limitText === null ? DEFAULT_CDR_LIMIT : Number(limitText);
  if (limitText !== null && (!/^\d{1,6}$/.test(limitText) || limit < 1 || limit > MAX_CDR_LIMIT)) throw badField('limit', `must be a whole number from 1 to ${MAX_CDR_LIMIT}`);
  return { limit, ...(since === undefined ? {} : { since }), ...(sbc === null ? {} : { sbc: sbc.trim() }) };
}

export interface HubAdminSource {
  sbcs(): readonly SbcRecord[];
  /** Live tunnels; `peer` is the SBC's name. */
  tunnels(): readonly AdminTunnelView[];
  /** `expires`: a duration such as 7d (undefined: hub.keyLifetime); a bad one throws a UsageError. */
  addSbc(name: string, expires: string | undefined): Promise<IssuedKey>;
  rekeySbc(name: string, expires: string | undefined): Promise<IssuedKey>;
  revokeSbc(name: string): Promise<SbcRecord>;
  renameSbc(from: string, to: string): Promise<SbcRecord>;
  /** The routing model's version; undefined without hub.routing or before it loaded. */
  routingVersion(): number | undefined;
  /** Calls the hub carries now, by SBC name (empty without a PBX). */
  callsBySbc(): Promise<ReadonlyMap<string, number>>;
  /** Calls per SBC name over the last hour, for the page's plot (src/admin/history.ts). */
  history?(): HistorySeries;
  /** The hub's CDR store (`<state>/hub/cdr/`), read as `sbc-agent hub cdr` reads it. */
  cdrs?(filter: CdrFilter): Promise<CdrListing>;
}

/**
 * Calls per SBC name from the hub's call legs: the hub keys each leg `<peer>/<Call-ID>`, the peer
 * being the SBC id, or `<id>.lanN` for its other LANs (sbc/sip-link.ts sipPeerName).
 */
export function callsBySbc(legs: readonly { readonly callId: string }[], sbcs: readonly SbcRecord[]): Map<string, number> {
  const names = new Map(sbcs.map((r) => [r.id, r.name]));
  const calls = new Map<string, Set<string>>();
  for (const leg of legs) {
    const slash = leg.callId.indexOf('/');
    if (slash < 0) continue;
    const name = names.get(leg.callId.slice(0, slash).split('.')[0] ?? '');
    if (name === undefined) continue;
    calls.set(name, (calls.get(name) ?? new Set()).add(leg.callId));
  }
  return new Map([...calls].map(([name, ids]) => [name, ids.size]));
}

function text(body: Record<string, unknown>, field: string, required: boolean): string | undefined {
  const v = body[field];
  if (v === undefined) {
    if (required) throw badField(field, 'is required');
    return undefined;
  }
  if (typeof v !== 'string' || v.trim() === '') throw badField(field, 'must be a non-empty string');
  return v.trim();
}

/** Maps the store's and the CLI's refusals to HTTP: a bad name is 400 naming the field. */
async function storeCall<T>(field: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (error) {
    if (error instanceof SbcListError) {
      if (error.problem === 'unknown_name') throw new AdminRequestError(404, error.message, field);
      if (error.problem === 'name_taken') throw new AdminRequestError(409, error.message, field);
      if (error.problem === 'invalid_name') throw badField(field, error.message);
      throw new AdminRequestError(409, error.message, field);
    }
    if (error instanceof SbcError && error.code === 'SBC_ERR_USAGE') throw badField('expires', error.message);
    throw error;
  }
}

export function sbcRows(source: HubAdminSource, calls: ReadonlyMap<string, number>): unknown[] {
  const tunnels = new Map(source.tunnels().map((t) => [t.peer, t]));
  return source.sbcs().map((r) => {
    const t = tunnels.get(r.name);
    return {
      name: r.name,
      id: r.id,
      state: r.state,
      enrolled: r.state === 'enrolled',
      online: t !== undefined && t.state === 'up',
      createdAt: r.createdAt,
      enrolledAt: r.enrolledAt ?? null,
      lastSeen: r.lastSeen ?? null,
      revokedAt: r.revokedAt ?? null,
      certificateNotAfter: r.certificate?.notAfter ?? null,
      key: r.key === undefined ? null : { expiresAt: r.key.expiresAt, used: r.key.usedAt !== undefined },
      tunnel: t ?? null,
      rttMs: t?.rttMs ?? null,
      calls: calls.get(r.name) ?? 0,
    };
  });
}

export function hubRouter(source: HubAdminSource, events: AdminEvents): AdminRouter {
  // qrcode is loaded at the first SBC added, not by every command of the program.
  const withQr = async (issued: IssuedKey): Promise<unknown> => ({ ...issued, qrSvg: await (await import('qrcode')).default.toString(issued.url, { type: 'svg', margin: 1 }) });
  return new AdminRouter()
    .add('GET', '/api/sbcs', async () => ({ json: sbcRows(source, await source.callsBySbc()) }))
    .add('GET', '/api/history', () => {
      if (source.history === undefined) throw new AdminRequestError(404, 'this hub keeps no history');
      return { json: source.history() };
    })
    .add('GET', '/api/cdrs', async (ctx) => {
      const filter = cdrFilter(ctx.query);
      if (source.cdrs === undefined) throw new AdminRequestError(404, 'this hub keeps no CDRs');
      const listing = await source.cdrs(filter);
      return { json: { records: listing.records, unreadable: listing.unreadable, limit: filter.limit } };
    })
    .add('POST', '/api/sbcs', async (ctx) => {
      const body = ctx.json();
      const name = text(body, 'name', true) ?? '';
      const expires = text(body, 'expires', false);
      return { status: 201, json: await withQr(await storeCall('name', () => source.addSbc(name, expires))) };
    })
    .add('POST', '/api/sbcs/:name/:action', async (ctx) => {
      const name = ctx.params['name'] ?? '';
      const body = ctx.json();
      switch (ctx.params['action']) {
        case 'revoke':
          return { json: await storeCall('name', () => source.revokeSbc(name)) };
        case 'rekey': {
          const expires = text(body, 'expires', false);
          return { json: await withQr(await storeCall('name', () => source.rekeySbc(name, expires))) };
        }
        case 'rename': {
          const to = text(body, 'to', true) ?? '';
          return { json: await storeCall('to', () => source.renameSbc(name, to)) };
        }
        default:
          throw new AdminRequestError(404, `no such action '${ctx.params['action'] ?? ''}' (revoke, rekey, rename)`);
      }
    })
    .add('GET', '/api/routing', () => {
      const version = source.routingVersion();
      const online = new Set(source.tunnels().filter((t) => t.state === 'up').map((t) => t.peer));
      // Every snapshot push goes to each session as it opens and at each change (hub-routing.ts),
      // so an SBC online has the model's version; one offline gets it when it reconnects.
      return { json: { version: version ?? null, agents: source.sbcs().filter((r) => r.state === 'enrolled').map((r) => ({ name: r.name, online: online.has(r.name), version: online.has(r.name) ? (version ?? null) : null })) } };
    })
    .add('GET', '/api/events/recent', (ctx) => {
      const t = ctx.query.get('limit');
      const limit = t === null ? 50 : Number(t);
      if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw badField('limit', 'must be a whole number from 1 to 200');
      return { json: events.recent(limit) };
    });
}

export const HUB_METRICS: readonly MetricDef[] = [
  { name: 'sbc_hub_sbcs', help: 'SBCs in the list, by state', type: 'gauge', labelNames: ['state'] },
  { name: 'sbc_hub_tunnels_up', help: 'Tunnels up now', type: 'gauge' },
  { name: 'sbc_hub_tunnel_rtt_seconds', help: 'Round-trip time of each SBC tunnel', type: 'gauge', labelNames: ['sbc'] },
  { name: 'sbc_hub_tunnel_bytes_total', help: 'Bytes through each SBC tunnel, by direction', type: 'counter', labelNames: ['sbc', 'direction'] },
  { name: 'sbc_hub_tunnel_dropped_datagrams_total', help: 'Datagrams dropped by each SBC tunnel', type: 'counter', labelNames: ['sbc'] },
  { name: 'sbc_hub_calls_active', help: 'Calls the hub carries, by SBC', type: 'gauge', labelNames: ['sbc'] },
];

export async function hubMetrics(source: HubAdminSource): Promise<MetricSnapshot> {
  const counts = { pending: 0, enrolled: 0, revoked: 0 };
  for (const r of source.sbcs()) counts[r.state]++;
  const tunnels = source.tunnels();
  const calls = await source.callsBySbc();
  return {
    sbc_hub_sbcs: Object.entries(counts).map(([state, value]) => ({ labels: { state }, value })),
    sbc_hub_tunnels_up: [{ value: tunnels.filter((t) => t.state === 'up').length }],
    sbc_hub_tunnel_rtt_seconds: tunnels.filter((t) => t.rttMs !== undefined).map((t) => ({ labels: { sbc: t.peer }, value: (t.rttMs ?? 0) / 1000 })),
    sbc_hub_tunnel_bytes_total: tunnels.flatMap((t) => [
      { labels: { sbc: t.peer, direction: 'sent' }, value: t.sent?.bytes ?? 0 },
      { labels: { sbc: t.peer, direction: 'received' }, value: t.received?.bytes ?? 0 },
    ]),
    sbc_hub_tunnel_dropped_datagrams_total: tunnels.map((t) => ({ labels: { sbc: t.peer }, value: t.droppedDatagrams ?? 0 })),
    sbc_hub_calls_active: [...calls].map(([sbc, value]) => ({ labels: { sbc }, value })),
  };
}
