/**
 * Where state lives on each operating system. The state directory holds identities, keys, the
 * SBC list and the status file; it is always overridable (`--state-dir`, config `stateDir`).
 */
import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';

export interface PlatformInfo {
  readonly platform: NodeJS.Platform;
  readonly env: NodeJS.ProcessEnv;
  /** The effective user id; undefined where the OS has none (Windows). */
  readonly uid: number | undefined;
  readonly home: string;
}

export function currentPlatform(): PlatformInfo {
  return { platform: process.platform, env: process.env, uid: process.geteuid?.(), home: homedir() };
}

/**
 * The default state directory:
 * - Windows: `%ProgramData%\sbc-agent` (services run as LocalSystem, not as a user);
 * - root elsewhere: `/var/lib/sbc-agent` (FHS 5.8: variable state of a program);
 * - a user: `$XDG_STATE_HOME/sbc-agent`, else `~/.local/state/sbc-agent` (XDG Base Directory:
 *   a relative XDG_STATE_HOME is invalid and must be ignored).
 */
export function defaultStateDir(info: PlatformInfo = currentPlatform()): string {
  if (info.platform === 'win32') {
    return win32.join(info.env['ProgramData'] ?? 'C:\\ProgramData', 'sbc-agent');
  }
  if (info.uid === 0) return '/var/lib/sbc-agent';
  const xdg = info.env['XDG_STATE_HOME'];
  if (xdg !== undefined && posix.isAbsolute(xdg)) return posix.join(xdg, 'sbc-agent');
  return posix.join(info.home, '.local', 'state', 'sbc-agent');
}

/** The command line wins over the configuration file, which wins over the platform default. */
export function resolveStateDir(fromFlag: string | undefined, fromConfig: string | undefined, info: PlatformInfo = currentPlatform()): string {
  return fromFlag ?? fromConfig ?? defaultStateDir(info);
}
