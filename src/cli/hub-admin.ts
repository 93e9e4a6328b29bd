/**
 * `sbc-agent hub add-sbc | list-sbc | revoke-sbc | rekey-sbc | rename-sbc`: the admin's side of
 * enrollment. They change the SBC list file directly (under its lock); a running hub picks the
 * change up within a second. They open an existing hub's state only (openHubAdminState): they never
 * write its certificates or keys, and a directory without a hub is an error, not a new CA.
 */
import { hostname } from 'node:os';
import { UsageError, realClock } from '../core/index.js';
import { formatDuration, parseDuration, type SbcConfig } from '../config/index.js';
import { openHubAdminState, type HubAdminState } from '../hub.js';
import { readStatusFile } from '../platform/index.js';
import { generateAuthKey, generateId, hashAuthKey, type SbcRecord } from '../tunnel/index.js';
import { parseArgs } from './args.js';
import type { CommandIo } from './command.js';
import { COMMON_VALUES, commonContext, shortTime } from './hub-common.js';
import { EXIT } from './exit-codes.js';

/** The longest a one-time key may stay valid: a key is meant to be used within days. */
export const MAX_KEY_LIFETIME_MS = 365 * 86_400_000;

/** Where agents reach the enrollment endpoint: the running hub's listener, else the configuration. */
interface EnrollmentAt {
  readonly host: string;
  readonly port: number;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/**
 * The running hub's enrollment listener (its status file), else `hub.enrollment` of the same
 * configuration `sbc-agent hub` reads. The host is hub.publicName, else the listener's address when
 * it is a specific one, else this machine's name.
 */
async function enrollmentAt(config: SbcConfig, statusPath: string): Promise<EnrollmentAt> {
  const reading = await readStatusFile(statusPath, realClock.wallNow());
  const running = reading.running && reading.status.role === 'hub' ? reading.status.listeners.find((l) => l.name === 'enrollment') : undefined;
  const address = running?.address ?? config.hub.enrollment.listen;
  const host = config.hub.publicName ?? (WILDCARDS.has(address) ? hostname() : address);
  return { host, port: running?.port ?? config.hub.enrollment.port };
}

function provisioningUrl(at: EnrollmentAt, urlHost: string | undefined, id: string): string {
  const fallbackHost = at.host;
  const port = at.port;
  let authority: string;
  if (urlHost === undefined) authority = `${fallbackHost.includes(':') ? `[${fallbackHost}]` : fallbackHost}:${port}`;
  else if (/^\[.*\](:\d+)?$/.test(urlHost) || /^[^:]+:\d+$/.test(urlHost)) authority = urlHost;
  else authority = urlHost.includes(':') ? `[${urlHost}]:${port}` : `${urlHost}:${port}`;
  const url = new URL(`https://${authority}/enroll/${id}`);
  return url.href;
}

/** How long a new key stays valid: `text` (30s, 15m, 12h, 7d), else hub.keyLifetime; a bad one is a UsageError. */
export function keyLifetime(text: string | undefined, config: SbcConfig): number {
  if (text === undefined) return config.hub.keyLifetimeMs;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`--expires '${text}' is not a duration such as 30s, 15m, 12h, 7d`);
  if (ms > MAX_KEY_LIFETIME_MS) throw new UsageError(`--expires '${text}' is longer than ${formatDuration(MAX_KEY_LIFETIME_MS)}, the longest a one-time key may stay valid`);
  return ms;
}

const KEY_VALUES = [...COMMON_VALUES, 'expires', 'url-host'];

/** What add-sbc and rekey-sbc print with --json (and the hub's admin API answers). */
export interface IssuedSbcKey {
  readonly name: string;
  readonly id: string;
  readonly state: string;
  readonly url: string;
  readonly key: string;
  readonly fingerprint: string;
  readonly expiresAt: string;
}

/**
 * Adds an SBC or gives it a new one-time key: the key is generated here, only its hash is stored,
 * and the key itself is returned once. Shared by `hub add-sbc`/`rekey-sbc` and `POST /api/sbcs`.
 */
export async function issueSbcKey(action: 'add' | 'rekey', state: Pick<HubAdminState, 'store' | 'paths' | 'fingerprint'>, config: SbcConfig, name: string, ttlMs: number, urlHost: string | undefined): Promise<IssuedSbcKey> {
  const key = generateAuthKey();
  const keyHash = await hashAuthKey(key);
  const record = action === 'add' ? await state.store.add(name, generateId(), keyHash, ttlMs) : await state.store.rekey(name, keyHash, ttlMs);
  const url = provisioningUrl(await enrollmentAt(config, state.paths.status), urlHost, record.id);
  return { name: record.name, id: record.id, state: record.state, url, key, fingerprint: state.fingerprint, expiresAt: record.key?.expiresAt ?? '' };
}

