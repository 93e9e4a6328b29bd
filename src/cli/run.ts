/**
 * `sbc-agent run`: the agent with its call path: the tunnel to the hub (the identity `sbc-agent
 * enroll` stored) and the outbound proxy of the LAN phones, with media anchored on the LAN
 * address, until SIGINT or SIGTERM. Writes `<state>/agent/calls.json` for `sbc-agent calls`.
 */
import { readFile } from 'node:fs/promises';
import { UsageError, createLogger } from '../core/index.js';
import { Agent } from '../agent.js';
import { AgentTunnel, NotEnrolledError } from '../agent-tunnel.js';
import { parseArgs } from './args.js';
import { callsFilePath } from './calls.js';
import type { Command, CommandIo } from './command.js';
import { EXIT } from './exit-codes.js';
import { COMMON_VALUES, commonContext, reportErrors } from './hub-common.js';
import { waitForSignal } from './signals.js';

const USAGE = `Usage: sbc-agent run --lan ADDRESS [--sip-port N] [--tls-port N --tls-cert FILE --tls-key FILE]
                     [--media-ports MIN-MAX] [--upstream-expires S] [--state-dir DIR] [--config FILE]

Runs the agent: the tunnel to the enrolled hub and the SBC call path. LAN phones use
ADDRESS:N (UDP and TCP, default 5060; TLS on --tls-port, default 5061, when a certificate is given)
as their outbound proxy; their media is anchored on ADDRESS (ports --media-ports, default
40000-49999). Phones may refresh every 60 s: the registrar is asked for --upstream-expires
seconds (default 1800) and refreshed at half of it. 'sbc-agent calls' lists the calls.

Exit codes: 0 stopped by a signal, 15 this SBC was revoked, 18 not enrolled.
`;

function port(text: string | undefined, fallback: number, option: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`${option} '${text}' is not a port`);
  return n;
}

function range(text: string | undefined): { min: number; max: number } {
  if (text === undefined) return { min: 40000, max: 49999 };
  const m = /^(\d+)-(\d+)$/.exec(text);
  const min = Number(m?.[1]);
  const max = Number(m?.[2]);
  if (m === null || min < 1024 || max > 65535 || max - min < 3) throw new UsageError(`--media-ports '${text}' is not MIN-MAX (1024-65535, at least two pairs)`);
  return { min, max };
}

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: [...COMMON_VALUES, 'lan', 'sip-port', 'tls-port', 'tls-cert', 'tls-key', 'media-ports', 'upstream-expires'] });
  if (args.positionals.length > 0) throw new UsageError(`unexpected '${args.positionals[0] ?? ''}'`);
  const lan = args.values.get('lan');
  if (lan === undefined) throw new UsageError('--lan ADDRESS is required (the address the phones reach the agent at)');
  const sipPort = port(args.values.get('sip-port'), 5060, '--sip-port');
  const certFile = args.values.get('tls-cert');
  const keyFile = args.values.get('tls-key');
  if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const tlsServer = certFile === undefined || keyFile === undefined ? undefined : { cert: await readFile(certFile), key: await readFile(keyFile) };
  const upstream = args.values.get('upstream-expires');
  const upstreamExpires = upstream === undefined ? undefined : Number(upstream);
  if (upstreamExpires !== undefined && (!Number.isInteger(upstreamExpires) || upstreamExpires < 60)) throw new UsageError(`--upstream-expires '${upstream ?? ''}' is not a number of seconds ≥ 60`);
  const { config, stateDir } = await commonContext(args);
  const logger = createLogger({ level: config.log.level });
  let tunnel: AgentTunnel;
  try {
    tunnel = await AgentTunnel.open({ stateDir, logger });
  } catch (error) {
    if (!(error instanceof NotEnrolledError)) throw error;
    io.stderr.write(`sbc-agent run: ${error.message}\n`);
    return EXIT.NOT_ENROLLED;
  }
  const stop = waitForSignal();
  const keepAlive = setInterval(() => {}, 60_000);
  await tunnel.start();
  const agent = await Agent.start({
    logger,
    tunnel: { client: tunnel.client },
    sip: { address: lan, udpPort: sipPort, tcpPort: sipPort, ...(tlsServer === undefined ? {} : { tlsPort: port(args.values.get('tls-port'), 5061, '--tls-port'), tlsServer }) },
    mediaAddress: lan,
    mediaPorts: range(args.values.get('media-ports')),
    ...(upstreamExpires === undefined ? {} : { upstreamExpires }),
    callsFile: callsFilePath(stateDir),
  });
  io.stdout.write(`run: SBC '${tunnel.identity.record.sbc.name}', phones use ${lan}:${sipPort} as outbound proxy\n`);
  const ended = await Promise.race([stop.signal.then(() => ({ kind: 'signal' as const })), tunnel.outcome]);
  stop.cancel();
  clearInterval(keepAlive);
  await agent.close();
  await tunnel.close();
  logger.flush();
  if (ended.kind === 'revoked') return EXIT.ENROLL_REVOKED;
  if (ended.kind === 'refused') return EXIT.NOT_ENROLLED;
  io.stdout.write('run: stopped\n');
  return EXIT.OK;
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run the agent: tunnel to the hub and outbound proxy of the LAN phones (SBC call path)',
  usage: USAGE,
  run: (argv, io) => reportErrors(io, 'run', () => run(argv, io)),
};
