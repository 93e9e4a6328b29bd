/**
 * The agent's call detail records (issue 11): the routing core hands each finished call to
 * `append(record)`; the record waits in the on-disk buffer (`<state>/agent/cdr/`, src/cdr/buffer.ts)
 * and goes to the hub over a `cdr/1` tunnel stream (PROTOCOL.md "Stream protocols: `cdr/1`"), in
 * batches of at most 200, oldest first; each is removed only once the hub acknowledged its id.
 *
 *   const cdr = await AgentCdr.open({ dir: join(paths.dir, 'cdr'), clock, logger });
 *   cdr.start(tunnel.client);              // uploads whenever a session comes up
 *   b2bua.onCdr = (r) => void cdr.append(r);
 *
 * An upload starts when the tunnel opens (a new session or a resumed one) and when a record is
 * appended; one runs at a time, and it goes on batch after batch until the buffer is empty. A
 * failure (tunnel down, the hub reset the stream or knows no `cdr/1`, no answer within
 * `timeoutMs`) stops it; it is tried again at the next session, or after RETRY_MS while the tunnel
 * stays up. Sending a batch twice is harmless: the hub keeps one record per id.
 */
import { componentLogger, describeError, type Clock, type Logger, type Timer } from './core/index.js';
import {
  CDR_STREAM_LABEL,
  CdrBuffer,
  CdrError,
  MAX_ACK_BYTES,
  MAX_BATCH_RECORDS,
  decodeCdrAck,
  encodeCdrBatch,
  type CdrAck,
  type CdrBufferStats,
} from './cdr/index.js';
import type { CdrRecord } from './routing/index.js';
import { openLabeledStream, type TunnelStream } from './tunnel/index.js';

/** The hub syncs the batch to disk before it answers; a slow disk is not a dead hub. */
export const DEFAULT_UPLOAD_TIMEOUT_MS = 30_000;
/** A failed upload while the tunnel stays up is tried again after this long. */
export const RETRY_MS = 60_000;

/** What the uploader needs of the tunnel: TunnelClient fits. */
export interface CdrTunnel {
  readonly state: string;
  openStream(): TunnelStream;
  on(event: 'open', listener: (e: { resumed: boolean }) => void): () => void;
}

export interface AgentCdrOptions {
  /** The buffer's folder, `<state>/agent/cdr`. */
  readonly dir: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly maxRecords?: number;
  readonly maxBytes?: number;
  readonly batchRecords?: number;
  readonly timeoutMs?: number;
  readonly durable?: boolean;
}

/** For `sbc-agent status`. */
export interface AgentCdrStatus extends CdrBufferStats {
  /** Acknowledged by the hub since start. */
  readonly uploaded: number;
  /** Refused by the hub's checks (and dropped here) since start. */
  readonly rejectedByHub: number;
  readonly lastUploadAt: string | undefined;
  readonly lastError: string | undefined;
}

export class AgentCdr {
  readonly buffer: CdrBuffer;
  readonly #o: AgentCdrOptions;
  readonly #log: Logger;
  #tunnel: CdrTunnel | undefined;
  #off: (() => void) | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #retry: Timer | undefined;
  #stream: TunnelStream | undefined;
  #uploaded = 0;
  #rejected = 0;
  #lastUploadAt: string | undefined;
  #lastError: string | undefined;
  #closed = false;

  private constructor(buffer: CdrBuffer, o: AgentCdrOptions, log: Logger) {
    this.buffer = buffer;
    this.#o = o;
    this.#log = log;
  }

  /** Opens the buffer (what a previous run left is read back); uploads wait for start(). */
  static async open(o: AgentCdrOptions): Promise<AgentCdr> {
    const log = componentLogger(o.logger, 'cdr');
    const buffer = await CdrBuffer.open({
      dir: o.dir,
      logger: log,
      ...(o.maxRecords === undefined ? {} : { maxRecords: o.maxRecords }),
      ...(o.maxBytes === undefined ? {} : { maxBytes: o.maxBytes }),
      ...(o.durable === undefined ? {} : { durable: o.durable }),
    });
    const pending = buffer.stats().pending;
    if (pending > 0) log.info({ pending }, 'CDRs from an earlier run wait for the hub');
    return new AgentCdr(buffer, o, log);
  }

