/**
 * `sbc-agent enroll --url URL --key KEY [--fingerprint FP] [--force]`: the agent's enrollment. Makes
 * a key pair and a CSR, pins the hub by its CA fingerprint (given, or confirmed by a person on the
 * terminal), sends the key and the CSR, and stores the identity in the state directory
 * (enroll-flow.ts, shared with `setup`). Each failure has its own message and exit code (README
 * "Exit codes").
 */
import { UsageError } from '../core/index.js';
import { certificateExpiry } from '../tunnel/index.js';
import { parseArgs } from './args.js';
import type { Command, CommandIo } from './command.js';
import { enrollIntoStateDir } from './enroll-flow.js';
import { EXIT } from './exit-codes.js';
import { COMMON_VALUES, commonContext, hostPort, reportErrors, shortTime } from './hub-common.js';

const USAGE = `Usage: sbc-agent enroll --url URL --key KEY [--fingerprint FP] [--yes] [--force] [--state-dir DIR] [--config FILE] [--json]

Enrolls this agent with a hub: makes a key pair (the private key never leaves this machine), sends
a certificate request with the one-time auth key, and stores the key, the certificate, the hub CA
and the hub's addresses in the state directory (owner-only files).

  --url URL          the provisioning URL printed by 'sbc-agent hub add-sbc'
  --key KEY          the one-time auth key printed with it
  --fingerprint FP   the hub fingerprint printed with it; without it, the hub's fingerprint is
                     shown and you are asked to confirm it
  --yes              trust the hub's fingerprint without asking (scripts; prefer --fingerprint)
  --force            replace the identity this agent already has (a running agent then exits 21
                     and its service manager restarts it with the new one)
  --json             print the result as one JSON object

Nothing is sent to the hub (the key stays unused) when the state directory cannot be written
(exit 4) or already holds an identity and --force is not given (exit 2).

Exit codes: 10 unreachable URL, 11 fingerprint mismatch, 12 wrong key, 13 expired key,
14 key already used, 15 SBC revoked, 16 locked out after repeated wrong keys, 17 fingerprint not confirmed.
`;

async function enroll(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: [...COMMON_VALUES, 'url', 'key', 'fingerprint'], flags: ['yes', 'json', 'force'] });
  const url = args.values.get('url');
  const key = args.values.get('key');
  if (url === undefined || key === undefined) throw new UsageError('enroll needs --url URL and --key KEY');
  const { config, stateDir } = await commonContext(args);
  const fingerprint = args.values.get('fingerprint');
  const json = args.flags.has('json');
  const outcome = await enrollIntoStateDir(
    {
      url,
      key,
      ...(fingerprint === undefined ? {} : { fingerprint }),
      yes: args.flags.has('yes'),
      force: args.flags.has('force'),
      stateDir,
      timeoutMs: config.agent.enrollTimeoutMs,
      command: 'enroll',
    },
    io,
  );
  if (!outcome.ok) {
    if (json) io.stdout.write(`${JSON.stringify({ ok: false, reason: outcome.reason, message: outcome.message, ...(outcome.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: outcome.retryAfterSeconds }) })}\n`);
    io.stderr.write(`sbc-agent enroll: ${outcome.message}\n`);
    return outcome.exit;
  }
  const { identity, paths, replaced } = outcome;
  const { record } = identity;
  const expires = certificateExpiry(identity.certPem).toISOString();
  if (json) {
    io.stdout.write(
      `${JSON.stringify({ ok: true, sbc: record.sbc, stateDir, files: { key: paths.key, certificate: paths.cert, ca: paths.caCert, hub: paths.hub }, hub: record.hub, fingerprint: record.caFingerprint, certificate: { fingerprint: record.certificateFingerprint, notAfter: expires }, ...(replaced === undefined ? {} : { replaced }) })}\n`,
    );
    return EXIT.OK;
  }
  io.stdout.write(
    [
      `Enrolled as SBC '${record.sbc.name}' (id ${record.sbc.id})${replaced === undefined ? '' : `, replacing the identity of SBC '${replaced.name}' (id ${replaced.id})`}.`,
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
