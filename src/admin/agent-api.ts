/**
 * The agent's admin API: what `sbc-agent status`, `calls`, `phones` and `blocks` show, as JSON,
 * the plug-and-play decision (`POST /api/phones/{mac}/approve|reject`, as `sbc-agent phones
 * approve`), the lifting of a block (`DELETE /api/blocks/{address}`, as `sbc-agent blocks lift`)
 * and the mode (`GET /api/mode`: normal, draining, or survival / failing-back with since and why).
 * `AgentAdminSource` is what the running agent (src/cli/run.ts) hands in; this file knows nothing
 * of how those values are gathered.
 */
import { captureRunning, type CaptureRequest, type CaptureResult } from '../capture/index.js';
import { normaliseMac, type PhoneRecord } from '../pnp/index.js';
import type { CallsDocument } from '../sbc/index.js';
import type { AgentWatch, RegisteredPhone } from './agent-watch.js';
import type { CallPlotsDocument } from './call-plots.js';
import type { HistorySeries } from './history.js';
import { AdminRequestError, badField } from './errors.js';
import type { AdminEvents } from './events.js';
import type { MetricDef, MetricSnapshot, MetricValue } from './metrics.js';
import { AdminRouter } from './router.js';

/** The tunnel as the status file shows it (src/platform TunnelStatus). */
export interface AdminTunnelView {
  readonly state: string;
  readonly peer: string;
  readonly carriage?: string;
  readonly rttMs?: number;
  readonly uptimeMs?: number;
  readonly reconnects?: number;
  readonly sent?: { readonly bytes: number; readonly frames: number };
  readonly received?: { readonly bytes: number; readonly frames: number };
  readonly droppedDatagrams?: number;
}

/** A block as `sbc-agent blocks --json` lists it. */
export interface AdminBlock {
  readonly address: string;
  /** `auth`, `scanner`, `rate-1`, `rate-2` or `deny`. */
  readonly reason: string;
  readonly since: string;
  /** null: until lifted. */
  readonly until: string | null;
}

export interface AgentAdminSource {
  /** The document `sbc-agent status --json` prints. */
  status(): Promise<unknown>;
  tunnel(): AdminTunnelView;
  /** The `parts` of the status file (mode, lans, pnp, provisioning, stun, nat, registrations, calls, routing). */
  parts(): Readonly<Record<string, unknown>>;
  registrations(): readonly RegisteredPhone[];
  /** The plug-and-play inbox; undefined when the agent runs no LAN services. */
  phones(): readonly PhoneRecord[] | undefined;
  decidePhone(id: string, state: 'approved' | 'rejected', extension: string | undefined): Promise<PhoneRecord | undefined>;
  calls(): Promise<CallsDocument>;
  /** Calls refused or failed before media: unroutable, tunnel down, refused while draining. */
  callFailures(): number;
  /** The last hour of tunnel RTT and active calls for the page's plot (src/admin/history.ts). */
  history?(): HistorySeries;
  /** Jitter and loss per direction over each active call's life, for the page's per-call plots. */
  callPlots?(): CallPlotsDocument;
  /** Records the LAN-side UDP for the asked seconds (src/capture); absent: no captures here. */
  capture?(request: CaptureRequest): Promise<CaptureResult>;
  /** The sources blocked now (`<state>/agent/blocks.json`); absent: no protection here. */
  blocks?(): Promise<readonly AdminBlock[]>;
  /**
   * Lifts the block on an address or mask, as `sbc-agent blocks lift` (the running protection
   * applies it within a second); undefined when there is none. A bad address throws a 400.
   */
  liftBlock?(address: string): Promise<AdminBlock | undefined>;
}

/**
 * The one word for the agent's mode: `draining` while it drains, else the survival mode with
 * `agent.calls: auto` (`normal`, `survival`, `failing-back`), else `normal`. `/metrics`'s
 * sbc_mode and the `mode_changed` events use it.
 */
export function agentMode(parts: Readonly<Record<string, unknown>>): string {
  if (parts['mode'] === 'draining') return 'draining';
  const survival = obj(parts['survival']);
  return typeof survival['mode'] === 'string' ? survival['mode'] : 'normal';
}

