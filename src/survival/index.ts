export {
  DEFAULT_HEALTH_POLICY, HealthMachine, type FailbackPolicy, type HealthPolicy, type HealthSnapshot, type ModeTransition, type PbxHealth, type SurvivalMode, type TunnelHealth,
} from './health-machine.js';
export { PbxProbe, type PbxProbeEvents, type PbxProbeOptions, type PbxState } from './pbx-probe.js';
export { PBX_HEALTH_KIND, configKind, decodePbxHealth, encodePbxHealth } from './pbx-health-message.js';
export { dispatchTarget, type DispatchTarget } from './dispatch.js';
