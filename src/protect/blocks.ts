/**
 * The blocks file (`<state>/agent/blocks.json`, the hub's `<state>/blocks.json`): every source
 * blocked now, why and until when. The running agent or hub adds entries; `sbc-agent blocks` and
 * `sbc-agent hub unlock` list and remove them. Parsing is strict and names the file: a corrupt
 * file is an error the operator sees, never a silently empty list (which would lift every block).
 */
import { SbcError } from '../core/index.js';
import { parseCidr } from './cidr.js';

/** Why a source is blocked. */
export type BlockReason =
  /** Too many failed digest attempts (or unanswered challenges) in the detection period. */
  | 'auth'
  /** Over the first packet-rate level. */
  | 'rate-1'
  /** Over the second packet-rate level. */
  | 'rate-2'
  /** Requests from a scanner User-Agent (friendly-scanner, sipcli...), as many as the failed digests that block. */
  | 'scanner'
  /** Added by the operator (`sbc-agent blocks deny`). */
  | 'deny'
  /** Too many wrong enrollment keys at the hub. */
  | 'enrollment';

export const BLOCK_REASONS: readonly BlockReason[] = ['auth', 'rate-1', 'rate-2', 'scanner', 'deny', 'enrollment'];

export interface BlockEntry {
  /** An address, or a mask (`198.51.100.0/24`) for operator deny entries. */
  readonly address: string;
  readonly reason: BlockReason;
  /** Epoch milliseconds. */
  readonly since: number;
  /** Epoch milliseconds; undefined: until lifted. */
  readonly until: number | undefined;
}

/** The blocks file cannot be read as a block list; the message names the file and the entry. */
export class BlockFileError extends SbcError {
  constructor(readonly path: string, why: string) {
    super('SBC_ERR_STATE', `${path}: ${why}; fix or delete the file (deleting it lifts every block)`);
  }
}

/** The largest blocks file read: a bound checked before parsing (a list of ~50,000 entries). */
export const MAX_BLOCKS_FILE_BYTES = 8 * 1024 * 1024;

function entryAt(value: unknown, i: number, path: string): BlockEntry {
  if (typeof value !== 'object' || value === null) throw new BlockFileError(path, `entry ${i} is not an object`);
  const { address, reason, since, until } = value as Record<string, unknown>;
  if (typeof address !== 'string') throw new BlockFileError(path, `entry ${i} has no address`);
  try {
    parseCidr(address);
  } catch {
    throw new BlockFileError(path, `entry ${i}: '${address}' is not an address or mask`);
  }
  if (typeof reason !== 'string' || !BLOCK_REASONS.includes(reason as BlockReason)) throw new BlockFileError(path, `entry ${i} (${address}) has an unknown reason`);
  const sinceMs = typeof since === 'string' ? Date.parse(since) : NaN;
  if (!Number.isFinite(sinceMs)) throw new BlockFileError(path, `entry ${i} (${address}) has no valid 'since' time`);
  const untilMs = until === null || until === undefined ? undefined : typeof until === 'string' ? Date.parse(until) : NaN;
  if (untilMs !== undefined && !Number.isFinite(untilMs)) throw new BlockFileError(path, `entry ${i} (${address}) has an invalid 'until' time`);
  return { address, reason: reason as BlockReason, since: sinceMs, until: untilMs };
}

/** The entries of a blocks file; an absent file (undefined) is an empty list. */
export function parseBlocks(text: string | undefined, path: string): BlockEntry[] {
  if (text === undefined) return [];
  if (text.length > MAX_BLOCKS_FILE_BYTES) throw new BlockFileError(path, `larger than ${MAX_BLOCKS_FILE_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new BlockFileError(path, `not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const blocks = typeof doc === 'object' && doc !== null ? (doc as { version?: unknown; blocks?: unknown }) : undefined;
  if (blocks?.version !== 1 || !Array.isArray(blocks.blocks)) throw new BlockFileError(path, "not a blocks file (expected { version: 1, blocks: [...] })");
  return blocks.blocks.map((e: unknown, i) => entryAt(e, i, path));
}

export function serializeBlocks(entries: readonly BlockEntry[]): string {
  const blocks = entries.map((e) => ({
    address: e.address, reason: e.reason, since: new Date(e.since).toISOString(), until: e.until === undefined ? null : new Date(e.until).toISOString(),
  }));
  return `${JSON.stringify({ version: 1, blocks }, null, 2)}\n`;
}

/** Entries still in force at `now`. */
export function activeBlocks(entries: readonly BlockEntry[], now: number): BlockEntry[] {
  return entries.filter((e) => e.until === undefined || e.until > now);
}
