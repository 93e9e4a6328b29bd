/**
 * `sbc-agent stun`: the public address as a STUN server sees it and, with --nat, the RFC 5780
 * behaviour of the NAT in plain words. `sbc-agent stun-server`: our STUN server as a process
 * (UDP and TCP; with --alternate, the four RFC 5780 sockets).
 */
import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP, isIPv6 } from 'node:net';
import { createLogger, errnoCode, realClock, SbcError, UsageError, type LogLevel } from '../core/index.js';
import { bindUdp, listenTcp, localAddressToward, tcpConnector, watchUdpRefusal, type DatagramSocket, type StreamListener, type UdpRefusalWatch } from '../net/index.js';
import {
  discoverNatBehaviour,
  formatEndpoint,
  mappedAddressOf,
  natVerdict,
  requestOverStream,
  StunClient,
  StunServer,
  StunTimeoutError,
  MAGIC_COOKIE,
  TI_MS,
  type StunEndpoint,
  type StunResponse,
  type TransportAddress,
} from '../stun/index.js';
import { bindExplained } from '../bind-explained.js';
import { packageVersion } from '../version.js';
import { parseArgs } from './args.js';
import type { Command, CommandIo } from './command.js';
import { EXIT } from './exit-codes.js';
import { waitForSignal } from './signals.js';

const DEFAULT_SERVER = 'stun.l.google.com:19302';
/** Longest wait for a test where no answer is a normal result (RFC 5780 filtering, hairpin). */
const PROBE_TIMEOUT_MS = 3000;

/** HOST:PORT, [v6]:PORT or a bare host (port `defaultPort`). */
export function parseHostPort(text: string, defaultPort: number, what: string): { host: string; port: number } {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/u.exec(text);
  const plain = bracket === null && isIPv6(text) ? null : /^([^:]+)(?::(\d+))?$/u.exec(text);
  const host = bracket?.[1] ?? plain?.[1] ?? (isIPv6(text) ? text : undefined);
  const portText = bracket?.[2] ?? plain?.[2];
  const port = portText === undefined ? defaultPort : Number(portText);
  if (host === undefined || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${what} '${text}' is not HOST:PORT`);
  return { host, port };
}

export async function resolveEndpoint(host: string, port: number): Promise<StunEndpoint> {
  if (isIP(host) !== 0) return { address: host, port };
  try {
    const { address } = await lookup(host);
    return { address, port };
  } catch (error) {
    throw new SbcError('SBC_ERR_STUN_TIMEOUT', `cannot resolve STUN server '${host}' (${errnoCode(error) ?? 'no address'}): check the name and this machine's DNS`, { cause: error });
  }
}

/**
 * The STUN client's socket is unconnected (--nat talks to several of the server's addresses): a
 * binding request (RFC 8489 §5: type 0x0001, no attributes, the magic cookie, a random
 * transaction id) from a connected socket beside it hears ICMP port unreachable, so a closed port
 * fails at once rather than after Ti (39.5 s).
 */
function refusalWatch(server: StunEndpoint): UdpRefusalWatch {
  return watchUdpRefusal(server.address, server.port, () => {
    const request = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00]), Buffer.alloc(4), randomBytes(12)]);
    request.writeUInt32BE(MAGIC_COOKIE, 4);
    return request;
  });
}

function showAddress(a: TransportAddress | StunEndpoint | undefined): string | null {
  return a === undefined ? null : formatEndpoint(a);
}

