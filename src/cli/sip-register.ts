/**
 * `sbc-agent sip-register`: registers one user at a registrar with digest authentication and
 * reports the outcome by exit code (0 registered, 20 authentication failed, 5 no answer), then
 * unregisters. For people who debug a PBX account, and for the end-to-end tests.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { SbcError, UsageError, describeError } from '../core/index.js';
import { watchUdpRefusal } from '../net/index.js';
import { RegisterClient, RegisterError, SipTimeoutError, SipTransportError, isSipUri, parseUri, type SipTransportName } from '../sip/index.js';
import { parseArgs } from './args.js';
import type { Command, CommandIo } from './command.js';
import { EXIT } from './exit-codes.js';
import { openSipStack } from './sip-sockets.js';

const USAGE = `Usage: sbc-agent sip-register --registrar URI --user USER --password PASSWORD [options]

Registers USER at the registrar with digest authentication (MD5 or SHA-256), prints the
binding lifetime, then removes the binding again.

  --registrar URI   e.g. sip:127.0.0.1:5060;transport=tcp (udp, tcp or tls; sips: means tls)
  --user USER       user part of the address of record, also the digest username
  --password PASS   digest password
  --domain DOMAIN   domain of the address of record and of the Request-URI (default: the registrar host)
  --expires SEC     requested lifetime (default 300)
  --local ADDRESS   local address to bind (default: 127.0.0.1 for a loopback registrar, else 0.0.0.0)
  --ca FILE         PEM CA certificate(s) to trust for TLS (default: the system store)
  --insecure        do not verify the registrar's TLS certificate
  --keep            stay registered (refreshing) until interrupted
  --json            print the outcome as one JSON line

Exit codes: 0 registered, 20 authentication failed, 5 the registrar did not answer (or refused the
connection), 1 another refusal.
`;

interface Outcome {
  readonly ok: boolean;
  readonly code: number;
  readonly detail: string;
}

function outcomeOf(error: unknown): Outcome {
  // Matched on the stable code: AuthFailure (credentials refused) and a malformed challenge both carry it.
  if (error instanceof SbcError && error.code === 'SBC_ERR_SIP_AUTH') return { ok: false, code: EXIT.SIP_AUTH, detail: `authentication failed: ${error.message}` };
  if (error instanceof SipTimeoutError || error instanceof SipTransportError) return { ok: false, code: EXIT.TIMEOUT, detail: describeError(error) };
  if (error instanceof RegisterError) return { ok: false, code: EXIT.INTERNAL, detail: error.message };
  return { ok: false, code: EXIT.INTERNAL, detail: describeError(error) };
}

async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseArgs(args, { values: ['registrar', 'user', 'password', 'domain', 'expires', 'local', 'ca'], flags: ['insecure', 'keep', 'json'] });
  const registrar = parsed.values.get('registrar');
  const user = parsed.values.get('user');
  const password = parsed.values.get('password');
  if (registrar === undefined || user === undefined || password === undefined) throw new UsageError('--registrar, --user and --password are required');
  let uri;
  try {
    uri = parseUri(registrar);
  } catch {
    throw new UsageError(`--registrar: not a SIP URI: ${registrar}`);
  }
  if (!isSipUri(uri)) throw new UsageError('--registrar must be a sip: or sips: URI');
  const param = uri.params.get('transport')?.toUpperCase();
  const transport: SipTransportName = uri.scheme === 'sips' || param === 'TLS' ? 'TLS' : param === 'TCP' ? 'TCP' : 'UDP';
  if (param !== undefined && !['UDP', 'TCP', 'TLS'].includes(param)) throw new UsageError(`--registrar: unsupported transport ${param}`);
  const expires = Number(parsed.values.get('expires') ?? '300');
  if (!Number.isInteger(expires) || expires <= 0) throw new UsageError('--expires must be a positive integer');
  const loopback = uri.host === 'localhost' || uri.host.startsWith('127.') || uri.host === '::1';
  const local = parsed.values.get('local') ?? (loopback ? (uri.host === '::1' ? '::1' : '127.0.0.1') : '0.0.0.0');
  if (isIP(local) === 0) throw new UsageError('--local must be an IP address');
  const domain = parsed.values.get('domain') ?? uri.host;
  const caFile = parsed.values.get('ca');
  const ca = caFile === undefined ? undefined : readFileSync(caFile);
  const stack = await openSipStack({
    address: local,
    udpPort: 0,
    tcpPort: 0,
    tlsClient: { rejectUnauthorized: !parsed.flags.has('insecure'), ...(ca === undefined ? {} : { ca }) },
  });
  const target = { transport, host: uri.host, port: uri.port ?? (transport === 'TLS' ? 5061 : 5060) };
  const client = new RegisterClient({
    endpoint: stack,
    target,
    registrarUri: `sip:${domain}`,
    aor: `sip:${user}@${domain}`,
    username: user,
    password,
    expires,
  });
  const json = parsed.flags.has('json');
  const report = (o: Outcome & { expires?: number }): void => {
    if (json) io.stdout.write(`${JSON.stringify({ registered: o.ok, exitCode: o.code, detail: o.detail, ...(o.expires === undefined ? {} : { expires: o.expires }) })}\n`);
    else (o.ok ? io.stdout : io.stderr).write(`sip-register: ${o.detail}\n`);
  };
  // The stack's UDP socket is unconnected and never hears ICMP port unreachable: a CRLF keep-alive
  // (RFC 5626 §4.4.1, harmless to a SIP server) from a connected socket beside it does, so a closed
  // port fails at once rather than after Timer F (32 s).
  const watch = transport === 'UDP' && isIP(uri.host) !== 0 ? watchUdpRefusal(target.host, target.port, () => Buffer.from('\r\n\r\n')) : undefined;
  try {
    const registration = await (watch === undefined ? client.register() : Promise.race([client.register(), watch.refused.catch((error: unknown) => {
      throw new SipTransportError(target, 'nothing listens there (ICMP port unreachable)', { cause: error });
    })]));
    watch?.close();
    report({ ok: true, code: EXIT.OK, detail: `registered ${user}@${domain} for ${registration.expires} s`, expires: registration.expires });
    if (parsed.flags.has('keep')) {
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    await client.unregister().catch(() => {});
    return EXIT.OK;
  } catch (error) {
    const outcome = outcomeOf(error);
    report(outcome);
    return outcome.code;
  } finally {
    watch?.close();
    client.close();
    await stack.close();
  }
}

export const sipRegisterCommand: Command = {
  name: 'sip-register',
  summary: 'register a user at a SIP registrar with digest auth (debugging, tests)',
  usage: USAGE,
  run,
};
