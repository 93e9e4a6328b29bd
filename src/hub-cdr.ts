/**
 * The hub's CDR service (issue 11): takes the agents' `cdr/1` uploads (PROTOCOL.md "Stream
 * protocols: `cdr/1`"), checks each record, stores it (src/cdr/store.ts, `<hub state>/cdr/`) and
 * acknowledges every id it took or already had, so the agent can delete them.
 *
 *   hub.add(hubCdrService({ streams: tunnel.streams, dir: join(hub.state.paths.dir, 'cdr'),
 *     retentionDays: config.hub.cdr.retentionDays, clock: hub.clock, logger, sbcName: (s) => tunnel.sbcName(s) }));
 *
 * The hub trusts nothing of the upload: a batch above MAX_BATCH_BYTES is reset before it is read
 * whole, a batch that is not one (not JSON, no list, more than 200 records) is reset and counted;
 * each record that fails the checks (cdrRecordProblem: types, known direction, times, 4 KiB) is
 * counted and listed as rejected. The `agent` field is the sender's SBC name from its tunnel
 * certificate, whatever the record claims: an agent cannot file records under another's name.
 * Day files past the retention are removed at start and every hour.
 */
import { componentLogger, describeError, type Clock, type Logger, type Timer } from './core/index.js';
import {
  CDR_STREAM_LABEL,
  CdrStore,
  MAX_BATCH_BYTES,
  cdrIdOf,
  cdrRecordProblem,
  decodeCdrBatch,
  encodeCdrAck,
  type CdrStoreStats,
} from './cdr/index.js';
import type { HubService } from './hub.js';
import type { CdrRecord } from './routing/index.js';
import type { StreamDispatcher, TunnelSession, TunnelStream } from './tunnel/index.js';

export const PRUNE_INTERVAL_MS = 3_600_000;
/** A batch must arrive whole within this long after its label. */
export const BATCH_TIMEOUT_MS = 30_000;
/**
 * Uploads one agent may have open at once (ours sends one at a time): each is held in memory
 * until its FIN, so an agent cannot make the hub hold more than this many batches.
 */
export const MAX_UPLOADS_PER_AGENT = 4;

export interface HubCdrOptions {
  readonly streams: StreamDispatcher;
  /** `<hub state>/cdr`. */
  readonly dir: string;
  readonly retentionDays: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The enrolled SBC's name of a session (hubTunnelService().sbcName). */
  readonly sbcName: (session: TunnelSession) => string;
  readonly durable?: boolean;
}

export interface HubCdrStats {
  /** Batches read and answered. */
  readonly batches: number;
  /** Streams reset: a malformed or oversized batch, none in time, too many at once, or the store failed. */
  readonly badBatches: number;
  /** Records refused by the checks. */
  readonly rejected: number;
  /** Records whose `agent` named another SBC than the sender (stored under the sender's name). */
  readonly relabeled: number;
  readonly store: CdrStoreStats | undefined;
}

export interface HubCdrService extends HubService {
  stats(): HubCdrStats;
  /** The store, once started. */
  readonly store: CdrStore | undefined;
}

class HubCdr implements HubCdrService {
  readonly name = 'cdr';
  readonly #o: HubCdrOptions;
  readonly #log: Logger;
  readonly #open = new Set<TunnelStream>();
  readonly #perSession = new Map<TunnelSession, number>();
  #store: CdrStore | undefined;
  #unregister: (() => void) | undefined;
  #prune: Timer | undefined;
  #batches = 0;
  #bad = 0;
  #rejected = 0;
  #relabeled = 0;
  #closed: Promise<void> | undefined;

  constructor(o: HubCdrOptions) {
    this.#o = o;
    this.#log = componentLogger(o.logger, 'cdr');
  }

  get store(): CdrStore | undefined {
    return this.#store;
  }

