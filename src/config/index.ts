export { formatDuration, parseDuration } from './duration.js';
export { ConfigFileError, loadConfig, parseConfigText } from './load.js';
export { DEFAULT_CONFIG, type AgentConfig, type AgentPnpConfig, type AgentStunConfig, type PnpPolicyName, type ProtectionConfig, type ProvisioningSource, type HubCallPathConfig, type HubConfig, type HubProvisioningConfig, type ListenConfig, type LockoutConfig, type LogLevel, type SbcConfig } from './schema.js';
export { validateConfig } from './validate.js';