/** add-sbc and rekey-sbc: a new one-time key, printed once. */
export async function issueKey(action: 'add' | 'rekey', argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, action === 'add' ? { values: [...KEY_VALUES, 'name'], flags: ['json'] } : { values: KEY_VALUES, flags: ['json'], positionals: 1 });
  const name = action === 'add' ? args.values.get('name') : args.positionals[0];
  if (name === undefined) throw new UsageError(action === 'add' ? 'add-sbc needs --name NAME' : 'rekey-sbc needs the SBC name');
  const { config, stateDir } = await commonContext(args, 'hub');
  const ttlMs = keyLifetime(args.values.get('expires'), config);
  const state = await openHubAdminState(stateDir, realClock);
  const issued = await issueSbcKey(action, state, config, name, ttlMs, args.values.get('url-host'));
  const { url, key, expiresAt } = issued;
  if (args.flags.has('json')) {
    io.stdout.write(`${JSON.stringify(issued)}\n`);
    return EXIT.OK;
  }
  io.stdout.write(
    [
      action === 'add' ? `SBC '${issued.name}' added (id ${issued.id}).` : `New key for SBC '${issued.name}' (id ${issued.id}); any earlier key is void.`,
      `  provisioning URL: ${url}`,
      `  auth key:         ${key}`,
      `                    one-time, expires ${shortTime(expiresAt)} (in ${formatDuration(ttlMs)}); it is shown only now`,
      `  hub fingerprint:  ${state.fingerprint}`,
      '',
      'On the agent:',
      `  sbc-agent enroll --url ${url} --key ${key} --fingerprint ${state.fingerprint}`,
      '',
    ].join('\n'),
  );
  return EXIT.OK;
}

function keyState(record: SbcRecord, now: number): string {
  if (record.key === undefined) return '-';
  if (record.key.usedAt !== undefined) return 'used';
  return Date.parse(record.key.expiresAt) <= now ? 'expired' : `valid until ${shortTime(record.key.expiresAt)}`;
}

export async function listSbcs(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: [...COMMON_VALUES], flags: ['json'] });
  const { stateDir } = await commonContext(args, 'hub');
  const state = await openHubAdminState(stateDir, realClock);
  const now = realClock.wallNow();
  const records = state.store.list();
  if (args.flags.has('json')) {
    const rows = records.map((r) => ({
      name: r.name,
      id: r.id,
      state: r.state,
      createdAt: r.createdAt,
      enrolledAt: r.enrolledAt ?? null,
      lastSeen: r.lastSeen ?? null,
      revokedAt: r.revokedAt ?? null,
      certificate: r.certificate ?? null,
      key: r.key === undefined ? null : { expiresAt: r.key.expiresAt, used: r.key.usedAt !== undefined, expired: Date.parse(r.key.expiresAt) <= now },
    }));
    io.stdout.write(`${JSON.stringify(rows)}\n`);
    return EXIT.OK;
  }
  if (records.length === 0) {
    io.stdout.write("No SBCs yet. Add one with 'sbc-agent hub add-sbc --name NAME'.\n");
    return EXIT.OK;
  }
  const table = [['NAME', 'STATE', 'ID', 'ENROLLED', 'LAST SEEN', 'CERT EXPIRES', 'KEY'], ...records.map((r) => [r.name, r.state, r.id, shortTime(r.enrolledAt), shortTime(r.lastSeen), shortTime(r.certificate?.notAfter), keyState(r, now)])];
  const widths = table[0]?.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length))) ?? [];
  io.stdout.write(`${table.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n')}\n`);
  return EXIT.OK;
}

export async function revokeSbc(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: [...COMMON_VALUES], positionals: 1 });
  const name = args.positionals[0];
  if (name === undefined) throw new UsageError('revoke-sbc needs the SBC name');
  const { stateDir } = await commonContext(args, 'hub');
  const state = await openHubAdminState(stateDir, realClock);
  await state.store.revoke(name);
  io.stdout.write(`SBC '${name}' revoked: its certificate is refused at its next tunnel handshake and its key can no longer enroll.\n`);
  return EXIT.OK;
}

export async function renameSbc(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: [...COMMON_VALUES], positionals: 2 });
  const [from, to] = args.positionals;
  if (from === undefined || to === undefined) throw new UsageError('rename-sbc needs OLD and NEW names');
  const { stateDir } = await commonContext(args, 'hub');
  const state = await openHubAdminState(stateDir, realClock);
  const record = await state.store.rename(from, to);
  io.stdout.write(`SBC '${from}' is now '${record.name}' (id ${record.id} unchanged; its certificate stays valid).\n`);
  return EXIT.OK;
}