function isoOrNull(ms: unknown): string | null {
  return typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** `GET /api/mode`: the mode, whether the agent drains, who controls calls, and survival's state when it runs. */
export function modeView(parts: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const s = parts['survival'];
  const h = obj(s);
  return {
    mode: agentMode(parts),
    draining: parts['mode'] === 'draining',
    callControl: parts['callControl'] ?? null,
    // Only with agent.calls: auto does the agent watch tunnel and PBX to take over calls.
    survival: s === undefined || s === null ? null : {
      mode: h['mode'], since: isoOrNull(h['since']), reason: h['reason'], tunnel: h['tunnel'], pbx: h['pbx'],
      healthySince: isoOrNull(h['healthySince']), survivalCalls: num(h['survivalCalls']), waitingFor: h['waitingFor'] ?? null,
    },
  };
}

/** The longest capture asked in one request: a support capture, not a recorder left running. */
export const MAX_CAPTURE_SECONDS = 300;

/** `{seconds, callId?}` of POST /api/capture, checked. */
export function captureRequest(body: Record<string, unknown>): CaptureRequest {
  const seconds = body['seconds'];
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1 || seconds > MAX_CAPTURE_SECONDS) throw badField('seconds', `must be a whole number from 1 to ${MAX_CAPTURE_SECONDS}`);
  const callId = body['callId'];
  if (callId === undefined || callId === null) return { seconds };
  if (typeof callId !== 'string' || !/^\S{1,256}$/.test(callId)) throw badField('callId', 'must be a Call-ID (1 to 256 characters, no spaces)');
  return { seconds, callId };
}

/** A MAC in any usual spelling, or `ip:<IPv4>` (as `sbc-agent phones` takes it). */
function phoneId(text: string): string {
  const mac = normaliseMac(text);
  if (mac !== undefined) return mac;
  if (/^ip:\d{1,3}(\.\d{1,3}){3}$/.test(text)) return text;
  throw badField('mac', `'${text}' is not a MAC address (12 hex digits) nor ip:<address>`);
}

