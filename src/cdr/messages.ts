/**
 * The messages of the `cdr/1` tunnel stream (src/tunnel/PROTOCOL.md "Stream protocols: `cdr/1`")
 * and the checks a call detail record passes before it is buffered or stored. Pure: bytes in,
 * typed values out, a CdrError for anything else (docs/STYLE.md rule 1).
 *
 *   agent → hub   label `cdr/1`, then {"records":[CdrRecord, ...]} (1..MAX_BATCH_RECORDS), FIN
 *   hub → agent   {"acked":[id, ...],"rejected":[id, ...]}, FIN
 *
 * Each message may span several DATA frames (the stream splits writes above 64 KiB): a side reads
 * until the peer's FIN, and refuses more than the bound before it buffers it (rule 3).
 */
import { SbcError } from '../core/index.js';
import { isCdrRecord, type CdrRecord } from '../routing/index.js';

export const CDR_STREAM_LABEL = 'cdr/1';
/** Records in one upload. */
export const MAX_BATCH_RECORDS = 200;
/** One record as JSON, in bytes: far above a real record (about 400 bytes), far below a frame. */
export const MAX_RECORD_BYTES = 4096;
/** A whole upload: every record at its largest, plus the envelope. */
export const MAX_BATCH_BYTES = MAX_BATCH_RECORDS * (MAX_RECORD_BYTES + 1) + 64;
/** An `id` is at most this long (the agent mints UUIDs, 36 characters). */
export const MAX_ID_LENGTH = 128;
/** The acknowledgement: every id at its longest, quoted, plus the envelope. */
export const MAX_ACK_BYTES = MAX_BATCH_RECORDS * (MAX_ID_LENGTH * 6 + 3) + 64;

const DIRECTIONS: ReadonlySet<string> = new Set(['internal', 'inbound', 'outbound', 'emergency']);
const ENDED_BY: ReadonlySet<string> = new Set(['caller', 'callee', 'system']);
/** 2000-01-01 .. 2200-01-01: an epoch in seconds, or a zero, is a bug of the sender. */
const EARLIEST_MS = 946_684_800_000;
const LATEST_MS = 7_258_118_400_000;

export class CdrError extends SbcError {
  constructor(message: string) {
    super('SBC_ERR_CDR', message);
  }
}

export interface CdrBatch {
  readonly records: readonly unknown[];
}

export interface CdrAck {
  /** Stored now, or stored before (a second upload of the same id). */
  readonly acked: readonly string[];
  /** Refused by the hub's checks: the agent drops them too, or it would send them forever. */
  readonly rejected: readonly string[];
}

function validTime(value: number): boolean {
  return Number.isFinite(value) && value >= EARLIEST_MS && value <= LATEST_MS;
}

/** Why `value` is not a record to keep, or undefined when it is one. */
export function cdrRecordProblem(value: unknown): string | undefined {
  if (!isCdrRecord(value)) return 'not a CDR (a field is missing or has the wrong type)';
  if (value.id.length === 0 || value.id.length > MAX_ID_LENGTH) return `id of ${value.id.length} characters (1 to ${MAX_ID_LENGTH})`;
  if (!DIRECTIONS.has(value.direction)) return `unknown direction '${value.direction.slice(0, 32)}'`;
  if (!ENDED_BY.has(value.endedBy)) return `unknown endedBy '${value.endedBy.slice(0, 32)}'`;
  if (!validTime(value.startedAt) || !validTime(value.endedAt) || value.endedAt < value.startedAt) return 'startedAt/endedAt out of range or in the wrong order';
  if (value.answeredAt !== undefined && (typeof value.answeredAt !== 'number' || !validTime(value.answeredAt))) return 'answeredAt out of range';
  if (!Number.isInteger(value.talkSeconds) || value.talkSeconds < 0) return 'talkSeconds is not a whole number of seconds';
  if (Buffer.byteLength(JSON.stringify(value)) > MAX_RECORD_BYTES) return `larger than ${MAX_RECORD_BYTES} bytes`;
  return undefined;
}

/** The record's id when it has a usable one (to reject it by id), else undefined. */
export function cdrIdOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH ? id : undefined;
}

function parseJson(data: Buffer, max: number, what: string): Record<string, unknown> {
  if (data.length > max) throw new CdrError(`${what} of ${data.length} bytes, above ${max}`);
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    throw new CdrError(`${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CdrError(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

export function encodeCdrBatch(records: readonly CdrRecord[]): Buffer {
  if (records.length === 0 || records.length > MAX_BATCH_RECORDS) throw new CdrError(`a batch holds 1 to ${MAX_BATCH_RECORDS} records, not ${records.length}`);
  return Buffer.from(JSON.stringify({ records }));
}

/** The upload as sent; each record is checked by the receiver (cdrRecordProblem), one by one. */
export function decodeCdrBatch(data: Buffer): CdrBatch {
  const obj = parseJson(data, MAX_BATCH_BYTES, 'the batch');
  const records = obj['records'];
  if (!Array.isArray(records)) throw new CdrError("the batch has no 'records' list");
  if (records.length === 0 || records.length > MAX_BATCH_RECORDS) throw new CdrError(`a batch holds 1 to ${MAX_BATCH_RECORDS} records, not ${records.length}`);
  return { records };
}

export function encodeCdrAck(ack: CdrAck): Buffer {
  return Buffer.from(JSON.stringify({ acked: ack.acked, rejected: ack.rejected }));
}

export function decodeCdrAck(data: Buffer): CdrAck {
  const obj = parseJson(data, MAX_ACK_BYTES, 'the acknowledgement');
  const list = (key: string): string[] => {
    const value = obj[key] ?? [];
    if (!Array.isArray(value) || value.length > MAX_BATCH_RECORDS || !value.every((v) => typeof v === 'string')) throw new CdrError(`the acknowledgement's '${key}' is not a list of ids`);
    return value as string[];
  };
  return { acked: list('acked'), rejected: list('rejected') };
}

/**
 * The records of a JSON-lines text (the agent's batch files, the hub's day files): each line that
 * parses and passes cdrRecordProblem, in order; the others are counted as unreadable (a line cut by
 * a crash, a damaged file). Blank lines are neither.
 */
export function readCdrLines(text: string): { readonly records: CdrRecord[]; readonly unreadable: number } {
  const records: CdrRecord[] = [];
  let unreadable = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      unreadable++;
      continue;
    }
    if (cdrRecordProblem(value) !== undefined) unreadable++;
    else records.push(value as CdrRecord);
  }
  return { records, unreadable };
}
