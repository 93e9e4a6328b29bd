// The B2BUA of the routing core (issue 11 "Execution") and its seams with the local registrar.
export type { CallOrigin, PhoneContact, PhoneLocator, StatusStore } from './types.js';
export { B2bua, type B2buaOptions } from './b2bua.js';
export type { B2buaCallState, B2buaCallSummary, B2buaEvent } from './call-types.js';
export { trunkFailureStatus } from './call.js';
export { UdpMediaAnchor, type CallMediaBridge, type MediaAnchor, type UdpMediaAnchorOptions } from './media-anchor.js';
export { FileStatusStore, type StatusFileIo } from './status-file.js';
export { TrunkRegistrations, type TrunkRegistrationsOptions } from './trunk-registrations.js';