export const stunCommand: Command = {
  name: 'stun',
  summary: 'show the public address (and with --nat, what the NAT does) using a STUN server',
  usage: `Usage: sbc-agent stun [--server HOST:PORT] [--nat] [--json] [--tcp] [--timeout SEC] [--local ADDR[:PORT]]

  --server HOST:PORT  STUN server (default ${DEFAULT_SERVER}; --nat needs an RFC 5780 server,
                      e.g. 'sbc-agent stun-server --alternate ADDR:PORT' or coturn with two addresses)
  --nat               test mapping, filtering and hairpinning (RFC 5780) and say what it means for phones
  --json              print one JSON object
  --tcp               ask over TCP instead of UDP (not with --nat)
  --timeout SEC       longest wait for the server (default ${TI_MS / 1000}, the RFC 8489 limit)
  --local ADDR[:PORT] local address (and port) to send from

Exit codes: 0 answered, 2 wrong command line, 5 the server did not answer in time, refused
(ICMP port unreachable) or its name does not resolve.`,
  async run(args: readonly string[], io: CommandIo): Promise<number> {
    const parsed = parseArgs(args, { values: ['server', 'timeout', 'local'], flags: ['nat', 'json', 'tcp'] });
    const serverText = parsed.values.get('server') ?? DEFAULT_SERVER;
    const { host, port } = parseHostPort(serverText, 3478, '--server');
    const timeoutSec = Number(parsed.values.get('timeout') ?? TI_MS / 1000);
    if (!Number.isFinite(timeoutSec) || timeoutSec <= 0) throw new UsageError('--timeout must be a positive number of seconds');
    const timeoutMs = Math.min(timeoutSec * 1000, TI_MS);
    const nat = parsed.flags.has('nat');
    const tcp = parsed.flags.has('tcp');
    if (nat && tcp) throw new UsageError('--nat works over UDP only (RFC 5780 §4)');
    const localText = parsed.values.get('local');
    const local = localText === undefined ? undefined : parseHostPort(localText, 0, '--local');
    const json = parsed.flags.has('json');
    const started = realClock.now();
    let watch: ReturnType<typeof refusalWatch> | undefined;
    try {
      const server = await resolveEndpoint(host, port);
      if (tcp) {
        const stream = await tcpConnector().connect({ host: server.address, port: server.port, timeoutMs, ...(local === undefined ? {} : { localAddress: local.host }) });
        try {
          return report(io, json, serverText, await requestOverStream(stream, realClock, { timeoutMs }), stream.local);
        } finally {
          await stream.close();
        }
      }
      const socket = await bindUdp({ address: local?.host ?? (isIPv6(server.address) ? '::' : '0.0.0.0'), port: local?.port ?? 0 });
      const client = new StunClient({ socket, clock: realClock });
      watch = refusalWatch(server);
      const refused = watch.refused;
      try {
        const toward = await localAddressToward(server.address, server.port);
        const localAddress = socket.local.address === '0.0.0.0' || socket.local.address === '::' ? (toward === undefined ? undefined : { ...toward, port: socket.local.port }) : socket.local;
        if (!nat) return report(io, json, serverText, await Promise.race([client.request(server, { timeoutMs }), refused]), localAddress);
        const result = await Promise.race([discoverNatBehaviour({ client, server, timeoutMs, probeTimeoutMs: Math.min(timeoutMs, PROBE_TIMEOUT_MS), ...(localAddress === undefined ? {} : { localAddress }) }), refused]);
        const verdict = natVerdict(result);
        if (json) {
          const out = {
            server: serverText,
            localAddress: showAddress(result.localAddress),
            mappedAddress: showAddress(result.mappedAddress),
            natPresent: result.natPresent ?? null,
            otherAddress: showAddress(result.otherAddress),
            mapping: result.mapping ?? null,
            filtering: result.filtering ?? null,
            hairpin: result.hairpin ?? null,
            verdict,
          };
          io.stdout.write(`${JSON.stringify(out)}\n`);
        } else {
          const yesNo = (b: boolean | undefined): string => (b === undefined ? 'unknown' : b ? 'yes' : 'no');
          io.stdout.write(
            [
              `Public address: ${formatEndpoint(result.mappedAddress)} (seen by ${serverText})`,
              `Local address:  ${showAddress(result.localAddress) ?? 'unknown'}`,
              `NAT:            ${yesNo(result.natPresent)}`,
              `Mapping:        ${result.mapping ?? 'not tested (server lacks RFC 5780)'}`,
              `Filtering:      ${result.filtering ?? 'not tested (server lacks RFC 5780)'}`,
              `Hairpinning:    ${yesNo(result.hairpin)}`,
              '',
              verdict,
              '',
            ].join('\n'),
          );
        }
        return EXIT.OK;
      } finally {
        client.close();
        await socket.close();
      }
    } catch (error) {
      if (error instanceof SbcError && error.code === 'SBC_ERR_STUN_TIMEOUT' && error.message.startsWith('cannot resolve')) {
        io.stderr.write(`sbc-agent stun: ${error.message}\n`);
        return EXIT.TIMEOUT;
      }
      if (error instanceof StunTimeoutError || (error instanceof SbcError && error.code === 'SBC_ERR_STUN_TIMEOUT')) {
        const waited = ((realClock.now() - started) / 1000).toFixed(1);
        io.stderr.write(`sbc-agent stun: no answer from STUN server ${serverText} after ${waited} s (${error.message})\n`);
        return EXIT.TIMEOUT;
      }
      const code = errnoCode(error);
      if (code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
        const why = code === 'ECONNREFUSED' ? 'refused: nothing listens on that port' : code;
        io.stderr.write(`sbc-agent stun: cannot reach STUN server ${serverText} over ${tcp ? 'TCP' : 'UDP'} (${why}) after ${((realClock.now() - started) / 1000).toFixed(1)} s\n`);
        return EXIT.TIMEOUT;
      }
      throw error;
    } finally {
      watch?.close();
    }
  },
};

