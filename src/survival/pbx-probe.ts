/**
 * The hub's view of the PBX (issue 12, health): a SIP OPTIONS every `intervalMs` (default 1 s,
 * as Kamailio's dispatcher and the PBX guides' trunk keep-alives do), one at a time. Any final
 * response proves the PBX is up and its SIP stack processes requests (RFC 3261 §11: 200, or 404,
 * 405 or 501 from a PBX that does not take OPTIONS for that URI, all count) except 408, 500, 503
 * and 504, which say it cannot serve. `failures` answers missing or failing in a row (default 3)
 * make it unreachable; the first good answer makes it reachable again. A probe not answered
 * within `timeoutMs` (default the interval) counts as failed; its transaction ends by itself.
 */
import { TypedEmitter, type Clock, type Timer } from '../core/index.js';
import { randomBytes } from 'node:crypto';
import { newTag, type SipEndpoint, type SipRequest, type TransportTarget } from '../sip/index.js';

export interface PbxProbeOptions {
  readonly endpoint: SipEndpoint;
  readonly clock: Clock;
  readonly target: TransportTarget;
  readonly intervalMs?: number;
  readonly failures?: number;
  readonly timeoutMs?: number;
}

export interface PbxState {
  readonly reachable: boolean;
  /** Epoch ms of the change. */
  readonly at: number;
  /** `200 OK in 3 ms`, `no answer to 3 OPTIONS`, `503 Service Unavailable (3 in a row)`. */
  readonly reason: string;
}

export type PbxProbeEvents = { change: PbxState };

const FAILING_STATUSES: ReadonlySet<number> = new Set([408, 500, 503, 504]);

export class PbxProbe extends TypedEmitter<PbxProbeEvents> {
  readonly #o: PbxProbeOptions;
  readonly #intervalMs: number;
  readonly #failures: number;
  readonly #timeoutMs: number;
  readonly #callId = `${randomBytes(10).toString('hex')}@sbc-agent-hub`;
  readonly #fromTag = newTag();
  #cseq = 0;
  #failed = 0;
  #state: PbxState | undefined;
  #timer: Timer | undefined;
  #probes = { sent: 0, answered: 0, failed: 0 };
  #closed = false;

  constructor(o: PbxProbeOptions) {
    super();
    this.#o = o;
    this.#intervalMs = o.intervalMs ?? 1000;
    this.#failures = o.failures ?? 3;
    this.#timeoutMs = o.timeoutMs ?? this.#intervalMs;
  }

  /** Undefined until the first verdict (the first answer, or `failures` misses). */
  get state(): PbxState | undefined {
    return this.#state;
  }

  get counters(): Readonly<{ sent: number; answered: number; failed: number }> {
    return { ...this.#probes };
  }

  start(): void {
    if (this.#timer !== undefined || this.#closed) return;
    void this.#probe();
  }

  /** The next probe one interval after the last one was sent (at once when it timed out). */
  #schedule(sentAt: number): void {
    if (this.#closed) return;
    const wait = sentAt + this.#intervalMs - this.#o.clock.now();
    if (wait <= 0) queueMicrotask(() => void this.#probe());
    else this.#timer = this.#o.clock.setTimeout(() => void this.#probe(), wait);
  }

  #request(): SipRequest {
    const { host, port, transport } = this.#o.target;
    const hostPart = host.includes(':') ? `[${host}]` : host;
    const uri = `sip:${hostPart}:${port}${transport === 'UDP' ? '' : `;transport=${transport.toLowerCase()}`}`;
    return {
      kind: 'request', method: 'OPTIONS', uri, version: 'SIP/2.0', body: Buffer.alloc(0),
      headers: [
        { name: 'Via', value: this.#o.endpoint.newVia(transport) },
        { name: 'Max-Forwards', value: '70' },
        { name: 'From', value: `<sip:sbc-agent-hub@${this.#o.endpoint.hostPort(transport)}>;tag=${this.#fromTag}` },
        { name: 'To', value: `<${uri}>` },
        { name: 'Call-ID', value: this.#callId },
        { name: 'CSeq', value: `${++this.#cseq} OPTIONS` },
        { name: 'Accept', value: 'application/sdp' },
        { name: 'Content-Length', value: '0' },
      ],
    };
  }

  async #probe(): Promise<void> {
    if (this.#closed) return;
    const started = this.#o.clock.now();
    this.#probes.sent++;
    let timeout: Timer | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timeout = this.#o.clock.setTimeout(() => resolve('timeout'), this.#timeoutMs);
    });
    const answer = this.#o.endpoint.request(this.#request(), this.#o.target).then((r) => r, () => 'error' as const);
    const outcome = await Promise.race([answer, timedOut]);
    timeout?.cancel();
    if (this.#closed) return;
    const took = this.#o.clock.now() - started;
    if (typeof outcome === 'object' && !FAILING_STATUSES.has(outcome.status)) {
      this.#probes.answered++;
      this.#failed = 0;
      if (this.#state?.reachable !== true) this.#set(true, `${outcome.status} ${outcome.reason} in ${took} ms`);
    } else {
      this.#probes.failed++;
      this.#failed++;
      const what = typeof outcome === 'object' ? `${outcome.status} ${outcome.reason}` : outcome === 'timeout' ? `no answer within ${this.#timeoutMs} ms` : 'transport error';
      if (this.#failed >= this.#failures && this.#state?.reachable !== false) this.#set(false, `${what} (${this.#failed} OPTIONS in a row)`);
    }
    this.#schedule(started);
  }

  #set(reachable: boolean, reason: string): void {
    this.#state = { reachable, at: this.#o.clock.wallNow(), reason };
    this.emit('change', this.#state);
  }

  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
  }
}
