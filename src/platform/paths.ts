/**
 * Where state and configuration live on each operating system. The state directory holds
 * identities, keys, the SBC list and the status file; it is always overridable (`--state-dir`,
 * config `stateDir`). Under systemd, StateDirectory= and ConfigurationDirectory= hand the unit
 * its directories as $STATE_DIRECTORY and $CONFIGURATION_DIRECTORY (systemd.exec(5)); both win
 * over the platform defaults so a unit needs no paths on its command line.
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

/**
 * The first directory of a systemd directory variable: systemd.exec(5) joins several
 * StateDirectory= entries with ':'. Relative or empty values are not systemd's and are ignored.
 */
function systemdDirectory(value: string | undefined): string | undefined {
  const first = value?.split(':')[0];
  return first !== undefined && posix.isAbsolute(first) ? first : undefined;
}

/**
 * The command line wins over the configuration file, which wins over $STATE_DIRECTORY (a
 * systemd unit's StateDirectory=), which wins over the platform default.
 */
export function resolveStateDir(fromFlag: string | undefined, fromConfig: string | undefined, info: PlatformInfo = currentPlatform()): string {
  return fromFlag ?? fromConfig ?? (info.platform === 'win32' ? undefined : systemdDirectory(info.env['STATE_DIRECTORY'])) ?? defaultStateDir(info);
}

export type ConfigRole = 'agent' | 'hub';

/**
 * The configuration file used when `--config` is not given: `$CONFIGURATION_DIRECTORY/agent.yaml`
 * (or hub.yaml) when that variable names a directory (systemd's ConfigurationDirectory=, or the
 * installed launcher's /etc/sbc-agent), else none: the built-in defaults.
 */
export function defaultConfigFile(role: ConfigRole, info: PlatformInfo = currentPlatform()): string | undefined {
  if (info.platform === 'win32') return undefined;
  const dir = systemdDirectory(info.env['CONFIGURATION_DIRECTORY']);
  return dir === undefined ? undefined : posix.join(dir, `${role}.yaml`);
}
