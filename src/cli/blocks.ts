/**
 * `sbc-agent blocks`: the sources the agent blocks (brute force, floods, operator deny entries),
 * from `<state>/agent/blocks.json`; `blocks lift ADDRESS` removes one, `blocks deny MASK [--for D]`
 * adds one. `sbc-agent hub unlock ADDRESS` lifts an enrollment lockout from the hub's
 * `<state>/hub/blocks.json`. The running agent or hub sees the change within a second (it watches
 * its blocks file, src/blocks-file.ts), and so does the next start.
 */
import { existsSync } from 'node:fs';
import { UsageError, realClock } from '../core/index.js';
import { formatDuration, parseDuration } from '../config/index.js';
import { hubStatePaths } from '../tunnel/index.js';
import { BlocksFile, agentBlocksPath, hubBlocksPath } from '../blocks-file.js';
import { NoHubError } from '../hub-state.js';
import { activeBlocks, parseCidr, type BlockEntry } from '../protect/index.js';
import { parseArgs } from './args.js';
import type { Command, CommandIo } from './command.js';
import { EXIT } from './exit-codes.js';
import { COMMON_VALUES, commonContext, reportErrors, shortTime } from './hub-common.js';

const USAGE = `Usage: sbc-agent blocks [--json] [--state-dir DIR] [--config FILE]
       sbc-agent blocks lift ADDRESS
       sbc-agent blocks deny ADDRESS|MASK [--for D]

Lists the sources the agent blocks on its LAN SIP ports: too many failed digest attempts
(auth), a packet rate over agent.protection.rate's levels (rate-1, rate-2), or denied by the
operator (deny). A running agent applies a lift or a deny within a second; blocks survive restarts.

  lift ADDRESS   remove the block on ADDRESS (or the deny entry MASK)
  deny MASK      refuse everything from ADDRESS or MASK (192.0.2.0/24, 2001:db8::/32)
  --for D        how long the deny lasts: 30m, 12h, 7d (default: until lifted; at most 3650d)
  --json         print the list as JSON

Exit codes: 0 done, 2 wrong command line or no such block, 4 the blocks file cannot be read or written.
`;

/** The longest deny `--for` takes: ten years. */
const MAX_DENY_MS = 3650 * 86_400_000;

/** A block as `blocks --json` and the admin API's GET /api/blocks list it. */
export function entryJson(e: BlockEntry): { address: string; reason: string; since: string; until: string | null } {
  return { address: e.address, reason: e.reason, since: new Date(e.since).toISOString(), until: e.until === undefined ? null : new Date(e.until).toISOString() };
}

function listLines(entries: readonly BlockEntry[]): string {
  if (entries.length === 0) return 'no source is blocked\n';
  const rows = entries.map((e) => [e.address, e.reason, shortTime(new Date(e.since).toISOString()), e.until === undefined ? 'until lifted' : shortTime(new Date(e.until).toISOString())]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length), ['ADDRESS', 'REASON', 'SINCE'][i]?.length ?? 0));
  const line = (r: readonly string[]): string => `${r.map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c)).join('  ')}\n`;
  return line(['ADDRESS', 'REASON', 'SINCE', 'UNTIL']) + rows.map(line).join('');
}

/** The entry `text` names: the same address or mask, written however the operator likes. */
function sameAddress(entry: BlockEntry, text: string): boolean {
  return parseCidr(entry.address).text === parseCidr(text).text;
}

/**
 * Removes the entry of `address` (however it is written) from the file; the one removed, or
 * undefined when there was none. A bad address is a CidrError. `blocks lift` and the admin API's
 * DELETE /api/blocks/{address} both call it.
 */
export async function liftBlock(file: BlocksFile, address: string): Promise<BlockEntry | undefined> {
  parseCidr(address);
  let found: BlockEntry | undefined;
  await file.update((entries) => {
    found = entries.find((e) => sameAddress(e, address));
    return entries.filter((e) => !sameAddress(e, address));
  });
  return found;
}

async function lift(file: BlocksFile, address: string, io: CommandIo, what: string): Promise<number> {
  const found = await liftBlock(file, address);
  if (found === undefined) {
    io.stderr.write(`sbc-agent ${what}: no block on ${address} in ${file.path}\n`);
    return EXIT.USAGE;
  }
  io.stdout.write(`${what}: ${found.address} (${found.reason}) lifted; a running process applies it within a second\n`);
  return EXIT.OK;
}

async function deny(file: BlocksFile, address: string, forText: string | undefined, io: CommandIo, json: boolean): Promise<number> {
  const mask = parseCidr(address).text;
  const ms = forText === undefined ? undefined : parseDuration(forText);
  if (forText !== undefined && (ms === undefined || ms < 1000 || ms > MAX_DENY_MS)) throw new UsageError(`--for '${forText}' is not a duration from 1s to 3650d (examples: 30m, 12h, 7d)`);
  const now = realClock.wallNow();
  const entry: BlockEntry = { address: mask, reason: 'deny', since: now, until: ms === undefined ? undefined : now + ms };
  await file.update((entries) => [...entries.filter((e) => !sameAddress(e, mask)), entry]);
  if (json) io.stdout.write(`${JSON.stringify(entryJson(entry))}\n`);
  else io.stdout.write(`blocks: ${mask} denied ${ms === undefined ? 'until lifted' : `for ${formatDuration(ms)}`}\n`);
  return EXIT.OK;
}

async function blocks(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: [...COMMON_VALUES, 'for'], flags: ['json'], positionals: 2 });
  const [sub, address] = args.positionals;
  if (sub !== 'deny' && args.values.has('for')) throw new UsageError('--for goes with blocks deny');
  const { stateDir } = await commonContext(args);
  const file = new BlocksFile(agentBlocksPath(stateDir));
  switch (sub) {
    case undefined: {
      const entries = activeBlocks(await file.read(), realClock.wallNow());
      io.stdout.write(args.flags.has('json') ? `${JSON.stringify({ blocks: entries.map(entryJson) })}\n` : listLines(entries));
      return EXIT.OK;
    }
    case 'lift':
      if (address === undefined) throw new UsageError('blocks lift needs the ADDRESS to lift');
      return lift(file, address, io, 'blocks');
    case 'deny':
      if (address === undefined) throw new UsageError('blocks deny needs an ADDRESS or MASK');
      return deny(file, address, args.values.get('for'), io, args.flags.has('json'));
    default:
      throw new UsageError(`unknown blocks subcommand '${sub}' (list, lift, deny)`);
  }
}

/** `sbc-agent hub unlock ADDRESS`: lifts the enrollment lockout of ADDRESS, on a running hub too. */
export async function hubUnlock(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: [...COMMON_VALUES], positionals: 1 });
  const [address] = args.positionals;
  if (address === undefined) throw new UsageError('hub unlock needs the ADDRESS to unlock');
  const { stateDir } = await commonContext(args, 'hub');
  if (!existsSync(hubStatePaths(stateDir).caCert)) throw new NoHubError(stateDir);
  return lift(new BlocksFile(hubBlocksPath(stateDir)), address, io, 'hub unlock');
}

export const blocksCommand: Command = {
  name: 'blocks',
  summary: 'list, lift and add the sources the agent blocks (brute force, floods, deny list)',
  usage: USAGE,
  run: (argv, io) => reportErrors(io, 'blocks', () => blocks(argv, io)),
};
