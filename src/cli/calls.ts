/**
 * `sbc-agent calls [--json]`: the calls the running agent relays, one row per media stream, with
 * packets and loss per direction, whether the media stays in the LAN, and the one-way-audio flag.
 * Read from `<state>/agent/calls.json`, which `sbc-agent run` rewrites every second.
 */
import { dirname, join } from 'node:path';
import { readFileIfExists } from '../platform/index.js';
import { realClock } from '../core/index.js';
import { formatCalls, type CallsDocument } from '../sbc/index.js';
import { agentStatePaths } from '../tunnel/index.js';
import { parseArgs } from './args.js';
import type { Command, CommandIo } from './command.js';
import { EXIT } from './exit-codes.js';
import { COMMON_VALUES, commonContext, reportErrors } from './hub-common.js';

const USAGE = `Usage: sbc-agent calls [--state-dir DIR] [--config FILE] [--json]

Lists the calls the running agent ('sbc-agent run') relays: per media stream, packets and lost
packets from and to the phone, jitter, whether RTP stays in the LAN (both phones behind this
agent) or crosses the tunnel, and the one-way-audio flag (one direction silent for 5 s).
`;

/** A calls file older than this means the agent is not running. */
export const CALLS_STALE_MS = 5000;

export function callsFilePath(stateDir: string): string {
  return join(dirname(agentStatePaths(stateDir).status), 'calls.json');
}

async function calls(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: [...COMMON_VALUES], flags: ['json'] });
  const { stateDir } = await commonContext(args);
  const raw = await readFileIfExists(callsFilePath(stateDir));
  const doc = raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as CallsDocument);
  const running = doc !== undefined && realClock.wallNow() - Date.parse(doc.updatedAt) < CALLS_STALE_MS;
  if (args.flags.has('json')) {
    io.stdout.write(`${JSON.stringify({ running, calls: running ? doc.calls : [] })}\n`);
  } else if (!running) {
    io.stdout.write("the agent is not running ('sbc-agent run')\n");
  } else {
    io.stdout.write(formatCalls(doc));
  }
  return EXIT.OK;
}

export const callsCommand: Command = {
  name: 'calls',
  summary: 'calls relayed by the running agent, with per-direction media statistics and one-way audio',
  usage: USAGE,
  run: (argv, io) => reportErrors(io, 'calls', () => calls(argv, io)),
};
