/**
 * The agent as a Windows service. WinSW (a single, maintained .NET executable configured by an XML
 * file; no native code of ours) registers `sbc-agent` with the Service Control Manager and runs
 * node with service-host.js, which runs `sbc-agent run` and decides which exits deserve a restart.
 * install.ps1 and uninstall.ps1 (packaging/windows) run the same command lines as these functions;
 * `sbc-agent setup` enables and starts the service through `windowsServiceManager`.
 *
 * sc.exe and WinSW exit with the Win32 error code, so "not installed" and "already running" are
 * told apart from real failures by number.
 */
import type { PlatformInfo } from './paths.js';
import { windowsInstallPaths, type WindowsInstallPaths } from './install-paths.js';
import { AGENT_SERVICE, ServiceControlError, type ServiceManager, type ServiceProbes } from './service-manager.js';

/** ERROR_SERVICE_DOES_NOT_EXIST */
export const ERROR_SERVICE_DOES_NOT_EXIST = 1060;
/** ERROR_SERVICE_ALREADY_RUNNING */
export const ERROR_SERVICE_ALREADY_RUNNING = 1056;

export type WinswVerb = 'install' | 'uninstall' | 'start' | 'stop' | 'status';

/** `sbc-agent-service.exe VERB`: WinSW finds sbc-agent-service.xml beside itself. */
export function winswArgv(paths: WindowsInstallPaths, verb: WinswVerb): string[] {
  return [paths.wrapperExe, verb];
}

export type ScVerb = 'query' | 'enable' | 'start' | 'stop';

/** sc.exe command lines; sc wants `start=` and its value as two words. */
export function scArgv(verb: ScVerb, service = AGENT_SERVICE): string[] {
  switch (verb) {
    case 'query':
      return ['sc.exe', 'query', service];
    case 'enable':
      // Delayed automatic start: after the network stack and the services the desktop needs.
      return ['sc.exe', 'config', service, 'start=', 'delayed-auto'];
    case 'start':
      return ['sc.exe', 'start', service];
    case 'stop':
      return ['sc.exe', 'stop', service];
  }
}

/**
 * Enables and starts the installed service. A machine where install.ps1 copied the program but the
 * service was never registered gets it registered by WinSW first; one without the program is told
 * to run install.ps1.
 */
export function windowsServiceManager(info: PlatformInfo, probes: ServiceProbes): ServiceManager {
  const paths = windowsInstallPaths(info);
  const must = async (argv: string[], accept: readonly number[] = []): Promise<void> => {
    const result = await probes.run(argv);
    if (result.code !== 0 && !(result.code !== null && accept.includes(result.code))) throw new ServiceControlError(argv, result);
  };
  return {
    kind: 'windows',
    service: AGENT_SERVICE,
    async enableAndStart() {
      const query = scArgv('query');
      const found = await probes.run(query);
      if (found.code === ERROR_SERVICE_DOES_NOT_EXIST) {
        if (!(await probes.exists(paths.wrapperExe))) {
          throw new ServiceControlError(query, found, `the ${AGENT_SERVICE} service is not installed (no ${paths.wrapperExe}); run packaging\\windows\\install.ps1 as an administrator`);
        }
        await must(winswArgv(paths, 'install'));
      } else if (found.code !== 0) {
        throw new ServiceControlError(query, found);
      }
      await must(scArgv('enable'));
      await must(scArgv('start'), [ERROR_SERVICE_ALREADY_RUNNING]);
    },
  };
}
