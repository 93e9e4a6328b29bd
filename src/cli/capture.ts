/**
 * `sbc-agent capture --seconds N [--call CALL-ID] [--out FILE]`: asks the running agent's admin
 * API (POST /api/capture, with the token of its token file) for a pcap of its LAN-side SIP and
 * RTP over the next N seconds, and writes it. The agent records what its UDP sockets send and
 * receive (src/capture), so no tcpdump is needed; the file opens in Wireshark or tshark.
 */
import { request } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import { adminTokenPath, MAX_CAPTURE_SECONDS } from '../admin/index.js';
import { UsageError } from '../core/index.js';
import { parseArgs } from './args.js';
import type { Command, CommandIo } from './command.js';
import { EXIT } from './exit-codes.js';
import { COMMON_VALUES, commonContext, reportErrors } from './hub-common.js';

const USAGE = `Usage: sbc-agent capture --seconds N [--call CALL-ID] [--out FILE] [--state-dir DIR] [--config FILE]

Records the running agent's SIP and RTP as seen on the LAN side for N seconds (1 to ${MAX_CAPTURE_SECONDS})
and writes a pcap file (default capture-<time>.pcap) for Wireshark or tshark. With --call, only
that call's SIP messages (its Call-ID as the phone sent it) and the RTP of the addresses its SDP
names. SIP over UDP only: TCP and TLS SIP are not in the file. Asks the agent's admin API
(agent.admin) with the token of agent.admin.tokenFile, else <state-dir>/admin-token.
Exit codes: 0 written, 2 wrong command line, 4 the agent could not be asked or the file written.
`;

interface Reply {
  readonly status: number;
  readonly body: Buffer;
}

/** One POST with no timeout of its own: the agent answers after the capture's seconds. */
function post(host: string, port: number, path: string, token: string, body: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function seconds(text: string | undefined): number {
  if (text === undefined) throw new UsageError('--seconds N is required');
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_CAPTURE_SECONDS) throw new UsageError(`--seconds must be a whole number from 1 to ${MAX_CAPTURE_SECONDS}`);
  return n;
}

/** The admin API's address to ask: localhost when it listens there, else its first address. */
export function adminTarget(listen: readonly string[]): string {
  if (listen.includes('127.0.0.1')) return '127.0.0.1';
  if (listen.includes('::1')) return '::1';
  return listen.find((a) => a !== 'lan') ?? '127.0.0.1';
}

async function capture(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: [...COMMON_VALUES, 'seconds', 'call', 'out'] });
  const n = seconds(args.values.get('seconds'));
  const callId = args.values.get('call');
  const out = args.values.get('out') ?? `capture-${new Date().toISOString().replace(/[:.]/g, '-')}.pcap`;
  const { config, stateDir } = await commonContext(args);
  const admin = config.agent.admin;
  const tokenFile = admin.tokenFile ?? adminTokenPath(stateDir);
  let token: string;
  try {
    token = (await readFile(tokenFile, 'utf8')).trim();
  } catch (error) {
    io.stderr.write(`sbc-agent capture: cannot read the admin token ${tokenFile}: ${(error as Error).message}\n`);
    return EXIT.IO;
  }
  const host = adminTarget(admin.listen);
  io.stdout.write(`capture: recording ${n} s${callId === undefined ? '' : ` of call ${callId}`}...\n`);
  let reply: Reply;
  try {
    reply = await post(host, admin.port, '/api/capture', token, JSON.stringify({ seconds: n, ...(callId === undefined ? {} : { callId }) }));
  } catch (error) {
    io.stderr.write(`sbc-agent capture: the agent's admin API at ${host}:${admin.port} did not answer (is 'sbc-agent run' running?): ${(error as Error).message}\n`);
    return EXIT.IO;
  }
  if (reply.status !== 200) {
    io.stderr.write(`sbc-agent capture: the agent refused (${reply.status}): ${reply.body.toString('utf8').trim()}\n`);
    return reply.status === 400 ? EXIT.USAGE : EXIT.IO;
  }
  try {
    await writeFile(out, reply.body, { mode: 0o600 });
  } catch (error) {
    io.stderr.write(`sbc-agent capture: cannot write ${out}: ${(error as Error).message}\n`);
    return EXIT.IO;
  }
  io.stdout.write(`capture: ${out} (${reply.body.length} bytes)\n`);
  return EXIT.OK;
}

export const captureCommand: Command = {
  name: 'capture',
  summary: "write a pcap of the running agent's LAN-side SIP and RTP for N seconds (no tcpdump needed)",
  usage: USAGE,
  run: (argv, io) => reportErrors(io, 'capture', () => capture(argv, io)),
};