  async start(): Promise<void> {
    if (this.#closed !== undefined || this.#store !== undefined) return;
    const clock = this.#o.clock;
    this.#store = await CdrStore.open({ dir: this.#o.dir, retentionDays: this.#o.retentionDays, now: () => clock.wallNow(), logger: this.#log, ...(this.#o.durable === undefined ? {} : { durable: this.#o.durable }) });
    this.#unregister = this.#o.streams.register(CDR_STREAM_LABEL, (stream, session) => this.#serve(stream, session));
    this.#prune = clock.setInterval(() => {
      this.#store?.prune().catch((error: unknown) => this.#log.warn({ err: describeError(error) }, 'CDR store: cannot remove old day files'));
    }, PRUNE_INTERVAL_MS);
  }

  stats(): HubCdrStats {
    return { batches: this.#batches, badBatches: this.#bad, rejected: this.#rejected, relabeled: this.#relabeled, store: this.#store?.stats() };
  }

  /** For the hub's status file: what `sbc-agent status` shows. */
  statusParts(): Record<string, unknown> {
    const s = this.stats();
    return { cdr: { stored: s.store?.stored ?? null, days: s.store?.days ?? 0, received: s.store?.appended ?? 0, duplicates: s.store?.duplicates ?? 0, rejected: s.rejected, badBatches: s.badBatches } };
  }

  #serve(stream: TunnelStream, session: TunnelSession): void {
    const sbc = this.#o.sbcName(session);
    const chunks: Buffer[] = [];
    let received = 0;
    let done = false;
    this.#open.add(stream);
    const running = (this.#perSession.get(session) ?? 0) + 1;
    this.#perSession.set(session, running);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.#open.delete(stream);
      const left = (this.#perSession.get(session) ?? 1) - 1;
      if (left > 0) this.#perSession.set(session, left);
      else this.#perSession.delete(session);
    };
    const abandon = (why: string): void => {
      if (done) return;
      done = true;
      timer.cancel();
      this.#bad++;
      release();
      this.#log.warn({ sbc, stream: stream.id, why }, 'CDR upload refused (stream reset)');
      stream.reset();
    };
    const timer = this.#o.clock.setTimeout(() => abandon('no whole batch in time'), BATCH_TIMEOUT_MS);
    stream.on('close', () => {
      timer.cancel();
      release();
    });
    if (running > MAX_UPLOADS_PER_AGENT) return abandon(`more than ${MAX_UPLOADS_PER_AGENT} uploads at once`);
    stream.on('data', (payload) => {
      received += payload.length;
      // Rule 3: the bound before the bytes are kept.
      if (received > MAX_BATCH_BYTES) return abandon(`batch above ${MAX_BATCH_BYTES} bytes`);
      chunks.push(payload);
    });
    stream.on('end', () => {
      if (done) return;
      timer.cancel();
      let records: readonly unknown[];
      try {
        records = decodeCdrBatch(Buffer.concat(chunks, received)).records;
      } catch (error) {
        return abandon(describeError(error));
      }
      this.#take(sbc, records).then(
        (ack) => {
          done = true;
          release();
          this.#batches++;
          if (stream.closed) return;
          stream.write(ack);
          stream.end();
        },
        (error: unknown) => abandon(`cannot store: ${describeError(error)}`),
      );
    });
  }

  /** Checks, stamps and stores a batch; the acknowledgement to send. */
  async #take(sbc: string, values: readonly unknown[]): Promise<Buffer> {
    const store = this.#store;
    if (store === undefined) throw new Error('the CDR service is not started');
    const good: CdrRecord[] = [];
    const rejected: string[] = [];
    let relabeled = 0;
    for (const value of values) {
      const problem = cdrRecordProblem(value);
      if (problem !== undefined) {
        this.#rejected++;
        const id = cdrIdOf(value);
        if (id !== undefined) rejected.push(id);
        this.#log.warn({ sbc, id, problem }, 'CDR refused');
        continue;
      }
      const record = value as CdrRecord;
      if (record.agent !== sbc) relabeled++;
      good.push({ ...record, agent: sbc });
    }
    if (relabeled > 0) {
      this.#relabeled += relabeled;
      this.#log.warn({ sbc, records: relabeled }, 'CDRs naming another agent were stored under the sender\'s name');
    }
    const result = await store.store(good);
    this.#log.info({ sbc, stored: result.stored.length, duplicates: result.duplicates.length, expired: result.expired.length, rejected: rejected.length }, 'CDRs received');
    return encodeCdrAck({ acked: [...result.stored, ...result.duplicates, ...result.expired], rejected });
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#unregister?.();
      this.#prune?.cancel();
      for (const stream of [...this.#open]) stream.reset();
      await this.#store?.close();
    })();
    return this.#closed;
  }
}

/** The agents' CDR uploads; `hub.add()` it after the tunnel service. */
export function hubCdrService(options: HubCdrOptions): HubCdrService {
  return new HubCdr(options);
}