export function agentRouter(source: AgentAdminSource, events: AdminEvents): AdminRouter {
  return new AdminRouter()
    .add('GET', '/api/status', async () => ({ json: await source.status() }))
    .add('GET', '/api/tunnel', () => ({ json: source.tunnel() }))
    .add('GET', '/api/lans', () => ({ json: source.parts()['lans'] ?? [] }))
    .add('GET', '/api/nat', () => ({ json: source.parts()['nat'] ?? { state: 'not configured' } }))
    .add('GET', '/api/registrations', () => ({ json: source.registrations() }))
    .add('GET', '/api/phones', () => {
      const phones = source.phones();
      if (phones === undefined) throw new AdminRequestError(404, 'this agent runs no plug-and-play');
      return { json: phones };
    })
    .add('POST', '/api/phones/:mac/:action', async (ctx) => {
      const action = ctx.params['action'];
      if (action !== 'approve' && action !== 'reject') throw new AdminRequestError(404, `no such action '${action ?? ''}' (approve or reject)`);
      const id = phoneId(ctx.params['mac'] ?? '');
      const body = ctx.json();
      const extension = body['extension'];
      if (extension !== undefined && (typeof extension !== 'string' || !/^[0-9*#+]{1,32}$/.test(extension))) throw badField('extension', 'must be a dial string (digits, *, #, +)');
      if (extension !== undefined && action === 'reject') throw badField('extension', 'goes with approve');
      if (source.phones() === undefined) throw new AdminRequestError(404, 'this agent runs no plug-and-play');
      const phone = await source.decidePhone(id, action === 'approve' ? 'approved' : 'rejected', extension);
      return { json: phone ?? { id } };
    })
    .add('GET', '/api/calls', async () => ({ json: await source.calls() }))
    .add('GET', '/api/calls/history', () => {
      if (source.callPlots === undefined) throw new AdminRequestError(404, 'this agent keeps no call history');
      return { json: source.callPlots() };
    })
    .add('GET', '/api/mode', () => ({ json: modeView(source.parts()) }))
    .add('GET', '/api/blocks', async () => {
      if (source.blocks === undefined) throw new AdminRequestError(404, 'this agent runs no protection');
      return { json: { blocks: await source.blocks() } };
    })
    .add('DELETE', '/api/blocks/:address', async (ctx) => {
      const address = ctx.params['address'] ?? '';
      if (source.liftBlock === undefined) throw new AdminRequestError(404, 'this agent runs no protection');
      const lifted = await source.liftBlock(address);
      if (lifted === undefined) throw new AdminRequestError(404, `no block on ${address}`, 'address');
      return { json: { lifted } };
    })
    .add('GET', '/api/history', () => {
      if (source.history === undefined) throw new AdminRequestError(404, 'this agent keeps no history');
      return { json: source.history() };
    })
    .add('POST', '/api/capture', async (ctx) => {
      const request = captureRequest(ctx.json());
      if (source.capture === undefined) throw new AdminRequestError(404, 'this agent records no captures');
      if (captureRunning()) throw new AdminRequestError(409, 'a capture is already running; try again when it ends');
      const result = await source.capture(request);
      return { json: null, binary: { type: 'application/vnd.tcpdump.pcap', body: result.pcap } };
    })
    .add('GET', '/api/events/recent', (ctx) => {
      const text = ctx.query.get('limit');
      const limit = text === null ? 50 : Number(text);
      if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw badField('limit', 'must be a whole number from 1 to 200');
      return { json: events.recent(limit) };
    });
}

export const AGENT_METRICS: readonly MetricDef[] = [
  { name: 'sbc_tunnel_up', help: 'Whether the tunnel to the hub is up (1) or not (0)', type: 'gauge' },
  { name: 'sbc_tunnel_rtt_seconds', help: 'Round-trip time of the tunnel, from its pings', type: 'gauge' },
  { name: 'sbc_tunnel_reconnects_total', help: 'Tunnel reconnections since start', type: 'counter' },
  { name: 'sbc_tunnel_bytes_total', help: 'Bytes through the tunnel, by direction', type: 'counter', labelNames: ['direction'] },
  { name: 'sbc_tunnel_frames_total', help: 'Tunnel frames, by direction', type: 'counter', labelNames: ['direction'] },
  { name: 'sbc_tunnel_dropped_datagrams_total', help: 'Datagrams (RTP) dropped by the tunnel queues', type: 'counter' },
  { name: 'sbc_registrations', help: 'Phones registered through the agent', type: 'gauge' },
  { name: 'sbc_calls_active', help: 'Calls with media anchored on the agent', type: 'gauge' },
  { name: 'sbc_call_attempts_total', help: 'Calls seen since start', type: 'counter' },
  { name: 'sbc_call_failures_total', help: 'Calls refused: unroutable, tunnel down, draining', type: 'counter' },
  { name: 'sbc_rtp_packets_total', help: 'RTP packets relayed, by direction (from_phone, to_phone)', type: 'counter', labelNames: ['direction'] },
  { name: 'sbc_rtp_lost_total', help: 'RTP packets lost (RFC 3550 A.3), by direction', type: 'counter', labelNames: ['direction'] },
  { name: 'sbc_pnp_answered_total', help: 'Plug-and-play SUBSCRIBEs answered', type: 'counter' },
  { name: 'sbc_pnp_phones', help: 'Phones in the plug-and-play inbox, by state', type: 'gauge', labelNames: ['state'] },
  { name: 'sbc_mode', help: 'The agent mode now (1 for the current one)', type: 'gauge', labelNames: ['mode'] },
];

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function obj(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

export async function agentMetrics(source: AgentAdminSource, watch: AgentWatch): Promise<MetricSnapshot> {
  const t = source.tunnel();
  const parts = source.parts();
  const calls = await source.calls();
  const rtp = watch.rtpTotals(calls.calls);
  const pnp = obj(parts['pnp']);
  const phones = obj(pnp['phones']);
  const dir = (v: { from_phone: number; to_phone: number }): MetricValue[] => [
    { labels: { direction: 'from_phone' }, value: v.from_phone },
    { labels: { direction: 'to_phone' }, value: v.to_phone },
  ];
  return {
    sbc_tunnel_up: [{ value: t.state === 'up' ? 1 : 0 }],
    sbc_tunnel_rtt_seconds: t.rttMs === undefined ? [] : [{ value: t.rttMs / 1000 }],
    sbc_tunnel_reconnects_total: [{ value: num(t.reconnects) }],
    sbc_tunnel_bytes_total: [{ labels: { direction: 'sent' }, value: num(t.sent?.bytes) }, { labels: { direction: 'received' }, value: num(t.received?.bytes) }],
    sbc_tunnel_frames_total: [{ labels: { direction: 'sent' }, value: num(t.sent?.frames) }, { labels: { direction: 'received' }, value: num(t.received?.frames) }],
    sbc_tunnel_dropped_datagrams_total: [{ value: num(t.droppedDatagrams) }],
    sbc_registrations: [{ value: source.registrations().filter((p) => p.expiresInS > 0).length }],
    sbc_calls_active: [{ value: new Set(calls.calls.map((c) => c.callId)).size }],
    sbc_call_attempts_total: [{ value: watch.callAttempts }],
    sbc_call_failures_total: [{ value: source.callFailures() }],
    sbc_rtp_packets_total: dir(rtp.packets),
    sbc_rtp_lost_total: dir(rtp.lost),
    sbc_pnp_answered_total: [{ value: num(pnp['answered']) }],
    sbc_pnp_phones: ['pending', 'approved', 'rejected'].map((state) => ({ labels: { state }, value: num(phones[state]) })),
    sbc_mode: [{ labels: { mode: agentMode(parts) }, value: 1 }],
  };
}
