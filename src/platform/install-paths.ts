/**
 * Where an installed agent keeps its configuration, and on Windows where the service's files are.
 * The state directory itself is defaultStateDir (paths.ts); these paths sit beside it.
 *
 *   Debian, Raspberry Pi OS, container   /etc/sbc-agent/agent.yaml      (the unit's --config)
 *   Windows                              %ProgramData%\sbc-agent\agent.yaml, logs\ beside it;
 *                                        %ProgramFiles%\sbc-agent\ the program, node.exe, and
 *                                        sbc-agent-service.exe/.xml (WinSW) that run it as a service
 */
import { posix, win32 } from 'node:path';
import { currentPlatform, defaultStateDir, type PlatformInfo } from './paths.js';

export interface WindowsInstallPaths {
  /** %ProgramData%\sbc-agent: identity, status, the configuration and the logs. */
  readonly stateDir: string;
  readonly configFile: string;
  readonly logDir: string;
  /** %ProgramFiles%\sbc-agent: what install.ps1 copies. */
  readonly installDir: string;
  /** The WinSW executable, renamed so that its XML beside it is found by name. */
  readonly wrapperExe: string;
  readonly wrapperXml: string;
  readonly nodeExe: string;
  /** dist/src/service-host.js of the installed program: runs `sbc-agent run` for WinSW. */
  readonly hostScript: string;
}

export function windowsInstallPaths(info: PlatformInfo = currentPlatform()): WindowsInstallPaths {
  const stateDir = defaultStateDir({ ...info, platform: 'win32' });
  const installDir = win32.join(info.env['ProgramFiles'] ?? 'C:\\Program Files', 'sbc-agent');
  return {
    stateDir,
    configFile: win32.join(stateDir, 'agent.yaml'),
    logDir: win32.join(stateDir, 'logs'),
    installDir,
    wrapperExe: win32.join(installDir, 'sbc-agent-service.exe'),
    wrapperXml: win32.join(installDir, 'sbc-agent-service.xml'),
    nodeExe: win32.join(installDir, 'node.exe'),
    hostScript: win32.join(installDir, 'app', 'dist', 'src', 'service-host.js'),
  };
}

/** The agent configuration file the installed service reads (and `setup` updates). */
export function defaultAgentConfigFile(info: PlatformInfo = currentPlatform()): string {
  if (info.platform === 'win32') return windowsInstallPaths(info).configFile;
  return posix.join('/etc', 'sbc-agent', 'agent.yaml');
}
