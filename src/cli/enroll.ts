/**
 * `sbc-agent enroll --url URL --key KEY [--fingerprint FP]`: the agent's enrollment. Makes a key
 * pair and a CSR, pins the hub by its CA fingerprint (given, or confirmed by a person on the
 * terminal), sends the key and the CSR, and stores the identity in the state directory.
 * Each failure has its own message and exit code (README "Exit codes").
 */
import { createInterface } from 'node:readline/promises';
import { realClock, UsageError } from '../core/index.js';
import { fetchPeerChain, postJsonPinned } from '../net/index.js';
import { ensurePrivateDir, readFileIfExists, writeFileAtomic } from '../platform/index.js';
import { EnrollError, MAX_RESPONSE_BYTES, agentIdentityFiles, agentStatePaths, certificateExpiry, enrollAgent, type EnrollFailure, type EnrollTransport } from '../tunnel/index.js';
import { parseArgs } from './args.js';
import type { Command, CommandIo } from './command.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { COMMON_VALUES, commonContext, hostPort, reportErrors, shortTime } from './hub-common.js';

const USAGE = `Usage: sbc-agent enroll --url URL --key KEY [--fingerprint FP] [--yes] [--state-dir DIR] [--config FILE] [--json]

Enrolls this agent with a hub: makes a key pair (the private key never leaves this machine), sends
a certificate request with the one-time auth key, and stores the key, the certificate, the hub CA
and the hub's addresses in the state directory (owner-only files).

  --url URL          the provisioning URL printed by 'sbc-agent hub add-sbc'
  --key KEY          the one-time auth key printed with it
  --fingerprint FP   the hub fingerprint printed with it; without it, the hub's fingerprint is
                     shown and you are asked to confirm it
  --yes              trust the hub's fingerprint without asking (scripts; prefer --fingerprint)
  --json             print the result as one JSON object

Exit codes: 10 unreachable URL, 11 fingerprint mismatch, 12 wrong key, 13 expired key,
14 key already used, 15 SBC revoked, 16 locked out after repeated wrong keys, 17 fingerprint not confirmed.
`;

export const ENROLL_EXIT: Readonly<Record<EnrollFailure, ExitCode>> = {
  unreachable: EXIT.ENROLL_UNREACHABLE,
  fingerprint: EXIT.ENROLL_FINGERPRINT,
  wrong_key: EXIT.ENROLL_WRONG_KEY,
  expired_key: EXIT.ENROLL_EXPIRED_KEY,
  used_key: EXIT.ENROLL_USED_KEY,
  revoked: EXIT.ENROLL_REVOKED,
  locked_out: EXIT.ENROLL_LOCKED_OUT,
  declined: EXIT.ENROLL_DECLINED,
  bad_request: EXIT.INTERNAL,
  bad_response: EXIT.INTERNAL,
};

function isTty(stream: NodeJS.ReadableStream): boolean {
  return 'isTTY' in stream && stream.isTTY === true;
}

/** Asks on the terminal; with no terminal there is no one to ask, so the answer is no. */
function confirmer(io: CommandIo, yes: boolean, host: string): (fingerprint: string) => Promise<boolean> {
  return async (fingerprint) => {
    if (yes) return true;
    if (!isTty(io.stdin)) {
      throw new EnrollError(
        'declined',
        `cannot confirm the hub's fingerprint ${fingerprint}: no terminal to ask on. Pass --fingerprint with the fingerprint 'hub add-sbc' printed (or --yes to trust it unchecked)`,
      );
    }
    io.stderr.write(`The hub at ${host} presents the fingerprint\n  ${fingerprint}\nCompare it with the one 'sbc-agent hub add-sbc' printed.\n`);
    const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
    try {
      const answer = await rl.question('Trust this hub and send the auth key? [y/N] ');
      return /^y(es)?$/i.test(answer.trim());
    } finally {
      rl.close();
    }
  };
}

function transport(timeoutMs: number): EnrollTransport {
  return {
    peerChain: (url) => fetchPeerChain(url, { timeoutMs }),
    post: (url, body, verifyPeer) => postJsonPinned(url, body, verifyPeer, { timeoutMs, maxResponseBytes: MAX_RESPONSE_BYTES }),
  };
}

async function enroll(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: [...COMMON_VALUES, 'url', 'key', 'fingerprint'], flags: ['yes', 'json'] });
  const url = args.values.get('url');
  const key = args.values.get('key');
  if (url === undefined || key === undefined) throw new UsageError('enroll needs --url URL and --key KEY');
  const { config, stateDir } = await commonContext(args);
  const paths = agentStatePaths(stateDir);
  const fingerprint = args.values.get('fingerprint');
  let identity;
  try {
    identity = await enrollAgent({
      url,
      key,
      ...(fingerprint === undefined ? {} : { fingerprint }),
      confirm: confirmer(io, args.flags.has('yes'), URL.canParse(url) ? new URL(url).host : url),
      transport: transport(config.agent.enrollTimeoutMs),
      clock: realClock,
    });
  } catch (error) {
    if (!(error instanceof EnrollError)) throw error;
    if (args.flags.has('json')) io.stdout.write(`${JSON.stringify({ ok: false, reason: error.reason, message: error.message, ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }) })}\n`);
    io.stderr.write(`sbc-agent enroll: ${error.message}\n`);
    return ENROLL_EXIT[error.reason];
  }
  const previous = await readFileIfExists(paths.hub);
  await ensurePrivateDir(paths.dir);
  for (const file of agentIdentityFiles(paths, identity)) await writeFileAtomic(file.path, file.data);
  const { record } = identity;
  const expires = certificateExpiry(identity.certPem).toISOString();
  if (args.flags.has('json')) {
    io.stdout.write(
      `${JSON.stringify({ ok: true, sbc: record.sbc, stateDir, files: { key: paths.key, certificate: paths.cert, ca: paths.caCert, hub: paths.hub }, hub: record.hub, fingerprint: record.caFingerprint, certificate: { fingerprint: record.certificateFingerprint, notAfter: expires } })}\n`,
    );
    return EXIT.OK;
  }
  io.stdout.write(
    [
      `Enrolled as SBC '${record.sbc.name}' (id ${record.sbc.id})${previous === undefined ? '' : ', replacing the previous identity'}.`,
      `  identity:    ${paths.dir} (agent.key, agent.crt, hub-ca.crt, hub.json)`,
      `  certificate: valid until ${shortTime(expires)}`,
      `  hub tunnel:  ${hostPort(record.hub.tunnel.host, record.hub.tunnel.port)} (TLS), ${record.hub.wss.url} (WSS)`,
      '',
    ].join('\n'),
  );
  return EXIT.OK;
}

export const enrollCommand: Command = {
  name: 'enroll',
  summary: 'enroll this agent with a hub (provisioning URL + one-time auth key)',
  usage: USAGE,
  run: (argv, io) => reportErrors(io, 'enroll', () => enroll(argv, io)),
};
