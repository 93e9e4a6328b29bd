export * from './model.js';
export { inWeeklyRanges, isTimeZone, localTime, scheduleState, type LocalTime } from './schedule.js';
export { EMPTY_ROUTING_STATE, planDepth, reject, type CallRequest, type DialOutStep, type Plan, type RejectReason, type RejectStatus, type RingStep, type RoutingState } from './plan.js';
export { decide, timedDestination } from './decide.js';
export { inNumberList, matchCallerMask, matchCallerMasks, matchPrefixes, matchWildcard } from './match.js';
export { MAX_ROUTES, emergencyPlan, outboundPlan, selectOutboundRule, stripPrepend } from './dial.js';
export { STATUS_CODES, effectiveStatus, extensionSchedule, manualStatus } from './status.js';
export { ringOrder } from './ring-order.js';
