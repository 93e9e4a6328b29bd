export { formatDuration, parseDuration } from './duration.js';
export { ConfigFileError, loadConfig, parseConfigText } from './load.js';
export { CALL_CONTROL_MODES, DEFAULT_CONFIG, type AgentConfig, type CallControlMode, type AgentPnpConfig, type AgentStunConfig, type AgentSurvivalConfig, type PnpPolicyName, type ProtectionConfig, type ProvisioningSource, type BuiltinPbxConfig, type HubCallPathConfig, type HubCdrConfig, type HubConfig, type HubProvisioningConfig, type HubTunnelConfig, type ListenConfig, type LockoutConfig, type LogLevel, type SbcConfig } from './schema.js';
export { validateConfig } from './validate.js';
export { DEFAULT_AGENT_ADMIN, DEFAULT_HUB_ADMIN, type AdminConfig } from './admin-config.js';
