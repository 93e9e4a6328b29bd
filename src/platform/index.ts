export { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, StateError, ensurePrivateDir, readFileIfExists, writeFileAtomic, type AtomicWriteOptions } from './atomic-file.js';
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
