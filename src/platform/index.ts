export { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, StateError, ensurePrivateDir, fsyncDir, readFileIfExists, writeFileAtomic, type AtomicWriteOptions } from './atomic-file.js';
export { withFileLock, type FileLockOptions } from './file-lock.js';
export { currentPlatform, defaultConfigFile, defaultStateDir, resolveStateDir, type ConfigRole, type PlatformInfo } from './paths.js';
export {
  STALE_AFTER_MS,
  STATUS_INTERVAL_MS,
  StatusPublisher,
  readStatusFile,
  type DirectionStats,
  type ListenerStatus,
  type Role,
  type StatusDocument,
  type StatusReading,
  type TunnelStatus,
} from './status-file.js';
export { portHolder } from './port-holder.js';
export { SystemdNotifier, parseSystemdEnvironment, type NotifySend, type SystemdEnvironment, type SystemdNotifierOptions } from './systemd-notify.js';
export { probeWritableDir, type WritableDir } from './writable-dir.js';
export { STAGING_DIR, completeFileSet, replaceFileSet, type FileSetEntry } from './file-set.js';
export { rewriteFileAtomic } from './rewrite-file.js';
export { defaultAgentConfigFile, windowsInstallPaths, type WindowsInstallPaths } from './install-paths.js';
export { AGENT_SERVICE, ServiceControlError, realProbes, runCommand, systemdServiceManager, type CommandResult, type CommandRunner, type ServiceManager, type ServiceProbes } from './service-manager.js';
export { ERROR_SERVICE_ALREADY_RUNNING, ERROR_SERVICE_DOES_NOT_EXIST, scArgv, windowsServiceManager, winswArgv, type ScVerb, type WinswVerb } from './windows-service.js';
export { detectServiceManager } from './service-detect.js';
export { QuietCollector, eventLoopLoad, fullCollection, readHeap, type HeapReading, type QuietCollectorOptions } from './quiet-collector.js';