function report(io: CommandIo, json: boolean, server: string, response: StunResponse, local: TransportAddress | undefined): number {
  const mapped = response.message.messageClass === 'success' ? mappedAddressOf(response.message) : undefined;
  if (mapped === undefined) throw new StunTimeoutError(`${server} (answered without a mapped address)`, 0);
  // Same keys as with --nat, so scripts read one shape; the behaviour tests did not run.
  if (json) io.stdout.write(`${JSON.stringify({ server, localAddress: showAddress(local), mappedAddress: formatEndpoint(mapped), mapping: null, filtering: null, hairpin: null })}\n`);
  else io.stdout.write(`Public address: ${formatEndpoint(mapped)} (seen by ${server})\n`);
  return EXIT.OK;
}

export const stunServerCommand: Command = {
  name: 'stun-server',
  summary: 'run a STUN server (UDP and TCP; RFC 5780 with --alternate) until SIGINT/SIGTERM',
  usage: `Usage: sbc-agent stun-server [--listen ADDR:PORT] [--alternate ADDR:PORT] [--rate-limit N] [--log-level LEVEL]

  --listen ADDR:PORT     primary address (default 0.0.0.0:3478)
  --alternate ADDR:PORT  second address and port for RFC 5780 NAT behaviour tests: the server also
                         listens on ADDR:primary-port and primary-ADDR:PORT
  --rate-limit N         requests per second per source address (default 50, burst 2N; 0 = off)
  --log-level LEVEL      pino level (default info)

Prints one line 'stun-server listening ...' on stdout when ready; logs go to stderr.`,
  async run(args: readonly string[], io: CommandIo): Promise<number> {
    const parsed = parseArgs(args, { values: ['listen', 'alternate', 'rate-limit', 'log-level'], flags: [] });
    const primary = parseHostPort(parsed.values.get('listen') ?? '0.0.0.0:3478', 3478, '--listen');
    const alternateText = parsed.values.get('alternate');
    const alternate = alternateText === undefined ? undefined : parseHostPort(alternateText, primary.port + 1, '--alternate');
    if (alternate !== undefined && (alternate.host === primary.host || alternate.port === primary.port)) {
      throw new UsageError('--alternate needs a different address and a different port than --listen (RFC 5780 §6)');
    }
    const rate = Number(parsed.values.get('rate-limit') ?? 50);
    if (!Number.isFinite(rate) || rate < 0) throw new UsageError('--rate-limit must be a number ≥ 0');
    const logger = createLogger({ level: (parsed.values.get('log-level') ?? 'info') as LogLevel }).child({ component: 'stun-server' });
    const udp: { socket: DatagramSocket; ip: 0 | 1; port: 0 | 1 }[] = [];
    let tcp: StreamListener | undefined;
    try {
      const udpAt = (address: string, port: number): Promise<DatagramSocket> => bindExplained('udp', address, port, () => bindUdp({ address, port }));
      const first = await udpAt(primary.host, primary.port);
      udp.push({ socket: first, ip: 0, port: 0 });
      if (alternate !== undefined) {
        udp.push({ socket: await udpAt(primary.host, alternate.port), ip: 0, port: 1 });
        udp.push({ socket: await udpAt(alternate.host, primary.port), ip: 1, port: 0 });
        udp.push({ socket: await udpAt(alternate.host, alternate.port), ip: 1, port: 1 });
      }
      tcp = await bindExplained('tcp', primary.host, first.local.port, () => listenTcp({ address: primary.host, port: first.local.port }));
    } catch (error) {
      await Promise.all(udp.map(({ socket }) => socket.close()));
      await tcp?.close();
      throw error;
    }
    const server = new StunServer({
      clock: realClock,
      logger,
      udp,
      software: `sbc-agent ${packageVersion()}`,
      rateLimit: rate === 0 ? false : { perSecond: rate, burst: rate * 2, maxSources: 10_000 },
    });
    for (const { socket } of udp) socket.onError((error) => logger.warn({ err: error }, 'UDP socket error'));
    server.start();
    tcp.onConnection((connection) => server.handleStream(connection));
    tcp.onError((error) => logger.warn({ err: error }, 'TCP listener error'));
    const where = udp.map(({ socket }) => formatEndpoint(socket.local)).join(' ');
    logger.info({ udp: where, tcp: formatEndpoint(tcp.local) }, 'STUN server listening');
    io.stdout.write(`stun-server listening udp ${where} tcp ${formatEndpoint(tcp.local)}\n`);
    await waitForSignal().signal;
    server.close();
    await tcp.close();
    await Promise.all(udp.map(({ socket }) => socket.close()));
    logger.info({ counters: server.counters }, 'STUN server stopped');
    return EXIT.OK;
  },
};
