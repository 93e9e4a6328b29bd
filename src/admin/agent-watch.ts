/**
 * Turns the agent's state into admin events by looking at it every `intervalMs`: a phone whose
 * registration appears is `extension_register`, one that is gone or expired `extension_unregister`;
 * a call whose media is anchored here is `call_start`, `call_established` once RTP flows both ways,
 * `call_ended` when its media is released; a mode change is `mode_changed`. Tunnel up/down come
 * from the tunnel client's own events, at once. Looking (rather than hooking into the call path)
 * keeps the call path free of admin code; the B2BUA and the CDR writer publish to AdminEvents
 * directly. It also keeps the running totals `/metrics` exports (RTP packets and loss of calls that
 * have ended, call attempts).
 */
import type { Clock, Timer } from '../core/index.js';
import type { CallRow, CallsDocument } from '../sbc/index.js';
import type { AdminEvents } from './events.js';

export interface RegisteredPhone {
  readonly aor: string;
  readonly userAgent: string | null;
  readonly expiresInS: number;
}

export interface AgentWatchSource {
  registrations(): readonly RegisteredPhone[];
  calls(): Promise<CallsDocument>;
  mode(): string;
  /** Subscribes to tunnel up (true) / down (false); returns the unsubscribe. */
  onTunnel(listener: (up: boolean, detail: Readonly<Record<string, unknown>>) => void): () => void;
}

export interface RtpTotals {
  /** Direction `from_phone` (edge → tunnel) and `to_phone`. */
  readonly packets: { from_phone: number; to_phone: number };
  readonly lost: { from_phone: number; to_phone: number };
}

interface CallSeen {
  readonly startedAt: number;
  established: boolean;
  rows: readonly CallRow[];
}

/** The user part of a SIP AOR (`sip:201@pbx` → `201`): PortSIP calls it the extension. */
export function extensionOf(aor: string): string {
  const m = /^sips?:([^@;]+)@/i.exec(aor);
  return m?.[1] ?? aor;
}

function sum(rows: readonly CallRow[], pick: (r: CallRow) => number): number {
  return rows.reduce((n, r) => n + pick(r), 0);
}

export class AgentWatch {
  readonly #clock: Clock;
  readonly #source: AgentWatchSource;
  readonly #events: AdminEvents;
  readonly #intervalMs: number;
  #phones = new Map<string, RegisteredPhone>();
  #calls = new Map<string, CallSeen>();
  #mode: string | undefined;
  #timer: Timer | undefined;
  #offTunnel: (() => void) | undefined;
  #looking: Promise<void> = Promise.resolve();
  readonly #ended = { packets: { from_phone: 0, to_phone: 0 }, lost: { from_phone: 0, to_phone: 0 } };
  #attempts = 0;

  constructor(o: { readonly clock: Clock; readonly source: AgentWatchSource; readonly events: AdminEvents; readonly intervalMs?: number }) {
    this.#clock = o.clock;
    this.#source = o.source;
    this.#events = o.events;
    this.#intervalMs = o.intervalMs ?? 500;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#offTunnel = this.#source.onTunnel((up, detail) => this.#events.publish(up ? 'tunnel_up' : 'tunnel_down', detail));
    this.#timer = this.#clock.setInterval(() => void this.look(), this.#intervalMs);
  }

  /** Calls seen since start (each call once). */
  get callAttempts(): number {
    return this.#attempts;
  }

  /** RTP of ended calls plus the calls up now. */
  rtpTotals(current: readonly CallRow[]): RtpTotals {
    const e = this.#ended;
    return {
      packets: { from_phone: e.packets.from_phone + sum(current, (r) => r.fromEdge?.packets ?? 0), to_phone: e.packets.to_phone + sum(current, (r) => r.toEdge?.packets ?? 0) },
      lost: { from_phone: e.lost.from_phone + sum(current, (r) => r.fromEdge?.lost ?? 0), to_phone: e.lost.to_phone + sum(current, (r) => r.toEdge?.lost ?? 0) },
    };
  }

  /** One look (the timer calls it; tests may too). Looks never overlap. */
  look(): Promise<void> {
    this.#looking = this.#looking.then(() => this.#lookNow()).catch(() => undefined);
    return this.#looking;
  }

  async #lookNow(): Promise<void> {
    const phones = new Map(this.#source.registrations().filter((p) => p.expiresInS > 0).map((p) => [p.aor, p]));
    for (const [aor, p] of phones) {
      if (!this.#phones.has(aor)) this.#events.publish('extension_register', { extension: extensionOf(aor), aor, userAgent: p.userAgent, expires: p.expiresInS });
    }
    for (const aor of this.#phones.keys()) {
      if (!phones.has(aor)) this.#events.publish('extension_unregister', { extension: extensionOf(aor), aor });
    }
    this.#phones = phones;

    const doc = await this.#source.calls();
    const byCall = new Map<string, CallRow[]>();
    for (const row of doc.calls) byCall.set(row.callId, [...(byCall.get(row.callId) ?? []), row]);
    for (const [callId, rows] of byCall) {
      let seen = this.#calls.get(callId);
      if (seen === undefined) {
        seen = { startedAt: this.#clock.now(), established: false, rows };
        this.#calls.set(callId, seen);
        this.#attempts++;
        this.#events.publish('call_start', { callId, streams: rows.length, local: rows.every((r) => r.local) });
      }
      seen.rows = rows;
      if (!seen.established && rows.some((r) => (r.fromEdge?.packets ?? 0) > 0 && (r.toEdge?.packets ?? 0) > 0)) {
        seen.established = true;
        this.#events.publish('call_established', { callId });
      }
    }
    for (const [callId, seen] of this.#calls) {
      if (byCall.has(callId)) continue;
      this.#calls.delete(callId);
      const t = this.rtpTotals(seen.rows);
      this.#ended.packets.from_phone = t.packets.from_phone;
      this.#ended.packets.to_phone = t.packets.to_phone;
      this.#ended.lost.from_phone = t.lost.from_phone;
      this.#ended.lost.to_phone = t.lost.to_phone;
      this.#events.publish('call_ended', {
        callId,
        established: seen.established,
        durationS: Math.max(0, Math.round((this.#clock.now() - seen.startedAt) / 1000)),
        packetsFromPhone: sum(seen.rows, (r) => r.fromEdge?.packets ?? 0),
        packetsToPhone: sum(seen.rows, (r) => r.toEdge?.packets ?? 0),
        oneWay: seen.rows.some((r) => r.oneWay !== undefined),
      });
    }

    const mode = this.#source.mode();
    if (this.#mode !== undefined && mode !== this.#mode) this.#events.publish('mode_changed', { from: this.#mode, to: mode });
    this.#mode = mode;
  }

  close(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#offTunnel?.();
    this.#offTunnel = undefined;
  }
}
