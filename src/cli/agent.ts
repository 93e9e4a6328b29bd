/**
 * `sbc-agent agent`: runs this machine's tunnel to its hub, with the identity `sbc-agent enroll`
 * stored, until SIGINT or SIGTERM. A hub that refuses it for good (the SBC was revoked, or its
 * certificate is unknown to the hub) ends the command with its own message and exit code.
 */
import { waitForSignal } from './signals.js';
import { UsageError, createLogger } from '../core/index.js';
import { AgentTunnel, NotEnrolledError, type AgentTunnelOptions } from '../agent-tunnel.js';
import { parseArgs } from './args.js';
import type { Command, CommandIo } from './command.js';
import { EXIT } from './exit-codes.js';
import { COMMON_VALUES, commonContext, hostPort, reportErrors } from './hub-common.js';

const USAGE = `Usage: sbc-agent agent [--state-dir DIR] [--config FILE] [--hub-tls HOST:PORT|none] [--hub-wss URL|none]

Runs the agent's tunnel to its hub (TLS first, WSS when TLS cannot get through) with the identity
'sbc-agent enroll' stored, until SIGINT or SIGTERM. 'sbc-agent status' shows the tunnel.

  --hub-tls A   the hub's TLS tunnel address instead of the enrolled one ('none': WSS only)
  --hub-wss U   the hub's WSS URL instead of the enrolled one ('none': TLS only)

Exit codes: 0 stopped by a signal, 15 this SBC was revoked by the hub's admin,
18 not enrolled (or the hub does not know this SBC's certificate: enroll again),
21 the identity was replaced on disk (enroll --force): start again to use the new one.
`;

export const REVOKED_TEXT = "this SBC was revoked by the hub's admin";

/** HOST:PORT or [IPv6]:PORT (RFC 3986 section 3.2.2). */
export function parseHostPort(text: string, option: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  const host = m?.[1] ?? m?.[2];
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`${option} '${text}' is not HOST:PORT`);
  return { host, port };
}

function hubOverrides(args: ReturnType<typeof parseArgs>): AgentTunnelOptions['hub'] {
  const tls = args.values.get('hub-tls');
  const wss = args.values.get('hub-wss');
  if (wss !== undefined && wss !== 'none' && !/^wss:\/\//.test(wss)) throw new UsageError(`--hub-wss '${wss}' is not a wss:// URL`);
  if (tls === 'none' && wss === 'none') throw new UsageError('--hub-tls none and --hub-wss none leave no way to the hub');
  return {
    ...(tls === undefined ? {} : { tls: tls === 'none' ? null : parseHostPort(tls, '--hub-tls') }),
    ...(wss === undefined ? {} : { wssUrl: wss === 'none' ? null : wss }),
  };
}

async function runAgent(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: [...COMMON_VALUES, 'hub-tls', 'hub-wss'] });
  const hub = hubOverrides(args);
  const { config, stateDir } = await commonContext(args);
  const logger = createLogger({ level: config.log.level });
  let tunnel: AgentTunnel;
  try {
    tunnel = await AgentTunnel.open({ stateDir, logger, ...(hub === undefined ? {} : { hub }) });
  } catch (error) {
    if (!(error instanceof NotEnrolledError)) throw error;
    io.stderr.write(`sbc-agent agent: ${error.message}\n`);
    return EXIT.NOT_ENROLLED;
  }
  const { record } = tunnel.identity;
  io.stdout.write(`agent: SBC '${record.sbc.name}' (id ${record.sbc.id}), state ${stateDir}\n`);
  io.stdout.write(`agent: hub ${hostPort(record.hub.tunnel.host, record.hub.tunnel.port)} (TLS), ${record.hub.wss.url} (WSS)\n`);
  tunnel.client.on('open', (e) => io.stdout.write(`agent: tunnel ${e.resumed ? 'resumed' : 'up'} over ${(tunnel.client.stats().peer?.carriage ?? '?').toUpperCase()}\n`));
  tunnel.client.on('disconnected', (e) => io.stdout.write(`agent: tunnel down (${e.error?.message ?? e.reason})\n`));
  tunnel.client.on('reconnecting', (e) => {
    if (e.error !== undefined) io.stdout.write(`agent: next try in ${(e.delayMs / 1000).toFixed(1)} s (${e.error.message})\n`);
  });
  const stop = waitForSignal();
  // The tunnel's timers are unref'd (src/core Clock): while no carriage is up, nothing else would
  // keep the process waiting for its next reconnect.
  const keepAlive = setInterval(() => {}, 60_000);
  await tunnel.start();
  const ended = await Promise.race([stop.signal.then((signal) => ({ kind: 'signal' as const, signal })), tunnel.outcome]);
  stop.cancel();
  clearInterval(keepAlive);
  await tunnel.close();
  logger.info({ ended }, 'agent stopped');
  logger.flush();
  switch (ended.kind) {
    case 'revoked':
      io.stderr.write(`sbc-agent agent: ${REVOKED_TEXT}; ask the admin for a new key (hub rekey-sbc) and enroll again\n`);
      return EXIT.ENROLL_REVOKED;
    case 'replaced':
      io.stderr.write(`sbc-agent agent: ${ended.message}\n`);
      return EXIT.IDENTITY_REPLACED;
    case 'refused':
      io.stderr.write(`sbc-agent agent: the hub refused this SBC (${ended.reason}: ${ended.message})\n`);
      return ended.reason === 'UNAUTHORIZED' || ended.reason === 'SUPERSEDED' ? EXIT.NOT_ENROLLED : EXIT.INTERNAL;
    default:
      io.stdout.write('agent: stopped\n');
      return EXIT.OK;
  }
}

export const agentCommand: Command = {
  name: 'agent',
  summary: "run this agent's tunnel to its hub (after 'enroll') until stopped",
  usage: USAGE,
  run: (argv, io) => reportErrors(io, 'agent', () => runAgent(argv, io)),
};
