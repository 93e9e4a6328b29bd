/**
 * `sbc-agent hub cdr`: the call detail records the hub keeps (issue 11), read from its state
 * directory (`<state>/hub/cdr/`). Read-only: it never rewrites a hub file and does not need the hub
 * to run; a directory without a hub is exit 4 like the other admin commands.
 */
import { UsageError, realClock } from '../core/index.js';
import { formatCdrTable, parseSince, readCdrStore, type CdrQuery } from '../cdr/index.js';
import { hubStatePaths } from '../tunnel/index.js';
import { NoHubError } from '../hub.js';
import { readFileIfExists } from '../platform/index.js';
import { join } from 'node:path';
import { parseArgs } from './args.js';
import type { CommandIo } from './command.js';
import { COMMON_VALUES, commonContext } from './hub-common.js';
import { EXIT } from './exit-codes.js';

/** The store's folder in a hub's state directory. */
export function hubCdrDir(stateDir: string): string {
  return join(hubStatePaths(stateDir).dir, 'cdr');
}

function queryOf(args: ReturnType<typeof parseArgs>, now: number): CdrQuery {
  const sinceText = args.values.get('since');
  const since = sinceText === undefined ? undefined : parseSince(sinceText, now);
  if (sinceText !== undefined && since === undefined) throw new UsageError(`--since '${sinceText}' is neither a duration back from now (30m, 2h, 7d) nor an ISO-8601 date or time (2026-12-01, 2026-12-01T08:00:00Z)`);
  const limitText = args.values.get('limit');
  const limit = limitText === undefined ? undefined : Number(limitText);
  if (limitText !== undefined && (limit === undefined || !/^\d{1,9}$/.test(limitText) || limit < 1)) throw new UsageError(`--limit '${limitText}' is not a whole number from 1`);
  const sbc = args.values.get('sbc');
  if (sbc === '') throw new UsageError('--sbc needs an SBC name');
  return { ...(since === undefined ? {} : { since }), ...(sbc === undefined ? {} : { sbc }), ...(limit === undefined ? {} : { limit }) };
}

export async function listCdrs(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: [...COMMON_VALUES, 'since', 'sbc', 'limit'], flags: ['json'] });
  const query = queryOf(args, realClock.wallNow());
  const { stateDir } = await commonContext(args, 'hub');
  if ((await readFileIfExists(hubStatePaths(stateDir).caCert)) === undefined) throw new NoHubError(stateDir);
  const { records, unreadable } = await readCdrStore(hubCdrDir(stateDir), query);
  if (unreadable > 0) io.stderr.write(`sbc-agent hub cdr: ${unreadable} unreadable line${unreadable === 1 ? '' : 's'} skipped (a record being written, or a damaged file)\n`);
  if (args.flags.has('json')) {
    io.stdout.write(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    return EXIT.OK;
  }
  io.stdout.write(formatCdrTable(records));
  return EXIT.OK;
}
