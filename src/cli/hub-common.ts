/**
 * What the hub, enroll and status commands share: `--config` and `--state-dir`, and turning the
 * state and file errors they can meet into plain messages and exit codes.
 */
import { existsSync } from 'node:fs';
import { SbcError } from '../core/index.js';
import { ConfigFileError, loadConfig, type SbcConfig } from '../config/index.js';
import { StateError, defaultConfigFile, resolveStateDir, type ConfigRole } from '../platform/index.js';
import { IdentityError, SbcListError } from '../tunnel/index.js';
import type { ParsedArgs } from './args.js';
import type { CommandIo } from './command.js';
import { EXIT } from './exit-codes.js';

export const COMMON_VALUES = ['config', 'state-dir'] as const;

export interface CommonContext {
  readonly config: SbcConfig;
  readonly stateDir: string;
  /** The configuration file read; undefined when running on defaults. */
  readonly configFile?: string;
}

/**
 * The configuration (`--config`, else `$CONFIGURATION_DIRECTORY/<role>.yaml` when that file
 * exists, else the defaults) and the state directory it leads to. A file named on the command
 * line must exist; an implied one that does not is no error: a fresh install runs on defaults.
 */
export async function commonContext(args: ParsedArgs, role: ConfigRole = 'agent'): Promise<CommonContext> {
  const named = args.values.get('config');
  const implied = named === undefined ? defaultConfigFile(role) : undefined;
  const file = named ?? (implied !== undefined && existsSync(implied) ? implied : undefined);
  const config = await loadConfig(file);
  return { config, stateDir: resolveStateDir(args.values.get('state-dir'), config.stateDir), ...(file === undefined ? {} : { configFile: file }) };
}

/** A file system call's error as Node raises it (`code`, `syscall`, `path`), e.g. EACCES on mkdir. */
function fileSystemError(error: unknown): { code: string; syscall: string; path: string } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, syscall, path } = error as { code?: unknown; syscall?: unknown; path?: unknown };
  return typeof code === 'string' && typeof syscall === 'string' && typeof path === 'string' ? { code, syscall, path } : undefined;
}

/** Runs a command body; the errors a person can act on become a message and their exit code. */
export async function reportErrors(io: CommandIo, command: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof SbcListError) {
      io.stderr.write(`sbc-agent ${command}: ${error.message}\n`);
      return EXIT.USAGE;
    }
    if (error instanceof ConfigFileError || error instanceof StateError) {
      io.stderr.write(`sbc-agent ${command}: ${error.message}\n`);
      return EXIT.IO;
    }
    if (error instanceof IdentityError) {
      io.stderr.write(`sbc-agent ${command}: ${error.message}\n`);
      return EXIT.NOT_ENROLLED;
    }
    if (error instanceof SbcError && error.code === 'SBC_ERR_STATE') {
      // StoreFormatError, NoHubError and the state errors of src/platform: their messages name the path.
      io.stderr.write(`sbc-agent ${command}: ${error.message}\n`);
      return EXIT.IO;
    }
    const fsError = fileSystemError(error);
    if (fsError !== undefined) {
      io.stderr.write(`sbc-agent ${command}: ${fsError.path}: cannot ${fsError.syscall} (${fsError.code}); check the path and its permissions, or give another --state-dir\n`);
      return EXIT.IO;
    }
    throw error;
  }
}

/** `2026-11-25T14:00:00.000Z` → `2026-11-25 14:00 UTC`. */
export function shortTime(iso: string | undefined): string {
  if (iso === undefined) return '-';
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** HOST:PORT, with an IPv6 address in brackets (RFC 3986 section 3.2.2). */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
