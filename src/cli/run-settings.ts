/**
 * What `sbc-agent run` serves: agent.yaml's `agent` section with the command-line flags laid over
 * it, checked before anything is bound or connected. A bad flag is a usage error (exit 2), a bad
 * configuration field a ConfigError naming it (exit 3), an unreadable file exit 4.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { ConfigError, UsageError } from '../core/index.js';
import type { AgentConfig, SbcConfig } from '../config/index.js';
import { ConfigFileError, parseDuration } from '../config/index.js';
import { chooseHostLans, type ChosenLan } from '../net/index.js';
import type { ParsedArgs } from './args.js';

export const RUN_VALUES = ['lan', 'sip-port', 'tls-port', 'tls-cert', 'tls-key', 'media-ports', 'upstream-expires', 'stun-port', 'drain-timeout', 'pnp-policy'] as const;

export interface RunSettings {
  readonly agent: AgentConfig;
  readonly lans: readonly ChosenLan[];
  readonly tls: { readonly port: number; readonly cert: Buffer; readonly key: Buffer } | undefined;
  /** agent.media.musicOnHold read and checked at start (a reload keeps it: it applies at restart). */
  readonly musicOnHold?: Int16Array;
}

function port(text: string | undefined, option: string, min = 1): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > 65535) throw new UsageError(`${option} '${text}' is not a port`);
  return n;
}

function range(text: string | undefined): { min: number; max: number } | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)-(\d+)$/.exec(text);
  const min = Number(m?.[1]);
  const max = Number(m?.[2]);
  if (m === null || min < 1024 || max > 65535 || max - min < 3) throw new UsageError(`--media-ports '${text}' is not MIN-MAX (1024-65535, at least two pairs)`);
  return { min, max };
}

function seconds(text: string | undefined, option: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : parseDuration(text);
  if (ms === undefined || ms < min * 1000) throw new UsageError(`${option} '${text}' is not a duration of at least ${min} s`);
  return ms;
}

async function readTlsFile(file: string, field: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : String(error);
    throw new ConfigFileError(file, `cannot read ${field} (${code})`, { cause: error });
  }
}

/** The flags over `config.agent`. */
export function mergeFlags(config: SbcConfig, args: ParsedArgs): AgentConfig {
  const a = config.agent;
  const v = (name: (typeof RUN_VALUES)[number]): string | undefined => args.values.get(name);
  const lanFlag = v('lan');
  const tlsCert = v('tls-cert') ?? a.sip.tlsCert;
  const tlsKey = v('tls-key') ?? a.sip.tlsKey;
  if ((v('tls-cert') === undefined) !== (v('tls-key') === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const policy = v('pnp-policy');
  if (policy !== undefined && policy !== 'inbox' && policy !== 'auto' && policy !== 'off') throw new UsageError(`--pnp-policy '${policy}' is not one of inbox, auto, off`);
  const upstreamMs = seconds(v('upstream-expires'), '--upstream-expires', 60);
  return {
    ...a,
    lan: lanFlag === undefined ? a.lan : lanFlag.split(',').map((s) => s.trim()).filter((s) => s !== ''),
    sip: { port: port(v('sip-port'), '--sip-port') ?? a.sip.port, tlsPort: port(v('tls-port'), '--tls-port') ?? a.sip.tlsPort, tlsCert, tlsKey },
    media: { ...a.media, ports: range(v('media-ports')) ?? a.media.ports },
    upstreamExpires: upstreamMs === undefined ? a.upstreamExpires : upstreamMs / 1000,
    pnp: { ...a.pnp, ...(policy === undefined ? {} : { policy }) },
    stun: { ...a.stun, port: port(v('stun-port'), '--stun-port', 0) ?? a.stun.port },
    drainTimeoutMs: seconds(v('drain-timeout'), '--drain-timeout', 0) ?? a.drainTimeoutMs,
  };
}

/** The LANs to serve, and why; an entry that is no interface of this host is an error naming where it came from. */
export function resolveLans(agent: AgentConfig, fromFlag: boolean): ChosenLan[] {
  const { lans, unknown } = chooseHostLans(agent.lan);
  const where = fromFlag ? '--lan' : 'agent.lan';
  if (unknown.length > 0) {
    const text = `no IPv4 interface or address '${unknown.join("', '")}' on this machine`;
    if (fromFlag) throw new UsageError(`${where}: ${text}`);
    throw new ConfigError(where, text);
  }
  for (const lan of lans) if (isIP(lan.address) !== 4) throw new ConfigError(where, `${lan.address} is not IPv4`);
  if (lans.length === 0) {
    const text = 'no LAN interface found (no private IPv4 address on this machine): name one in agent.lan';
    if (fromFlag) throw new UsageError(text);
    throw new ConfigError('agent.lan', text);
  }
  return [...lans];
}

export async function resolveRunSettings(config: SbcConfig, args: ParsedArgs): Promise<RunSettings> {
  const agent = mergeFlags(config, args);
  const lans = resolveLans(agent, args.values.has('lan'));
  const { tlsCert, tlsKey } = agent.sip;
  const tls = tlsCert === undefined || tlsKey === undefined
    ? undefined
    : { port: agent.sip.tlsPort, cert: await readTlsFile(tlsCert, 'agent.sip.tlsCert'), key: await readTlsFile(tlsKey, 'agent.sip.tlsKey') };
  return { agent, lans, tls };
}
