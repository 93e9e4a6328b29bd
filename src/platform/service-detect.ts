/**
 * Which service manager `sbc-agent setup` hands the agent to: Windows always has its SCM; elsewhere
 * systemd when it is PID 1 (sd_booted(3): /run/systemd/system exists), which a container or a
 * chroot usually is not. None found: setup prints how to start the agent by hand.
 */
import type { PlatformInfo } from './paths.js';
import { realProbes, systemdServiceManager, type ServiceManager, type ServiceProbes } from './service-manager.js';
import { windowsServiceManager } from './windows-service.js';

export async function detectServiceManager(info: PlatformInfo, probes: ServiceProbes = realProbes): Promise<ServiceManager | undefined> {
  if (info.platform === 'win32') return windowsServiceManager(info, probes);
  if (info.platform === 'linux' && (await probes.exists('/run/systemd/system'))) return systemdServiceManager(probes.run);
  return undefined;
}