  /** Uploads from now on: at once if the tunnel is open, and at every session that comes up. */
  start(tunnel: CdrTunnel): void {
    if (this.#closed || this.#tunnel !== undefined) return;
    this.#tunnel = tunnel;
    this.#off = tunnel.on('open', () => this.kick());
    this.kick();
  }

  /**
   * The routing core's sink: buffers the record and starts an upload. Never rejects (a call's end
   * must not fail on its record): resolves true once the record is on disk, false when it was
   * refused (logged with the reason) or its id was already waiting.
   */
  async append(record: CdrRecord): Promise<boolean> {
    try {
      const stored = await this.buffer.append(record);
      if (stored) this.kick();
      return stored;
    } catch (error) {
      this.#log.error({ id: (record as { id?: unknown }).id, err: describeError(error) }, 'CDR not buffered');
      return false;
    }
  }

  status(): AgentCdrStatus {
    return { ...this.buffer.stats(), uploaded: this.#uploaded, rejectedByHub: this.#rejected, lastUploadAt: this.#lastUploadAt, lastError: this.#lastError };
  }

  /** Starts an upload if none runs (or asks the running one to look again before it stops). */
  kick(): void {
    if (this.#closed || this.#tunnel === undefined) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    if (this.#tunnel.state !== 'open' || this.buffer.stats().pending === 0) return;
    this.#retry?.cancel();
    this.#retry = undefined;
    this.#running = this.#drain().catch((error: unknown) => {
      // The buffer could not be read or changed (a disk error): the records stay where they are.
      this.#lastError = describeError(error);
      this.#log.error({ err: this.#lastError }, 'CDR upload stopped by a buffer error; tried again later');
      if (!this.#closed) this.#retry = this.#o.clock.setTimeout(() => this.kick(), RETRY_MS);
    }).finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.kick();
      }
    });
  }

  /** Resolves when no upload runs (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  async #drain(): Promise<void> {
    const batchRecords = Math.min(this.#o.batchRecords ?? MAX_BATCH_RECORDS, MAX_BATCH_RECORDS);
    for (;;) {
      const tunnel = this.#tunnel;
      if (this.#closed || tunnel === undefined || tunnel.state !== 'open') return;
      const records = await this.buffer.peek(batchRecords);
      if (records.length === 0) return;
      let ack: CdrAck;
      try {
        ack = await this.#send(tunnel, records);
      } catch (error) {
        this.#lastError = describeError(error);
        this.#log.warn({ records: records.length, err: this.#lastError }, 'CDR upload failed; tried again at the next session');
        this.#again = false;
        if (!this.#closed) this.#retry = this.#o.clock.setTimeout(() => this.kick(), RETRY_MS);
        return;
      }
      const sent = new Set(records.map((r) => r.id));
      const acked = ack.acked.filter((id) => sent.has(id));
      const rejected = ack.rejected.filter((id) => sent.has(id));
      await this.buffer.ack([...acked, ...rejected]);
      this.#uploaded += acked.length;
      this.#rejected += rejected.length;
      this.#lastUploadAt = new Date(this.#o.clock.wallNow()).toISOString();
      this.#lastError = undefined;
      if (rejected.length > 0) this.#log.error({ rejected }, 'the hub refused CDRs (dropped here)');
      this.#log.debug({ acked: acked.length, pending: this.buffer.stats().pending }, 'CDRs uploaded');
      if (acked.length + rejected.length === 0) {
        // The hub answered but took none of them: sending the same batch again would loop.
        this.#lastError = 'the hub acknowledged none of the batch';
        this.#retry = this.#o.clock.setTimeout(() => this.kick(), RETRY_MS);
        return;
      }
    }
  }

  /** One batch: label, the records, FIN; the hub's acknowledgement until its FIN. */
  #send(tunnel: CdrTunnel, records: readonly CdrRecord[]): Promise<CdrAck> {
    const stream = openLabeledStream(tunnel, CDR_STREAM_LABEL);
    this.#stream = stream;
    const timeoutMs = this.#o.timeoutMs ?? DEFAULT_UPLOAD_TIMEOUT_MS;
    return new Promise<CdrAck>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let received = 0;
      let settled = false;
      const finish = (error: Error | undefined, ack?: CdrAck): void => {
        if (settled) return;
        settled = true;
        timer.cancel();
        this.#stream = undefined;
        if (error !== undefined) {
          stream.reset();
          reject(error);
        } else if (ack !== undefined) resolve(ack);
      };
      const timer = this.#o.clock.setTimeout(() => finish(new CdrError(`no acknowledgement within ${timeoutMs} ms`)), timeoutMs);
      stream.on('data', (payload) => {
        received += payload.length;
        if (received > MAX_ACK_BYTES) return finish(new CdrError(`acknowledgement above ${MAX_ACK_BYTES} bytes`));
        chunks.push(payload);
      });
      stream.on('end', () => {
        try {
          finish(undefined, decodeCdrAck(Buffer.concat(chunks, received)));
        } catch (error) {
          finish(error instanceof Error ? error : new Error(String(error)));
        }
      });
      stream.on('close', ({ reset }) => finish(new CdrError(reset ? 'the hub reset the stream (no CDR service, or it could not store them)' : 'the stream closed before the acknowledgement')));
      stream.write(encodeCdrBatch(records));
      stream.end();
    });
  }

  /** Stops uploading (a batch in flight is abandoned: sent again next time) and lets the buffer's writes finish. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#off?.();
    this.#retry?.cancel();
    this.#stream?.reset();
    await this.#running?.catch(() => undefined);
    await this.buffer.close();
  }
}
