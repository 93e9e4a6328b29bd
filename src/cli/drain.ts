/**
 * `sbc-agent drain`: asks the running agent (its pid from the status file) to drain: new calls get
 * 503, calls up go on until they end or agent.drainTimeout passes, then it exits 0. The same as
 * SIGTERM, which is what systemd sends on stop; `--no-wait` returns at once.
 */
import { realClock } from '../core/index.js';
import { readStatusFile } from '../platform/index.js';
import { agentStatePaths } from '../tunnel/index.js';
import { parseArgs } from './args.js';
import type { Command, CommandIo } from './command.js';
import { EXIT } from './exit-codes.js';
import { COMMON_VALUES, commonContext, reportErrors } from './hub-common.js';

const USAGE = `Usage: sbc-agent drain [--state-dir DIR] [--config FILE] [--no-wait]

Drains the running agent: new calls get 503, calls in progress go on until they end (at most
agent.drainTimeout), then the agent exits. Waits for that unless --no-wait.
Exit codes: 0 drained (or nothing was running), 4 the agent could not be signalled.
`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function drain(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: [...COMMON_VALUES], flags: ['no-wait'] });
  const { stateDir } = await commonContext(args);
  const reading = await readStatusFile(agentStatePaths(stateDir).status, realClock.wallNow());
  if (!reading.running) {
    io.stdout.write('drain: no agent is running\n');
    return EXIT.OK;
  }
  const pid = reading.status.pid;
  try {
    process.kill(pid, 'SIGTERM');
  } catch (error) {
    io.stderr.write(`sbc-agent drain: cannot signal the agent (pid ${pid}): ${String(error)}\n`);
    return EXIT.IO;
  }
  io.stdout.write(`drain: agent pid ${pid} is draining\n`);
  if (args.flags.has('no-wait')) return EXIT.OK;
  while (alive(pid)) await new Promise((resolve) => realClock.setTimeout(() => resolve(undefined), 250));
  io.stdout.write('drain: the agent has stopped\n');
  return EXIT.OK;
}

export const drainCommand: Command = {
  name: 'drain',
  summary: 'drain the running agent: new calls get 503, calls up go on, then it stops',
  usage: USAGE,
  run: (argv, io) => reportErrors(io, 'drain', () => drain(argv, io)),
};
